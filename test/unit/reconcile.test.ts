import { describe, expect, it } from 'vitest';
import type { DriftFinding } from '../../src/requests/findings.js';
import type { CardRef, DelegationRequest } from '../../src/requests/model.js';
import type { AdminPermit } from '../../src/requests/permissions.js';
import type { FindingDelivery } from '../../src/requests/ports/index.js';
import { RECONCILE_CONCURRENCY } from '../../src/requests/reconcile.js';
import { FakeMimecast, fixedClock, serviceFixture } from '../support/fakes.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

class FakeFindings implements FindingDelivery {
  readonly announced: string[] = [];
  readonly updated: string[] = [];
  failures = 0;
  async announce(finding: DriftFinding): Promise<CardRef> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Slack is down');
    }
    this.announced.push(finding.id);
    return { channel: 'CAPPROVALS', ts: `1.${this.announced.length}` };
  }
  async update(finding: DriftFinding & { message: CardRef }): Promise<void> {
    this.updated.push(`${finding.id}:${finding.status}`);
  }
}

function setup() {
  const clock = fixedClock();
  const mimecast = new FakeMimecast();
  const findings = new FakeFindings();
  const sleeps: number[] = [];
  const ctx = serviceFixture({
    clock,
    mimecast,
    findings,
    // Waiting moves the clock, as if the time had passed.
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
  });
  return { ...ctx, findings, sleeps };
}
type Ctx = ReturnType<typeof setup>;

let counter = 0;
/** A grant as the store would hold it, without going through Mimecast. */
async function grant(ctx: Ctx, overrides: Partial<DelegationRequest>): Promise<DelegationRequest> {
  counter += 1;
  const at = new Date(ctx.clock().getTime() - 2 * HOUR);
  const request: DelegationRequest = {
    id: `DR-TEST${String(counter).padStart(2, '0')}`,
    status: 'completed',
    requesterId: 'UALICE',
    granteeEmail: 'alice@example.com',
    mailbox: 'sales@example.com',
    reason: 'cover',
    durationHours: 24,
    createdAt: at,
    updatedAt: at,
    grantedAt: at,
    mimecastId: `mc-${counter}`,
    version: 1,
    ...overrides,
  };
  await ctx.store.createRequest(request, { requestId: request.id, actor: 'UALICE', action: 'submitted' }, []);
  return request;
}

async function permit(ctx: Ctx): Promise<AdminPermit> {
  const allowed = await ctx.service.authorizeAdmin('UADMIN', 'reconcile');
  if (!allowed.ok) throw new Error('not an admin');
  return allowed.permit;
}

describe('reconciliation, against a fake Mimecast', () => {
  it(`searches ${RECONCILE_CONCURRENCY} people at a time at most, each once`, async () => {
    const ctx = setup();
    const grantees = ['a', 'b', 'c', 'd', 'e'].map((name) => `${name}@example.com`);
    for (const grantee of grantees) {
      await grant(ctx, { granteeEmail: grantee });
      ctx.mimecast.rightsOf[grantee] = [{ id: `mc-${counter}`, mailbox: 'sales@example.com' }];
    }
    let inFlight = 0;
    let most = 0;
    const find = ctx.mimecast.findDelegates.bind(ctx.mimecast);
    ctx.mimecast.findDelegates = async (grantee) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Ends after every search started alongside it has started (a macrotask, after their microtasks).
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return find(grantee);
    };
    const result = await ctx.service.reconcile(await permit(ctx));
    expect(result).toMatchObject({ ok: true, report: { searched: 5, removedOutside: [], newFindings: [] } });
    expect(most).toBe(RECONCILE_CONCURRENCY);
    expect([...ctx.mimecast.finds].sort()).toEqual(grantees);
  });

  it('waits as long as a 429 says before any further search, and gives a person up after four', async () => {
    const ctx = setup();
    for (const grantee of ['a@example.com', 'b@example.com', 'c@example.com']) {
      await grant(ctx, { granteeEmail: grantee });
    }
    ctx.mimecast.rights = [{ id: 'mc-1', mailbox: 'sales@example.com' }];
    const start = ctx.clock().getTime();
    const searchedAt: string[] = [];
    const find = ctx.mimecast.findDelegates.bind(ctx.mimecast);
    ctx.mimecast.findDelegates = async (grantee) => {
      searchedAt.push(`${grantee[0]}+${ctx.clock().getTime() - start}`);
      // Mimecast refuses a@'s searches (after the client's own waits): 429, wait 700 ms.
      if (grantee.startsWith('a')) {
        ctx.mimecast.finds.push(grantee);
        return { ok: false, kind: 'rate_limited', message: 'quota', retryAfterMs: 700 };
      }
      return find(grantee);
    };
    const result = await ctx.service.reconcile(await permit(ctx));
    if (!result.ok) throw new Error('did not run');
    expect(result.report.searched).toBe(2);
    expect(result.report.problems).toEqual([{ kind: 'rate_limited', count: 1 }]);
    // a@ and b@ start together; c@ starts only after the pause a@'s first 429 began (700 ms); a@ is
    // tried four times, each after the pause the previous refusal asked for.
    const at = (who: string) =>
      searchedAt.filter((entry) => entry.startsWith(who)).map((entry) => Number(entry.split('+')[1]));
    expect(at('b')).toEqual([0]);
    expect(at('c')).toHaveLength(1);
    expect(at('c')[0]).toBeGreaterThanOrEqual(700);
    const a = at('a');
    expect(a).toHaveLength(4);
    for (let i = 1; i < a.length; i += 1) expect(a[i]! - a[i - 1]!).toBeGreaterThanOrEqual(700);
    expect(ctx.sleeps.every((ms) => ms === 700)).toBe(true);
  });

  it('leaves alone a grant too fresh to judge, a removal under way, and access another grant covers', async () => {
    const ctx = setup();
    // Granted 5 minutes ago: Mimecast may not list it yet.
    const fresh = await grant(ctx, { grantedAt: new Date(ctx.clock().getTime() - 5 * MINUTE) });
    const removing = await grant(ctx, { status: 'removing', mailbox: 'info@example.com' });
    // An ended grant of ceo@, while a newer one is active: its right (the same id) stays.
    const ended = await grant(ctx, {
      status: 'removed',
      mailbox: 'ceo@example.com',
      mimecastId: 'mc-ceo',
      endedAt: new Date(ctx.clock().getTime() - HOUR),
    });
    const active = await grant(ctx, { mailbox: 'ceo@example.com', mimecastId: 'mc-ceo' });
    ctx.mimecast.rightsOf['alice@example.com'] = [
      { id: 'mc-ceo', mailbox: 'ceo@example.com' },
      { id: 'mc-info', mailbox: 'info@example.com' },
    ];
    const result = await ctx.service.reconcile(await permit(ctx));
    expect(result).toMatchObject({
      ok: true,
      report: { searched: 1, removedOutside: [], removedAgain: [], newFindings: [] },
    });
    for (const request of [fresh, removing, ended, active]) {
      expect((await ctx.store.getRequest(request.id))?.status).toBe(request.status);
    }
    expect(ctx.mimecast.removes).toEqual([]);
  });

  it('ends a grant removed outside the bot: the grantee, the thread and (by its rule) the owner are told', async () => {
    const ctx = setup();
    const gone = await grant(ctx, {
      mailbox: 'ceo@example.com',
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
    });
    ctx.mimecast.rights = [];
    const result = await ctx.service.reconcile(await permit(ctx));
    expect(result).toMatchObject({ ok: true, report: { removedOutside: [gone.id] } });
    expect(await ctx.store.getRequest(gone.id)).toMatchObject({
      status: 'removed',
      endReason: 'removed_outside_bot',
      endedBy: 'UADMIN',
    });
    const notices = await ctx.store.dueNotices(new Date(ctx.clock().getTime() + HOUR), 10);
    expect(notices.map((notice) => `${notice.target}:${notice.event}`)).toEqual(['card:removed']);
    for (const notice of notices) await ctx.store.markNoticeDelivered(notice.id, ctx.clock());
    const rest: string[] = [];
    for (
      let due = await ctx.store.dueNotices(ctx.clock(), 10);
      due.length;
      due = await ctx.store.dueNotices(ctx.clock(), 10)
    ) {
      for (const notice of due) {
        rest.push(`${notice.target}:${notice.event}:${JSON.stringify(notice.data)}`);
        await ctx.store.markNoticeDelivered(notice.id, ctx.clock());
      }
    }
    expect(rest).toEqual([
      'thread:removed:{"why":"removed_outside_bot"}',
      'dm:removed:{"why":"removed_outside_bot"}',
      'owner:removed:{"why":"removed_outside_bot"}',
    ]);
  });

  it('reports as drift, not as a removal to repeat, a right that existed before its (ended) grant', async () => {
    const ctx = setup();
    await grant(ctx, {
      status: 'removed',
      preexisting: true,
      mimecastId: 'mc-manual',
      endedAt: new Date(ctx.clock().getTime() - HOUR),
    });
    ctx.mimecast.rightsOf['alice@example.com'] = [
      { id: 'mc-manual', mailbox: 'Sales@Example.com', source: 'ADCON' },
    ];
    const result = await ctx.service.reconcile(await permit(ctx));
    if (!result.ok) throw new Error('did not run');
    expect(result.report.removedAgain).toEqual([]);
    expect(result.report.newFindings).toEqual([
      expect.objectContaining({ mailbox: 'sales@example.com', mimecastId: 'mc-manual', source: 'ADCON' }),
    ]);
    expect(ctx.mimecast.removes).toEqual([]);
    expect(ctx.findings.announced).toEqual([result.report.newFindings[0]!.id]);
  });

  it('runs on a schedule only once its interval has passed, and never twice at once', async () => {
    const ctx = setup();
    await grant(ctx, {});
    ctx.mimecast.rights = [{ id: 'mc-1', mailbox: 'sales@example.com' }];
    expect(await ctx.service.reconcileIfDue(24 * HOUR)).toMatchObject({ ok: true });
    ctx.clock.advance(23 * HOUR);
    expect(await ctx.service.reconcileIfDue(24 * HOUR)).toEqual({ ok: false, reason: 'not_due' });
    // A run holding the job (here: one in another process) keeps an admin's run out.
    const startedAt = ctx.clock();
    await ctx.store.claimJob({
      name: 'reconcile',
      now: startedAt,
      lastStartedBefore: startedAt,
      leaseUntil: new Date(startedAt.getTime() + HOUR),
    });
    expect(await ctx.service.reconcile(await permit(ctx))).toEqual({
      ok: false,
      reason: 'already_running',
      since: startedAt,
    });
    expect(ctx.mimecast.finds).toHaveLength(1);
    await ctx.store.finishJob('reconcile', ctx.clock());
    ctx.clock.advance(25 * HOUR);
    expect(await ctx.service.reconcileIfDue(24 * HOUR)).toMatchObject({ ok: true });
    expect(ctx.mimecast.finds).toHaveLength(2);
  });

  it('tells the admins of a finding once Slack takes it: the sweep tries again', async () => {
    const ctx = setup();
    await grant(ctx, {});
    ctx.mimecast.rights = [
      { id: 'mc-1', mailbox: 'sales@example.com' },
      { id: 'mc-x', mailbox: 'ceo@example.com' },
    ];
    ctx.findings.failures = 1;
    const result = await ctx.service.reconcile(await permit(ctx));
    if (!result.ok) throw new Error('did not run');
    const [finding] = result.report.newFindings;
    expect(ctx.findings.announced).toEqual([]);
    expect(await ctx.store.listFindings({ unannounced: true })).toHaveLength(1);
    expect((await ctx.service.sweep()).findingsAnnounced).toBe(1);
    expect(ctx.findings.announced).toEqual([finding!.id]);
    expect((await ctx.store.getFinding(finding!.id))?.message).toEqual({ channel: 'CAPPROVALS', ts: '1.1' });
    expect((await ctx.service.sweep()).findingsAnnounced).toBe(0);
  });

  it('opens again a removal cut off long ago, closes a finding no longer listed, and leaves all when a search fails', async () => {
    const ctx = setup();
    await grant(ctx, {});
    ctx.mimecast.rights = [
      { id: 'mc-1', mailbox: 'sales@example.com' },
      { id: 'mc-x', mailbox: 'ceo@example.com' },
      { id: 'mc-y', mailbox: 'info@example.com' },
    ];
    const first = await ctx.service.reconcile(await permit(ctx));
    if (!first.ok) throw new Error('did not run');
    const [ceo, info] = first.report.newFindings;
    // An admin's removal of ceo@ was claimed, then the process died.
    await ctx.store.transitionFinding({
      id: ceo!.id,
      from: ['open'],
      to: 'removing',
      at: ctx.clock(),
      patch: { removalStartedAt: ctx.clock(), resolvedBy: 'UADMIN' },
      audit: { actor: 'UADMIN', action: 'drift_removal_started' },
    });
    ctx.mimecast.findOutcomes.push({ ok: false, kind: 'server_error', message: 'HTTP 502', httpStatus: 502 });
    ctx.clock.advance(HOUR);
    const failed = await ctx.service.reconcile(await permit(ctx));
    expect(failed).toMatchObject({
      ok: true,
      report: { searched: 0, problems: [{ kind: 'server_error', count: 1 }] },
    });
    expect((await ctx.store.getFinding(ceo!.id))?.status).toBe('removing');

    ctx.mimecast.rights = ctx.mimecast.rights.filter((right) => right.id !== 'mc-y');
    const second = await ctx.service.reconcile(await permit(ctx));
    if (!second.ok) throw new Error('did not run');
    expect(second.report.resolvedFindings).toEqual([info!.id]);
    expect(await ctx.store.getFinding(ceo!.id)).toMatchObject({ status: 'open' });
    expect(await ctx.store.getFinding(info!.id)).toMatchObject({ status: 'gone', resolvedBy: 'UADMIN' });
    expect(ctx.findings.updated).toEqual([`${info!.id}:gone`]);
    expect(second.report.standingFindings).toBe(1);
  });

  it('a right an add under way may have made is not drift; one of a request left outcome_unknown is', async () => {
    const ctx = setup();
    await grant(ctx, {});
    const underWay = [
      await grant(ctx, { status: 'approved', mailbox: 'a@example.com' }),
      await grant(ctx, { status: 'provisioning', mailbox: 'b@example.com' }),
      await grant(ctx, { status: 'settling', mailbox: 'c@example.com' }),
    ];
    // The bot stopped looking after this one: nothing will end it, so an admin must see it.
    await grant(ctx, { status: 'outcome_unknown', mailbox: 'd@example.com' });
    ctx.mimecast.rightsOf['alice@example.com'] = [
      { id: 'mc-1', mailbox: 'sales@example.com' },
      { id: 'mc-a', mailbox: 'A@example.com' },
      { id: 'mc-b', mailbox: 'b@example.com' },
      { id: 'mc-c', mailbox: 'c@example.com' },
      { id: 'mc-d', mailbox: 'd@example.com' },
    ];
    const result = await ctx.service.reconcile(await permit(ctx));
    if (!result.ok) throw new Error('did not run');
    expect(result.report.newFindings).toEqual([
      expect.objectContaining({ mailbox: 'd@example.com', mimecastId: 'mc-d' }),
    ]);
    expect(result.report.removedOutside).toEqual([]);
    for (const request of underWay) {
      expect((await ctx.store.getRequest(request.id))?.status).toBe(request.status);
    }
    expect(ctx.mimecast.finds).toEqual(['alice@example.com']);
  });

  it('a request granted while the run was under way (after its records were read) is not drift', async () => {
    const ctx = setup();
    await grant(ctx, {});
    ctx.mimecast.rightsOf['alice@example.com'] = [
      { id: 'mc-1', mailbox: 'sales@example.com' },
      { id: 'mc-late', mailbox: 'info@example.com' },
    ];
    // Alice's request for info@ completes between the run's read of the records and her search.
    const search = ctx.mimecast.findDelegates.bind(ctx.mimecast);
    let late: DelegationRequest | undefined;
    ctx.mimecast.findDelegates = async (address) => {
      late ??= await grant(ctx, { mailbox: 'info@example.com', mimecastId: 'mc-late' });
      return search(address);
    };
    const result = await ctx.service.reconcile(await permit(ctx));
    if (!result.ok) throw new Error('did not run');
    expect(late).toBeDefined();
    expect(result.report.newFindings).toEqual([]);
    expect(await ctx.store.listFindings({})).toEqual([]);
  });

  it('Remove is refused while a request for the same access is under way; the finding stays open', async () => {
    const ctx = setup();
    await grant(ctx, {});
    ctx.mimecast.rightsOf['alice@example.com'] = [
      { id: 'mc-1', mailbox: 'sales@example.com' },
      { id: 'mc-x', mailbox: 'info@example.com' },
    ];
    const first = await ctx.service.reconcile(await permit(ctx));
    if (!first.ok) throw new Error('did not run');
    const [finding] = first.report.newFindings;
    const settling = await grant(ctx, {
      status: 'settling',
      mailbox: 'info@example.com',
    });
    const result = await ctx.service.removeFinding(await permit(ctx), finding!.id);
    expect(result).toMatchObject({
      ok: false,
      reason: 'managed_by_grant',
      finding: { id: finding!.id, status: 'open' },
      request: { id: settling.id, status: 'settling' },
    });
    expect(ctx.mimecast.removes).toEqual([]);
    expect(await ctx.store.getFinding(finding!.id)).toMatchObject({ status: 'open' });
    expect((await ctx.store.listAudit({})).at(-1)).toMatchObject({
      actor: 'UADMIN',
      action: 'drift_removal_refused',
      details: { findingId: finding!.id, grantId: settling.id, grantStatus: 'settling' },
    });
    // Still open while it settles: the next check neither closes nor reports it again.
    const second = await ctx.service.reconcile(await permit(ctx));
    expect(second).toMatchObject({
      ok: true,
      report: { newFindings: [], managedFindings: [], standingFindings: 1 },
    });
  });
});
