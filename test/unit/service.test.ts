import { beforeEach, describe, expect, it } from 'vitest';
import type { SubmitResult } from '../../src/requests/submit.js';
import { submissionErrorText } from '../../src/slack/copy/requester.js';
import { serviceFixture } from '../support/fakes.js';

const ALICE = 'UALICE';
const BOB = 'UBOB';
const CAROL = 'UCAROL';

function setup(options: { domains?: string[] } = {}) {
  return serviceFixture(options);
}

/** What the form shows under each field: the service's problem codes, in the requester's words. */
function wordsOf(result: SubmitResult) {
  return result.ok ? undefined : submissionErrorText(result.errors);
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
    [
      'not-an-address',
      { code: 'invalid' },
      'That is not a valid email address. Enter it like sales@example.com.',
    ],
    ['', { code: 'missing' }, 'Enter the address of the mailbox you need access to.'],
    [
      'sales@other.org',
      { code: 'domain_not_allowed', allowedDomains: ['example.com'] },
      'Only mailboxes in @example.com can be requested here.',
    ],
    [
      'alice@example.com',
      { code: 'own_mailbox' },
      'That is your own mailbox: you already have access to it.',
    ],
  ])('refuses mailbox %j', async (mailbox, problem, message) => {
    const result = await ctx.service.submit({ requesterId: ALICE, mailbox, reason: 'needed for work' });
    expect(result).toEqual({ ok: false, errors: { mailbox: problem } });
    expect(wordsOf(result)).toEqual({ mailbox: message });
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it('refuses an empty, too short or too long reason, and an unoffered duration', async () => {
    const empty = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: ' \u0000 ',
    });
    expect(empty).toEqual({ ok: false, errors: { reason: { code: 'too_short', min: 3 } } });
    expect(wordsOf(empty)).toEqual({ reason: 'Say why you need access, so the approver can decide.' });
    const long = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'x'.repeat(1001),
    });
    expect(long).toEqual({ ok: false, errors: { reason: { code: 'too_long', max: 1000, length: 1001 } } });
    expect(wordsOf(long)).toEqual({ reason: 'Keep the reason under 1000 characters (it has 1001).' });
    const duration = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'needed',
      durationHours: 5,
    });
    expect(duration).toEqual({ ok: false, errors: { duration: { code: 'not_offered' } } });
    expect(wordsOf(duration)).toEqual({ duration: 'Choose one of the offered durations.' });
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it('refuses a requester outside the requester groups, and one without an email', async () => {
    const outsider = await ctx.service.submit({
      requesterId: CAROL,
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    expect(outsider).toEqual({ ok: false, errors: { mailbox: { code: 'not_requester' } } });
    expect(wordsOf(outsider)?.mailbox).toMatch(/not in a group that may request/);
    ctx.directory.member('SREQ', 'UNOEMAIL');
    const noEmail = await ctx.service.submit({
      requesterId: 'UNOEMAIL',
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    expect(noEmail).toEqual({ ok: false, errors: { mailbox: { code: 'no_profile_email' } } });
    expect(wordsOf(noEmail)?.mailbox).toMatch(/Slack profile has no email address/);
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
      errors: { mailbox: { code: 'duplicate', mailbox: 'sales@example.com', pendingId: id } },
    });
    expect(wordsOf(second)).toEqual({
      mailbox: `You already have a request for sales@example.com waiting (${id}). Use /delegate status ${id} to follow it.`,
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

  it('records a classified failure, and an unknown outcome as one to check in Mimecast', async () => {
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
      status: 'settling',
      failure: { kind: 'outcome_unknown', message: 'timed out' },
      settleSince: ctx.clock(),
      settleChecks: 0,
      nextSettleAt: new Date(ctx.clock().getTime() + 30_000),
    });
  });

  it('after a restart, resumes approved requests, settles interrupted ones by checking Mimecast, and resends what was being sent', async () => {
    const ctx = setup();
    // Approved by a process that stopped before its Mimecast call (an approval queues that call itself).
    const approvedBy = (id: string, approver: string) =>
      ctx.store.transition({
        id,
        name: 'approve',
        at: ctx.clock(),
        patch: { decidedBy: approver, decidedAt: ctx.clock() },
        audit: { actor: approver, action: 'approved' },
        notices: [{ target: 'card', event: 'approved' }],
      });
    const approvedOnly = await pending(ctx);
    await approvedBy(approvedOnly.id, BOB);
    ctx.directory.email(BOB, 'bob@example.com');
    const midCall = await ctx.service.submit({
      requesterId: BOB,
      mailbox: 'info@example.com',
      reason: 'needed',
    });
    if (!midCall.ok) throw new Error('submit failed');
    await approvedBy(midCall.request.id, CAROL);
    const callStartedAt = ctx.clock();
    await ctx.store.transition({
      id: midCall.request.id,
      name: 'startProvisioning',
      at: callStartedAt,
      audit: { actor: 'system', action: 'provisioning_started' },
    });
    ctx.clock.advance(5_000); // the restart comes later

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
      removalsInterrupted: [],
      noticesReleased: inFlight.length,
    });
    const due = (await ctx.store.dueNotices(ctx.clock(), 100)).map((notice) => notice.id);
    expect(due).toEqual(expect.arrayContaining(inFlight.map((notice) => notice.id)));
    expect(ctx.mimecast.adds).toEqual([
      { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' },
    ]);
    // Its checks count from when the call began, not from the restart.
    expect(await ctx.store.getRequest(midCall.request.id)).toMatchObject({
      status: 'settling',
      failure: { kind: 'interrupted' },
      settleSince: callStartedAt,
      nextSettleAt: new Date(callStartedAt.getTime() + 30_000),
    });
    expect((await ctx.store.listAudit({ requestId: midCall.request.id })).at(-1)).toMatchObject({
      action: 'provisioning_interrupted',
      fromStatus: 'provisioning',
      toStatus: 'settling',
    });
    expect((await ctx.store.getRequest(approvedOnly.id))?.status).toBe('completed');
  });

  it('lets only the requester cancel, and only while pending', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    expect(await ctx.service.cancel(request.id, BOB)).toEqual({
      ok: false,
      reason: 'not_yours',
      seesAll: true,
    });
    expect((await ctx.service.cancel(request.id, ALICE)).ok).toBe(true);
    expect(await ctx.service.cancel(request.id, ALICE)).toMatchObject({ ok: false, reason: 'not_pending' });
    expect((await ctx.service.approve(request.id, BOB)).ok).toBe(false);
  });
});

describe('RequestService: an approval queues the grant itself', () => {
  async function pending(ctx: ReturnType<typeof setup>) {
    const result = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    if (!result.ok) throw new Error('submit failed');
    return result.request;
  }

  it('provisions after an approval without being asked, and idle() waits for it', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    let release = () => {};
    ctx.mimecast.hold = new Promise((resolve) => {
      release = resolve;
    });
    const approved = await ctx.service.approve(request.id, BOB);
    if (!approved.ok) throw new Error('approval refused');
    expect(ctx.service.busy).toBe(true);
    let idle = false;
    const waiting = ctx.service.idle().then(() => {
      idle = true;
    });
    await ctx.store.getRequest(request.id); // a few turns of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    expect(ctx.mimecast.adds).toHaveLength(1);
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(ctx.service.busy).toBe(false);
    expect(await approved.provisioning).toMatchObject({ status: 'completed', mimecastId: 'mc-1' });
    expect((await ctx.store.getRequest(request.id))?.status).toBe('completed');
    // Asked again (recovery, a second caller): the request is claimed once, Mimecast called once.
    await ctx.service.provision(request.id);
    expect(ctx.mimecast.adds).toHaveLength(1);
  });

  it('a fault of its own while granting: the approval stands, provisioning rejects, and it is logged once', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    const transition = ctx.store.transition.bind(ctx.store);
    ctx.store.transition = async (input) => {
      if (input.name === 'startProvisioning') throw new Error('disk I/O error');
      return transition(input);
    };
    const approved = await ctx.service.approve(request.id, BOB);
    if (!approved.ok) throw new Error('approval refused');
    await expect(approved.provisioning).rejects.toThrow('disk I/O error');
    await ctx.service.idle();
    expect(await ctx.store.getRequest(request.id)).toMatchObject({ status: 'approved', decidedBy: BOB });
    expect(ctx.mimecast.adds).toEqual([]);
    const errors = ctx.logLines().filter((line) => line.level >= 50);
    expect(errors).toEqual([
      expect.objectContaining({ msg: 'provisioning failed', requestId: request.id, approver: BOB }),
    ]);
  });

  it('answers whether someone may decide, before the deny form opens', async () => {
    const ctx = setup();
    const request = await pending(ctx);
    expect(await ctx.service.mayDecide(request.id, CAROL)).toMatchObject({
      ok: true,
      request: { id: request.id },
    });
    expect(await ctx.service.mayDecide(request.id, ALICE)).toEqual({ ok: false, reason: 'own_request' });
    expect(await ctx.service.mayDecide(request.id, 'UNOBODY')).toEqual({ ok: false, reason: 'not_approver' });
    expect(await ctx.service.mayDecide('DR-AAAAAA', CAROL)).toEqual({ ok: false, reason: 'not_found' });
  });
});

describe('RequestService: who may see, end and revoke', () => {
  async function granted(ctx: ReturnType<typeof setup>) {
    const result = await ctx.service.submit({
      requesterId: ALICE,
      mailbox: 'sales@example.com',
      reason: 'needed',
    });
    if (!result.ok) throw new Error('submit failed');
    const approved = await ctx.service.approve(result.request.id, BOB);
    if (!approved.ok) throw new Error('approval refused');
    const done = await approved.provisioning;
    if (done?.status !== 'completed') throw new Error(`not completed: ${done?.status}`);
    return done;
  }

  it('shows a request to its requester, approvers and admins only', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    for (const user of [ALICE, BOB, CAROL, 'UADMIN']) {
      expect(await ctx.service.viewRequest(grant.id, user), user).toMatchObject({
        ok: true,
        request: { id: grant.id },
      });
    }
    ctx.directory.email('UDAVE', 'dave@example.com');
    // Someone else's request and no request at all get the same answer, unless one may see every request.
    const notMine = await ctx.service.viewRequest(grant.id, 'UDAVE');
    expect(notMine).toEqual({ ok: false, reason: 'not_found', seesAll: false });
    expect(await ctx.service.viewRequest('DR-AAAAAA', 'UDAVE')).toEqual(notMine);
    expect(await ctx.service.viewRequest('DR-AAAAAA', ALICE)).toEqual(notMine);
    for (const user of [CAROL, 'UADMIN']) {
      expect(await ctx.service.viewRequest('DR-AAAAAA', user), user).toEqual({
        ok: false,
        reason: 'not_found',
        seesAll: true,
      });
    }
  });

  it('lets only the grantee end access early: not an approver, not an admin', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    for (const user of [BOB, 'UADMIN', 'UNOBODY']) {
      expect(await ctx.service.endAccess(grant.id, user), user).toEqual({ ok: false, reason: 'not_grantee' });
    }
    expect(await ctx.service.endAccess('DR-AAAAAA', ALICE)).toEqual({ ok: false, reason: 'not_grantee' });
    expect((await ctx.store.getRequest(grant.id))?.status).toBe('completed');
    expect(ctx.mimecast.removes).toEqual([]);
    const ended = await ctx.service.endAccess(grant.id, ALICE);
    expect(ended).toMatchObject({ ok: true, request: { status: 'removed', endReason: 'ended_by_grantee' } });
    expect(ctx.mimecast.removes).toEqual(['mc-1']);
  });

  it('runs admin commands for admins only, recording every attempt, and revokes with the permit', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    const refused = await ctx.service.authorizeAdmin(BOB, 'revoke', grant.id);
    expect(refused).toEqual({ ok: false, reason: 'not_admin' });
    const allowed = await ctx.service.authorizeAdmin('UADMIN', 'revoke', grant.id);
    if (!allowed.ok) throw new Error('admin refused');
    expect((await ctx.store.getRequest(grant.id))?.status).toBe('completed');
    const revoked = await ctx.service.revoke(allowed.permit, grant.id);
    expect(revoked).toMatchObject({
      ok: true,
      request: { status: 'removed', endReason: 'revoked', endedBy: 'UADMIN' },
    });
    const unknown = await ctx.service.authorizeAdmin('UADMIN', 'audit', 'someone@example.com');
    expect(unknown.ok).toBe(true);
    await ctx.service.authorizeAdmin(ALICE, 'pending');
    const audit = (await ctx.store.listAudit({})).filter((e) => e.action.startsWith('admin_command'));
    expect(audit.map((e) => [e.actor, e.action, e.requestId, e.details])).toEqual([
      [BOB, 'admin_command_refused', grant.id, { command: 'revoke', target: grant.id }],
      ['UADMIN', 'admin_command', grant.id, { command: 'revoke', target: grant.id }],
      ['UADMIN', 'admin_command', null, { command: 'audit', target: 'someone@example.com' }],
      [ALICE, 'admin_command_refused', null, { command: 'pending' }],
    ]);
  });
});
