import { beforeEach, describe, expect, it } from 'vitest';
import { serviceFixture } from '../support/fakes.js';

const ALICE = 'UALICE';
const BOB = 'UBOB';
const CAROL = 'UCAROL';

function setup(options: { domains?: string[] } = {}) {
  return serviceFixture(options);
}

describe('RequestService.submit', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup({ domains: ['example.com'] });
  });

  it('records a pending request with its audit event and notices', async () => {
    const result = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: ' Sales@Example.com ',
      reason: 'cover the queue',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request).toMatchObject({
      status: 'pending',
      requesterId: ALICE,
      granteeEmail: 'alice@example.com',
      mailbox: 'sales@example.com',
      reason: 'cover the queue',
      durationHours: 24,
    });
    expect(result.request.id).toMatch(/^DR-[0-9A-Z]{6}$/);
    expect(await ctx.store.getRequest(result.request.id)).toEqual(result.request);
    const audit = await ctx.store.listAudit({ requestId: result.request.id });
    expect(audit.map((e) => [e.actor, e.action, e.toStatus])).toEqual([[ALICE, 'submitted', 'pending']]);
    const notices = await ctx.store.dueNotices(ctx.clock(), 10);
    expect(notices.map((n) => `${n.target}:${n.event}`)).toEqual(['card:submitted']);
    expect(ctx.kicks()).toBe(1);
  });

  it.each([
    ['not-an-address', 'mailbox', 'That is not a valid email address. Enter it like sales@example.com.'],
    ['', 'mailbox', 'Enter the address of the mailbox you need access to.'],
    ['sales@other.org', 'mailbox', 'Only mailboxes in @example.com can be requested here.'],
    ['alice@example.com', 'mailbox', 'That is your own mailbox: you already have access to it.'],
  ])('refuses mailbox %j', async (mailbox, field, message) => {
    const result = await ctx.service.submit({ requesterId: ALICE, mailbox, reason: 'needed for work' });
    expect(result).toEqual({ ok: false, errors: { [field]: message } });
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it('refuses an empty, too short or too long reason, and an unoffered duration', async () => {
    const empty = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: ' \u0000 ',
    });
    expect(empty).toEqual({
      ok: false,
      errors: { reason: 'Say why you need access, so the approver can decide.' },
    });
    const long = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'x'.repeat(1001),
    });
    expect(long).toEqual({
      ok: false,
      errors: { reason: 'Keep the reason under 1000 characters (it has 1001).' },
    });
    const duration = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'needed',
      durationHours: 5,
    });
    expect(duration).toEqual({ ok: false, errors: { duration: 'Choose one of the offered durations.' } });
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it('refuses a requester outside the requester groups, and one without an email', async () => {
    const outsider = await ctx.service.submit({
      requesterId: CAROL,
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    expect(outsider.ok).toBe(false);
    expect(!outsider.ok && outsider.errors.mailbox).toMatch(/not in a group that may request/);
    ctx.directory.member('SREQ', 'UNOEMAIL');
    const noEmail = await ctx.service.submit({
      requesterId: 'UNOEMAIL',
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    expect(!noEmail.ok && noEmail.errors.mailbox).toMatch(/Slack profile has no email address/);
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it('points to an identical request already waiting', async () => {
    const first = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    const second = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'SALES@example.com',
      reason: 'again',
    });
    expect(first.ok).toBe(true);
    const id = first.ok ? first.request.id : '';
    expect(second).toEqual({
      ok: false,
      errors: {
        mailbox: `You already have a request for sales@example.com waiting (${id}). Use /delegate status ${id} to follow it.`,
      },
    });
    expect(await ctx.store.listRequests({})).toHaveLength(1);
  });
});

describe('RequestService decisions and provisioning', () => {
  async function pending(ctx: ReturnType<typeof setup>) {
    const result = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    if (!result.ok) throw new Error('submit failed');
    return result.request;
  }

  it('approves once, provisions once, and records the Mimecast id and expiry', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    const approved = await ctx.service.approve(request.id, BOB);
    expect(approved.ok && approved.request.status).toBe('approved');
    const done = await ctx.service.provision(request.id);
    expect(ctx.mimecast.adds).toEqual([
      { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' },
    ]);
    expect(done).toMatchObject({
      status: 'completed',
      mimecastId: 'mc-1',
      decidedBy: BOB,
      grantedAt: new Date('2026-11-28T10:00:00.000Z'),
      expiresAt: new Date('2026-11-29T10:00:00.000Z'),
    });
    // A second provision call (retry, second replica) finds nothing to claim.
    await ctx.service.provision(request.id);
    expect(ctx.mimecast.adds).toHaveLength(1);
    const audit = await ctx.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => `${e.action}:${e.fromStatus ?? ''}>${e.toStatus}`)).toEqual([
      'submitted:>pending',
      'approved:pending>approved',
      'provisioning_started:approved>provisioning',
      'provisioned:provisioning>completed',
    ]);
  });

  it('refuses non-approvers, self-approval, and a second decision, changing nothing', async () => {
    const ctx = setup();
    ctx.directory.member('SAPP', ALICE);
    const request = await pending(ctx);
    expect(await ctx.service.approve(request.id, 'UNOBODY')).toEqual({ ok: false, reason: 'not_approver' });
    expect(await ctx.service.approve(request.id, ALICE)).toEqual({ ok: false, reason: 'own_request' });
    expect(await ctx.service.approve('DR-AAAAAA', BOB)).toEqual({ ok: false, reason: 'not_found' });
    expect((await ctx.store.getRequest(request.id))?.status).toBe('pending');
    await ctx.service.deny(request.id, BOB, 'not this week');
    const again = await ctx.service.approve(request.id, CAROL);
    expect(again).toMatchObject({
      ok: false,
      reason: 'already_decided',
      request: { status: 'denied', decidedBy: BOB },
    });
    expect((await ctx.store.getRequest(request.id))?.denyReason).toBe('not this week');
    expect(ctx.mimecast.adds).toHaveLength(0);
  });

  it('keeps a deny reason to 1000 characters without cutting an emoji in half', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    await ctx.service.deny(request.id, BOB, `x${'🎉'.repeat(600)}`);
    const denyReason = (await ctx.store.getRequest(request.id))?.denyReason ?? '';
    expect(denyReason).toBe(`x${'🎉'.repeat(499)}`);
    expect(denyReason).not.toMatch(/[\uD800-\uDBFF]$/);
  });

  it('lets exactly one of many concurrent approvals win', async () => {
    const ctx = setup();
    const approvers = Array.from({ length: 20 }, (_, i) => `UAPP${i}`);
    ctx.directory.member('SAPP', ...approvers);
    const request = await pending(ctx);
    const results = await Promise.all(approvers.map((id) => ctx.service.approve(request.id, id)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'already_decided')).toHaveLength(19);
    await Promise.all(approvers.map(() => ctx.service.provision(request.id)));
    expect(ctx.mimecast.adds).toHaveLength(1);
  });

  it('records a classified failure and an unknown outcome', async () => {
    const ctx = setup();
    ctx.mimecast.outcomes.push(
      { ok: false, kind: 'binding_expired', message: 'binding expired', httpStatus: 418 },
      { ok: false, kind: 'outcome_unknown', message: 'timed out' },
    );
    const first = await pending(ctx);
    await ctx.service.approve(first.id, BOB);
    expect(await ctx.service.provision(first.id)).toMatchObject({
      status: 'failed',
      failure: { kind: 'binding_expired', message: 'binding expired' },
    });
    ctx.directory.email(BOB, 'bob@example.com');
    const second = await ctx.service.submit({
      requesterId: BOB,
      mailbox: 'info@example.com',
      reason: 'needed',
    });
    if (!second.ok) throw new Error('submit failed');
    await ctx.service.approve(second.request.id, CAROL);
    expect(await ctx.service.provision(second.request.id)).toMatchObject({
      status: 'outcome_unknown',
      failure: { kind: 'outcome_unknown' },
    });
  });

  it('after a restart, resumes approved requests, hands interrupted ones to an admin, and resends what was being sent', async () => {
    const ctx = setup();
    const approvedOnly = await pending(ctx);
    await ctx.service.approve(approvedOnly.id, BOB);
    ctx.directory.email(BOB, 'bob@example.com');
    const midCall = await ctx.service.submit({
      requesterId: BOB,
      mailbox: 'info@example.com',
      reason: 'needed',
    });
    if (!midCall.ok) throw new Error('submit failed');
    await ctx.service.approve(midCall.request.id, CAROL);
    await ctx.store.transition({
      id: midCall.request.id,
      name: 'startProvisioning',
      at: ctx.clock(),
      audit: { actor: 'system', action: 'provisioning_started' },
    });

    // The stopped process was delivering notices: claimed for a minute, by a process that is gone.
    const inFlight = await ctx.store.claimDueNotices(
      ctx.clock(),
      new Date(ctx.clock().getTime() + 60_000),
      100,
    );
    expect(inFlight.length).toBeGreaterThan(0);
    expect(await ctx.store.dueNotices(ctx.clock(), 100)).toEqual([]);

    const recovered = await ctx.service.recoverInterrupted();
    expect(recovered).toEqual({
      resumed: [approvedOnly.id],
      interrupted: [midCall.request.id],
      noticesReleased: inFlight.length,
    });
    const due = (await ctx.store.dueNotices(ctx.clock(), 100)).map((notice) => notice.id);
    expect(due).toEqual(expect.arrayContaining(inFlight.map((notice) => notice.id)));
    expect(ctx.mimecast.adds).toEqual([
      { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' },
    ]);
    expect((await ctx.store.getRequest(midCall.request.id))?.status).toBe('outcome_unknown');
    expect((await ctx.store.getRequest(approvedOnly.id))?.status).toBe('completed');
  });

  it('lets only the requester cancel, and only while pending', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    expect(await ctx.service.cancel(request.id, BOB)).toEqual({ ok: false, reason: 'not_yours' });
    expect((await ctx.service.cancel(request.id, ALICE)).ok).toBe(true);
    expect(await ctx.service.cancel(request.id, ALICE)).toMatchObject({ ok: false, reason: 'not_pending' });
    expect((await ctx.service.approve(request.id, BOB)).ok).toBe(false);
  });
});
