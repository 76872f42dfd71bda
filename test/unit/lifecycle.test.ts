import { describe, expect, it } from 'vitest';
import { NOTICE_RETENTION_DAYS } from '../../src/requests/sweep.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FakeMimecast, fixedClock, serviceFixture } from '../support/fakes.js';

const HOUR = 3_600_000;
const ALICE = 'UALICE';
const BOB = 'UBOB';

function setup(store = new SqliteStore(':memory:'), clock = fixedClock(), mimecast = new FakeMimecast()) {
  return serviceFixture({ store, clock, mimecast });
}

type Ctx = ReturnType<typeof setup>;

async function granted(ctx: Ctx, durationHours = 24, requesterId = ALICE, approver = BOB) {
  const submitted = await ctx.service.submit({
    requesterId,
    mailbox: 'sales@example.com',
    reason: 'cover',
    durationHours,
  });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted.errors));
  await ctx.service.approve(submitted.request.id, approver);
  const done = await ctx.service.provision(submitted.request.id);
  if (done?.status !== 'completed') throw new Error(`not completed: ${done?.status}`);
  return done;
}

/** Every queued notice, in delivery order, marked delivered as it is read. */
async function drainNotices(ctx: Ctx): Promise<string[]> {
  const seen: string[] = [];
  const far = new Date(ctx.clock().getTime() + 1000 * HOUR);
  for (
    let due = await ctx.store.dueNotices(far, 100);
    due.length;
    due = await ctx.store.dueNotices(far, 100)
  ) {
    for (const notice of due) {
      seen.push(`${notice.target}:${notice.event}`);
      await ctx.store.markNoticeDelivered(notice.id, far);
    }
  }
  return seen;
}

async function noticeEvents(ctx: Ctx, id: string) {
  const all = await ctx.store.listAudit({ requestId: id });
  return all.map((event) => event.action);
}

describe('notice retention', () => {
  it('deletes finished notices after the retention period in sweeps, never undelivered ones', async () => {
    const ctx = setup();
    const first = await granted(ctx, 0);
    const delivered: number[] = [];
    for (let due = await ctx.store.dueNotices(ctx.clock(), 100); due.length; ) {
      for (const notice of due) {
        await ctx.store.markNoticeDelivered(notice.id, ctx.clock());
        delivered.push(notice.id);
      }
      due = await ctx.store.dueNotices(ctx.clock(), 100);
    }
    expect(delivered.length).toBeGreaterThan(0);
    ctx.clock.advance(HOUR);
    const second = await granted(ctx, 0); // its notices stay undelivered

    ctx.clock.advance(NOTICE_RETENTION_DAYS * 24 * HOUR - HOUR); // exactly the retention period
    expect((await ctx.service.sweep()).noticesPruned).toBe(0);
    ctx.clock.advance(1);
    expect((await ctx.service.sweep()).noticesPruned).toBe(delivered.length);
    expect((await ctx.service.sweep()).noticesPruned).toBe(0);
    // The second request's card is still due, and the audit log still has the first one's history.
    const due = await ctx.store.dueNotices(ctx.clock(), 100);
    expect(due.map((notice) => notice.requestId)).toEqual([second.id]);
    expect(await noticeEvents(ctx, first.id)).toContain('provisioned');
  });
});

describe('time-bound access', () => {
  it('removes access when it expires, once, and says so', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    expect(grant.expiresAt).toEqual(new Date(ctx.clock().getTime() + 24 * HOUR));

    ctx.clock.advance(24 * HOUR - 1);
    expect((await ctx.service.sweep()).removed).toEqual([]);
    ctx.clock.advance(1);
    expect((await ctx.service.sweep()).removed).toEqual([grant.id]);
    expect((await ctx.service.sweep()).removed).toEqual([]);
    expect(ctx.mimecast.removes).toEqual(['mc-1']);
    expect(await ctx.store.getRequest(grant.id)).toMatchObject({
      status: 'removed',
      endReason: 'expired',
      endedBy: 'system',
    });
    expect((await noticeEvents(ctx, grant.id)).slice(-2)).toEqual(['removal_started', 'removed']);
  });

  it('never removes a permanent grant', async () => {
    const ctx = setup();
    const grant = await granted(ctx, 0);
    expect(grant.expiresAt).toBeUndefined();
    ctx.clock.advance(10_000 * HOUR);
    await ctx.service.sweep();
    expect(ctx.mimecast.removes).toEqual([]);
  });

  it('retries a failed removal with backoff and alerts admins after three failures', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    const failure = { ok: false as const, kind: 'server_error' as const, message: 'Mimecast is down' };
    ctx.mimecast.removeOutcomes.push(failure, failure, failure);
    ctx.clock.advance(24 * HOUR);
    expect((await ctx.service.sweep()).removalFailed).toEqual([grant.id]);
    expect(await ctx.store.getRequest(grant.id)).toMatchObject({ status: 'completed', removalAttempts: 1 });
    // Not again before the backoff (1 minute) has passed.
    await ctx.service.sweep();
    expect(ctx.mimecast.removes).toHaveLength(1);
    ctx.clock.advance(60_000);
    await ctx.service.sweep();
    ctx.clock.advance(5 * 60_000);
    await ctx.service.sweep();
    expect(ctx.mimecast.removes).toHaveLength(3);
    const notices = await drainNotices(ctx);
    // The card is redrawn at each failure (it shows the next try); the thread hears of it once.
    expect(notices.filter((n) => n.endsWith(':removal_failing')).sort()).toEqual([
      'card:removal_failing',
      'card:removal_failing',
      'card:removal_failing',
      'thread:removal_failing',
    ]);
    const audit = await ctx.store.listAudit({ requestId: grant.id });
    expect(audit.filter((e) => e.action === 'removal_failed').map((e) => e.details?.attempts)).toEqual([
      1, 2, 3,
    ]);
    ctx.clock.advance(15 * 60_000);
    expect((await ctx.service.sweep()).removed).toEqual([grant.id]);
    expect(ctx.mimecast.removes).toEqual(['mc-1', 'mc-1', 'mc-1', 'mc-1']);
  });

  it('an extension after a failed expiry removal calls the expiry off: nothing retried, nothing removed', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    ctx.mimecast.removeOutcomes.push({ ok: false, kind: 'server_error', message: 'Mimecast is down' });
    ctx.clock.advance(24 * HOUR);
    expect((await ctx.service.sweep()).removalFailed).toEqual([grant.id]);
    expect(await ctx.store.getRequest(grant.id)).toMatchObject({ endReason: 'expired', removalAttempts: 1 });
    const extended = await ctx.service.extend(grant.id, 'UCAROL', 168);
    expect(extended.ok).toBe(true);
    const now = await ctx.store.getRequest(grant.id);
    expect(now).toMatchObject({ status: 'completed' });
    expect(now?.endReason).toBeUndefined();
    expect(now?.endedBy).toBeUndefined();
    expect(now?.nextRemovalAt).toBeUndefined();
    ctx.clock.advance(60 * 60_000);
    expect((await ctx.service.sweep()).removed).toEqual([]);
    expect(ctx.mimecast.removes).toEqual(['mc-1']);
  });

  it('treats a right Mimecast no longer knows as removed', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    ctx.mimecast.removeOutcomes.push({
      ok: false,
      kind: 'validation',
      message: 'not found',
      code: 'err_delegate_not_found',
    });
    ctx.clock.advance(24 * HOUR);
    expect((await ctx.service.sweep()).removed).toEqual([grant.id]);
    // "Not found" is checked with a search by the grantee before it counts as removed.
    expect(ctx.mimecast.finds).toEqual(['alice@example.com', 'alice@example.com']);
    expect((await ctx.store.listAudit({ requestId: grant.id })).at(-1)?.details).toEqual({
      why: 'expired',
      mimecastId: 'mc-1',
      alreadyGone: true,
    });
  });

  it('does not let an earlier expiry remove access that a later grant still covers', async () => {
    const ctx = setup();
    const first = await granted(ctx, 24);
    // The same pair again, for a week: Mimecast already has the right (ours), so nothing is added.
    ctx.mimecast.rights = [{ id: 'mc-1', mailbox: 'sales@example.com' }];
    const second = await granted(ctx, 168);
    expect(second).toMatchObject({ mimecastId: 'mc-1' });
    expect(second.preexisting).toBeUndefined();
    expect(ctx.mimecast.adds).toHaveLength(1);

    ctx.clock.advance(24 * HOUR);
    expect((await ctx.service.sweep()).removed).toEqual([first.id]);
    expect(ctx.mimecast.removes).toEqual([]);
    const audit = await ctx.store.listAudit({ requestId: first.id });
    expect(audit.at(-1)?.details).toEqual({
      why: 'expired',
      leftInMimecast: `still covered by ${second.id}`,
    });

    ctx.clock.advance(144 * HOUR);
    expect((await ctx.service.sweep()).removed).toEqual([second.id]);
    expect(ctx.mimecast.removes).toEqual(['mc-1']);
  });

  it('reports access that already existed outside the bot and never removes it', async () => {
    const ctx = setup();
    ctx.mimecast.rights = [{ id: 'mc-manual', mailbox: 'sales@example.com', source: 'ADCON' }];
    const grant = await granted(ctx, 24);
    expect(grant).toMatchObject({ mimecastId: 'mc-manual', preexisting: true });
    expect(ctx.mimecast.adds).toEqual([]);
    expect((await noticeEvents(ctx, grant.id)).at(-1)).toBe('already_had_access');
    ctx.clock.advance(24 * HOUR);
    await ctx.service.sweep();
    expect(ctx.mimecast.removes).toEqual([]);
    expect((await ctx.store.getRequest(grant.id))?.status).toBe('removed');
  });

  it('adds anyway when the find endpoint is not available', async () => {
    const ctx = setup();
    ctx.mimecast.rights = { ok: false, kind: 'not_found', message: 'no such endpoint' };
    await granted(ctx);
    expect(ctx.mimecast.finds).toEqual(['alice@example.com']);
    expect(ctx.mimecast.adds).toHaveLength(1);
  });

  it('catches up once after a restart that missed the due time', async () => {
    const path = `${await import('node:os').then((os) => os.tmpdir())}/lifecycle-${Date.now()}-${Math.random()}.sqlite`;
    const clock = fixedClock();
    const mimecast = new FakeMimecast();
    const before = setup(new SqliteStore(path), clock, mimecast);
    const grant = await granted(before);
    await before.store.close();

    clock.advance(100 * HOUR); // the bot was down when access was due to end
    const after = setup(new SqliteStore(path), clock, mimecast);
    const secondReplica = setup(new SqliteStore(path), clock, mimecast);
    const reports = await Promise.all([
      after.service.sweep(),
      secondReplica.service.sweep(),
      after.service.sweep(),
    ]);
    expect(reports.flatMap((r) => r.removed)).toEqual([grant.id]);
    expect(mimecast.removes).toEqual(['mc-1']);
    await after.store.close();
    await secondReplica.store.close();
  });

  it('lets the grantee end access early, and an approver extend it', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    expect(await ctx.service.extend(grant.id, ALICE, 168)).toEqual({ ok: false, reason: 'own_request' });
    expect(await ctx.service.extend(grant.id, 'UNOBODY', 168)).toEqual({ ok: false, reason: 'not_approver' });
    expect(await ctx.service.extend(grant.id, BOB, 5)).toEqual({ ok: false, reason: 'bad_duration' });
    const extended = await ctx.service.extend(grant.id, BOB, 168);
    expect(extended.ok && extended.request.expiresAt).toEqual(
      new Date(ctx.clock().getTime() + (24 + 168) * HOUR),
    );

    ctx.clock.advance(30 * HOUR);
    expect((await ctx.service.sweep()).removed).toEqual([]);
    const ended = await ctx.service.endAccess(grant.id, ALICE);
    expect(ended.ok && ended.request).toMatchObject({
      status: 'removed',
      endedBy: ALICE,
      endReason: 'ended_by_grantee',
    });
    expect(ctx.mimecast.removes).toEqual(['mc-1']);
    expect(await ctx.service.endAccess(grant.id, ALICE)).toMatchObject({
      ok: false,
      reason: 'not_active',
    });
  });
});

describe('pending requests', () => {
  it('reminds approvers after the interval, at most once per interval, and expires after the TTL', async () => {
    const ctx = setup();
    const submitted = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'cover',
    });
    if (!submitted.ok) throw new Error('submit failed');
    const id = submitted.request.id;
    ctx.clock.advance(4 * HOUR - 1);
    expect((await ctx.service.sweep()).reminded).toEqual([]);
    ctx.clock.advance(1);
    expect((await ctx.service.sweep()).reminded).toEqual([id]);
    ctx.clock.advance(HOUR);
    expect((await ctx.service.sweep()).reminded).toEqual([]);
    ctx.clock.advance(3 * HOUR);
    expect((await ctx.service.sweep()).reminded).toEqual([id]);

    ctx.clock.advance(64 * HOUR); // 72 h after submission
    const report = await ctx.service.sweep();
    expect(report.expired).toEqual([id]);
    expect(report.reminded).toEqual([]);
    expect((await ctx.store.getRequest(id))?.status).toBe('expired');
    expect(await ctx.service.approve(id, BOB)).toMatchObject({ ok: false, reason: 'already_decided' });
  });
});
