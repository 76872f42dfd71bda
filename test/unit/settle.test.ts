import { describe, expect, it } from 'vitest';
import type { MimecastResult } from '../../src/requests/ports/index.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FakeMimecast, fixedClock, serviceFixture } from '../support/fakes.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const ALICE = 'UALICE';
const BOB = 'UBOB';

type Ctx = ReturnType<typeof serviceFixture>;

const unknown = { ok: false, kind: 'outcome_unknown', message: 'no answer within 10000 ms' } as const;

/** Alice's request for sales@, approved by Bob, whose add got no answer: now settling. */
async function settling(ctx: Ctx) {
  const submitted = await ctx.service.submit({
    requesterId: ALICE,
    mailbox: 'sales@example.com',
    reason: 'cover',
  });
  if (!submitted.ok) throw new Error('submit failed');
  ctx.mimecast.outcomes.push(unknown);
  await ctx.service.approve(submitted.request.id, BOB);
  const request = await ctx.service.provision(submitted.request.id);
  if (request?.status !== 'settling') throw new Error(`not settling: ${request?.status}`);
  return request;
}

async function auditOf(ctx: Ctx, id: string) {
  return (await ctx.store.listAudit({ requestId: id })).map((event) => event.action);
}

/** The notices written for a request, in order (delivered as read). */
async function noticesOf(ctx: Ctx, id: string): Promise<string[]> {
  const seen: string[] = [];
  const far = new Date(ctx.clock().getTime() + 1000 * HOUR);
  for (
    let due = await ctx.store.dueNotices(far, 100);
    due.length;
    due = await ctx.store.dueNotices(far, 100)
  ) {
    for (const notice of due) {
      if (notice.requestId === id) seen.push(`${notice.target}:${notice.event}`);
      await ctx.store.markNoticeDelivered(notice.id, far);
    }
  }
  return seen;
}

describe('settling an add whose outcome is unknown', () => {
  it('tells everyone it is being checked, and searches only when the first check is due (30 s)', async () => {
    const ctx = serviceFixture();
    const since = ctx.clock();
    const request = await settling(ctx);
    expect(request).toMatchObject({
      failure: { kind: 'outcome_unknown' },
      settleSince: since,
      settleChecks: 0,
      nextSettleAt: new Date(since.getTime() + 30 * SECOND),
    });
    expect(ctx.wakes).toEqual([new Date(since.getTime() + 30 * SECOND)]);
    expect(await noticesOf(ctx, request.id)).toEqual([
      'card:submitted',
      'dm:submitted',
      'card:approved',
      'card:checking',
      'thread:checking',
      'dm:checking',
    ]);
    ctx.clock.advance(29 * SECOND);
    expect((await ctx.service.sweep()).settle).toEqual({
      settled: [],
      retried: [],
      unresolved: [],
      checks: 0,
    });
    // Only the search before the add.
    expect(ctx.mimecast.finds).toEqual(['alice@example.com']);
    expect((await ctx.store.getRequest(request.id))?.status).toBe('settling');
  });

  it('present at a check: completed with the id Mimecast lists, and everyone told it went through', async () => {
    const ctx = serviceFixture();
    const since = ctx.clock();
    const request = await settling(ctx);
    ctx.mimecast.rights = [{ id: 'mc-found', mailbox: 'Sales@Example.com', name: 'Sales', source: 'API' }];
    ctx.clock.advance(30 * SECOND);
    expect((await ctx.service.sweep()).settle).toEqual({
      settled: [request.id],
      retried: [],
      unresolved: [],
      checks: 1,
    });
    expect(await ctx.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      mimecastId: 'mc-found',
      // Granted when the add was made, and for as long as approved from then.
      grantedAt: since,
      expiresAt: new Date(since.getTime() + 24 * HOUR),
      settleChecks: 1,
    });
    expect((await ctx.store.getRequest(request.id))?.nextSettleAt).toBeUndefined();
    expect((await ctx.store.getRequest(request.id))?.failure).toBeUndefined();
    expect(ctx.mimecast.finds).toEqual(['alice@example.com', 'alice@example.com']);
    expect(ctx.mimecast.adds).toHaveLength(1);
    expect(await auditOf(ctx, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_outcome_unknown',
      'outcome_check_started',
      'outcome_settled',
    ]);
    const audit = await ctx.store.listAudit({ requestId: request.id });
    expect(audit.at(-1)).toMatchObject({
      fromStatus: 'settling',
      toStatus: 'completed',
      details: { check: 1, found: true, mimecastId: 'mc-found' },
    });
    expect((await noticesOf(ctx, request.id)).slice(-3)).toEqual([
      'card:settled',
      'thread:settled',
      'dm:settled',
    ]);
  });

  it('absent at every check (30 s, 2 min, 10 min): added once more under the same approval, recorded as attempt 2', async () => {
    const ctx = serviceFixture();
    const since = ctx.clock();
    const request = await settling(ctx);
    ctx.clock.advance(30 * SECOND);
    await ctx.service.sweep();
    expect(await ctx.store.getRequest(request.id)).toMatchObject({
      status: 'settling',
      settleChecks: 1,
      nextSettleAt: new Date(since.getTime() + 2 * MINUTE),
    });
    ctx.clock.advance(89 * SECOND);
    await ctx.service.sweep();
    expect(ctx.mimecast.finds).toHaveLength(2);
    ctx.clock.advance(1 * SECOND);
    await ctx.service.sweep();
    expect(await ctx.store.getRequest(request.id)).toMatchObject({
      settleChecks: 2,
      nextSettleAt: new Date(since.getTime() + 10 * MINUTE),
    });
    ctx.clock.advance(8 * MINUTE);
    const report = await ctx.service.sweep();
    expect(report.settle).toEqual({ settled: [], retried: [request.id], unresolved: [], checks: 1 });
    expect(ctx.mimecast.finds).toEqual(Array(4).fill('alice@example.com'));
    expect(ctx.mimecast.adds).toEqual([
      { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' },
      { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' },
    ]);
    const done = await ctx.store.getRequest(request.id);
    expect(done).toMatchObject({ status: 'completed', mimecastId: 'mc-2', addAttempt: 2, decidedBy: BOB });
    expect(await auditOf(ctx, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_outcome_unknown',
      'outcome_check_started',
      'outcome_check_absent',
      'outcome_check_started',
      'outcome_check_absent',
      'outcome_check_started',
      'provisioning_retried',
      'provisioned',
    ]);
    const audit = await ctx.store.listAudit({ requestId: request.id });
    const retried = audit.find((event) => event.action === 'provisioning_retried');
    expect(retried).toMatchObject({
      actor: 'system',
      fromStatus: 'settling',
      toStatus: 'provisioning',
      details: {
        attempt: 2,
        checks: 3,
        approvedBy: BOB,
        approvedAt: since.toISOString(),
        firstOutcome: 'outcome_unknown',
      },
    });
    expect(audit.at(-1)).toMatchObject({
      toStatus: 'completed',
      details: { mimecastId: 'mc-2', attempt: 2 },
    });
    // Nobody was told "checking" again: the outcome of the second add is what they hear.
    expect((await noticesOf(ctx, request.id)).slice(-4)).toEqual([
      'dm:checking',
      'card:provisioned',
      'thread:provisioned',
      'dm:provisioned',
    ]);
    // Each check asked for a sweep at its time (a sweep asks again for the next one: the same times).
    expect([...new Set(ctx.wakes.map((at) => at.getTime()))]).toEqual([
      since.getTime() + 30 * SECOND,
      since.getTime() + 2 * MINUTE,
      since.getTime() + 10 * MINUTE,
    ]);
  });

  it('a second unknown outcome goes to the admins, and no third add is made', async () => {
    const ctx = serviceFixture();
    const request = await settling(ctx);
    ctx.mimecast.outcomes.push({ ok: false, kind: 'server_error', message: 'HTTP 503', httpStatus: 503 });
    ctx.clock.advance(10 * MINUTE);
    await ctx.service.sweep();
    expect(await ctx.store.getRequest(request.id)).toMatchObject({
      status: 'outcome_unknown',
      addAttempt: 2,
      failure: { kind: 'server_error', message: 'HTTP 503' },
    });
    expect(ctx.mimecast.adds).toHaveLength(2);
    expect((await ctx.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
      action: 'provisioning_outcome_unknown',
      fromStatus: 'provisioning',
      toStatus: 'outcome_unknown',
      details: { kind: 'server_error', attempt: 2 },
    });
    expect((await noticesOf(ctx, request.id)).slice(-3)).toEqual([
      'card:outcome_unknown',
      'thread:outcome_unknown',
      'dm:outcome_unknown',
    ]);
    ctx.clock.advance(HOUR);
    await ctx.service.sweep();
    expect(ctx.mimecast.adds).toHaveLength(2);
  });

  const refusals: MimecastResult<never>[] = [
    { ok: false, kind: 'permission', message: 'forbidden', httpStatus: 403 },
    { ok: false, kind: 'not_found', message: 'no such endpoint', httpStatus: 404 },
    { ok: false, kind: 'authentication', message: 'bad signature', httpStatus: 401 },
    { ok: false, kind: 'binding_expired', message: 'binding expired', httpStatus: 418 },
  ];
  for (const refusal of refusals) {
    it(`a search refused (${refusal.ok ? '' : refusal.kind}) goes to the admins at once, nothing added again`, async () => {
      const ctx = serviceFixture();
      const request = await settling(ctx);
      ctx.mimecast.findOutcomes.push(refusal);
      ctx.clock.advance(30 * SECOND);
      expect((await ctx.service.sweep()).settle.unresolved).toEqual([request.id]);
      const after = await ctx.store.getRequest(request.id);
      expect(after).toMatchObject({
        status: 'outcome_unknown',
        failure: { kind: 'outcome_unknown' },
        settleProblem: { kind: refusal.ok ? '' : refusal.kind },
        settleChecks: 1,
      });
      expect(after?.nextSettleAt).toBeUndefined();
      expect((await ctx.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
        action: 'outcome_check_refused',
        fromStatus: 'settling',
        toStatus: 'outcome_unknown',
        details: { check: 1, kind: refusal.ok ? '' : refusal.kind },
      });
      expect((await noticesOf(ctx, request.id)).slice(-3)).toEqual([
        'card:outcome_unknown',
        'thread:outcome_unknown',
        'dm:outcome_unknown',
      ]);
      ctx.clock.advance(HOUR);
      await ctx.service.sweep();
      expect(ctx.mimecast.adds).toHaveLength(1);
      expect(ctx.mimecast.finds).toHaveLength(2);
    });
  }

  it('a search that gets no answer waits for the next check; at the last one the admins are told', async () => {
    const ctx = serviceFixture();
    const request = await settling(ctx);
    const busy = { ok: false, kind: 'server_error', message: 'HTTP 502', httpStatus: 502 } as const;
    ctx.mimecast.findOutcomes.push(busy, [], {
      ok: false,
      kind: 'rate_limited',
      message: 'quota',
      retryAfterMs: 5,
    });
    ctx.clock.advance(30 * SECOND);
    await ctx.service.sweep();
    expect(await ctx.store.getRequest(request.id)).toMatchObject({ status: 'settling', settleChecks: 1 });
    ctx.clock.advance(10 * MINUTE);
    await ctx.service.sweep();
    expect(await ctx.store.getRequest(request.id)).toMatchObject({
      status: 'outcome_unknown',
      settleChecks: 3,
      settleProblem: { kind: 'rate_limited' },
    });
    expect(await auditOf(ctx, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_outcome_unknown',
      'outcome_check_started',
      'outcome_check_failed',
      'outcome_check_started',
      'outcome_check_absent',
      'outcome_check_started',
      'outcome_check_failed',
    ]);
    // Absent once is not absent at the last search: no second add without a readable answer.
    expect(ctx.mimecast.adds).toHaveLength(1);
  });

  it('a sweep asks to be woken for the next check, also one an earlier process left', async () => {
    const ctx = serviceFixture();
    const since = ctx.clock();
    // As a stopped process left it: settling, its next check 2 minutes after the add.
    await ctx.store.createRequest(
      {
        id: 'DR-LEFT00',
        status: 'settling',
        requesterId: ALICE,
        granteeEmail: 'alice@example.com',
        mailbox: 'sales@example.com',
        reason: 'cover',
        durationHours: 24,
        createdAt: since,
        updatedAt: since,
        settleSince: since,
        settleChecks: 1,
        nextSettleAt: new Date(since.getTime() + 2 * MINUTE),
        version: 5,
      },
      { requestId: 'DR-LEFT00', actor: ALICE, action: 'submitted' },
      [],
    );
    ctx.clock.advance(1 * MINUTE);
    expect((await ctx.service.sweep()).settle.checks).toBe(0);
    expect(ctx.wakes).toEqual([new Date(since.getTime() + 2 * MINUTE)]);
    expect(ctx.mimecast.finds).toEqual([]);
  });

  it('tells the mailbox owner of the grant when its policy rule says so, as a direct grant would', async () => {
    const ctx = serviceFixture();
    const since = ctx.clock();
    await ctx.store.createRequest(
      {
        id: 'DR-OWNER0',
        status: 'settling',
        requesterId: ALICE,
        granteeEmail: 'alice@example.com',
        mailbox: 'ceo@example.com',
        reason: 'cover',
        durationHours: 24,
        createdAt: since,
        updatedAt: since,
        decidedBy: BOB,
        route: {
          rule: 'executives',
          policyHash: 'abc',
          approverGroupIds: ['SAPP'],
          approvals: 1,
          channelId: 'CEXEC',
          durationChoicesHours: [24],
          owner: 'notify',
          ownerId: 'UCEO',
        },
        settleSince: since,
        settleChecks: 0,
        nextSettleAt: new Date(since.getTime() + 30 * SECOND),
        version: 4,
      },
      { requestId: 'DR-OWNER0', actor: ALICE, action: 'submitted' },
      [],
    );
    ctx.mimecast.rights = [{ id: 'mc-ceo', mailbox: 'ceo@example.com' }];
    ctx.clock.advance(30 * SECOND);
    await ctx.service.sweep();
    expect(await noticesOf(ctx, 'DR-OWNER0')).toEqual([
      'card:settled',
      'thread:settled',
      'dm:settled',
      'owner:granted',
    ]);
  });

  it('after a restart that missed the checks, makes them now, one after the other', async () => {
    const ctx = serviceFixture();
    const request = await settling(ctx);
    ctx.clock.advance(25 * MINUTE);
    const report = await ctx.service.sweep();
    expect(report.settle).toEqual({ settled: [], retried: [request.id], unresolved: [], checks: 3 });
    expect(await ctx.store.getRequest(request.id)).toMatchObject({ status: 'completed', addAttempt: 2 });
  });

  it('two sweeps at once (two replicas on one database) search once per check and add once more, not twice', async () => {
    const store = new SqliteStore(':memory:');
    const clock = fixedClock();
    const mimecast = new FakeMimecast();
    const one = serviceFixture({ store, clock, mimecast });
    const other = serviceFixture({ store, clock, mimecast });
    const request = await settling(one);
    for (const wait of [30 * SECOND, 90 * SECOND, 8 * MINUTE]) {
      clock.advance(wait);
      let release = () => {};
      mimecast.holdFinds = new Promise((resolve) => {
        release = resolve;
      });
      const both = [one.service.sweep(), other.service.sweep()];
      // One sweep holds the check (its search held here); the other, refused the claim, ends first.
      const first = await Promise.race(both);
      expect(first.settle.checks).toBe(0);
      mimecast.holdFinds = undefined;
      release();
      const reports = await Promise.all(both);
      expect(reports.map((report) => report.settle.checks).sort()).toEqual([0, 1]);
    }
    expect(mimecast.finds).toHaveLength(4);
    expect(mimecast.adds).toHaveLength(2);
    expect(await store.getRequest(request.id)).toMatchObject({ status: 'completed', addAttempt: 2 });
    expect(
      (await auditOf(one, request.id)).filter((action) => action === 'outcome_check_started'),
    ).toHaveLength(3);
  });

  it('makes no check once an orderly stop has begun', async () => {
    const ctx = serviceFixture();
    const request = await settling(ctx);
    ctx.clock.advance(30 * SECOND);
    await ctx.service.drain();
    expect((await ctx.service.sweep()).settle.checks).toBe(0);
    expect((await ctx.store.getRequest(request.id))?.status).toBe('settling');
  });
});
