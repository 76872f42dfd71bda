/**
 * The lease rules of claims on Mimecast work, with two or three services on one store standing for
 * replicas (each its own process id). A store here is SQLite in memory; `shared` makes it report, as
 * PostgreSQL does, that other processes may use it, which only start-up recovery asks.
 */
import { describe, expect, it } from 'vitest';
import type { DelegationRequest } from '../../src/requests/model.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FakeMimecast, fixedClock, serviceFixture } from '../support/fakes.js';
import { waitUntil } from '../support/harness.js';

const LEASE = 60;
const ALICE = 'UALICE';
const BOB = 'UBOB';

class SharedStore extends SqliteStore {
  override readonly singleProcess: boolean = false;
}

/** Runs `afterList` after each listing, before handing it back: something happening between a read and a write. */
class RenewingStore extends SharedStore {
  afterList: (() => Promise<void>) | undefined;

  override async listRequests(filter: Parameters<SqliteStore['listRequests']>[0]) {
    const found = await super.listRequests(filter);
    await this.afterList?.();
    return found;
  }
}

/** Replicas: services with their own process ids on one store, one clock and one Mimecast. */
function replicas(count = 2, store: SqliteStore = new SharedStore(':memory:')) {
  const clock = fixedClock();
  const mimecast = new FakeMimecast();
  return Array.from({ length: count }, (_, i) =>
    serviceFixture({ store, clock, mimecast, processId: `replica-${i + 1}`, claimLeaseMs: LEASE }),
  );
}

type Replica = ReturnType<typeof replicas>[number];

let mailboxes = 0;

/** A new pending request of Alice's, each for another mailbox (an open duplicate would be refused). */
async function pending(ctx: Replica): Promise<DelegationRequest> {
  mailboxes += 1;
  const mailbox = `shared${mailboxes}@example.com`;
  const result = await ctx.service.submit({ requesterId: ALICE, mailbox, reason: 'cover' });
  if (!result.ok) throw new Error(`submit failed: ${JSON.stringify(result)}`);
  return result.request;
}

/** A request some process approved and (optionally) claimed, then died: written straight to the store. */
async function leftBy(
  ctx: Replica,
  owner: string,
  stage: 'approved' | 'provisioning' | 'removing',
  until = new Date(ctx.clock().getTime() + LEASE),
): Promise<DelegationRequest> {
  const request = await pending(ctx);
  const at = ctx.clock();
  const step = (name: 'approve' | 'startProvisioning' | 'provisioned' | 'startRemoval', patch = {}) =>
    ctx.store.transition({ id: request.id, name, at, patch, audit: { actor: 'system', action: name } });
  await step('approve', { decidedBy: BOB, decidedAt: at });
  if (stage === 'provisioning') await step('startProvisioning', { claim: { owner, until } });
  if (stage === 'removing') {
    await step('startProvisioning');
    await step('provisioned', { mimecastId: 'mc-dead', grantedAt: at, expiresAt: at });
    await step('startRemoval', { endReason: 'expired', endedBy: 'system', claim: { owner, until } });
  }
  return (await ctx.store.getRequest(request.id))!;
}

/** Every notice queued so far, in delivery order, marked delivered as it is read. */
async function allNotices(ctx: Replica): Promise<string[]> {
  const seen: string[] = [];
  const far = new Date(ctx.clock().getTime() + 1_000 * 3_600_000);
  for (
    let due = await ctx.store.dueNotices(far, 100);
    due.length;
    due = await ctx.store.dueNotices(far, 100)
  ) {
    for (const notice of due) {
      seen.push(`${notice.requestId} ${notice.target}:${notice.event}`);
      await ctx.store.markNoticeDelivered(notice.id, far);
    }
  }
  return seen;
}

const actions = async (ctx: Replica, id: string) =>
  (await ctx.store.listAudit({ requestId: id })).map((event) => event.action);

describe('claims on Mimecast work', () => {
  it('records which process provisions, renews the claim while the call runs, and clears it with the outcome', async () => {
    const [a] = replicas(1);
    const request = await pending(a!);
    let release = () => {};
    a!.mimecast.hold = new Promise((resolve) => {
      release = resolve;
    });
    await a!.service.approve(request.id, BOB);
    const claimed = await waitUntil(async () => {
      const current = await a!.store.getRequest(request.id);
      return current?.status === 'provisioning' ? current : undefined;
    }, 'the claim');
    expect(claimed.claim).toEqual({ owner: 'replica-1', until: new Date(a!.clock().getTime() + LEASE) });

    // Time passes while Mimecast holds the call: each renewal moves the end of the claim and the version.
    a!.clock.advance(1_000);
    const renewed = await waitUntil(async () => {
      const current = await a!.store.getRequest(request.id);
      return current?.claim?.until.getTime() === a!.clock().getTime() + LEASE ? current : undefined;
    }, 'a renewal');
    expect(renewed.version).toBeGreaterThan(claimed.version);
    expect(renewed.status).toBe('provisioning');

    release();
    await a!.service.idle();
    const done = await a!.store.getRequest(request.id);
    expect(done?.status).toBe('completed');
    expect(done?.claim).toBeUndefined();
    expect(await actions(a!, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
  });

  it("leaves another process's live claim alone and takes it over, once, when its lease has run out", async () => {
    const [a, b, c] = replicas(3);
    const request = await leftBy(a!, 'dead-process', 'provisioning');
    // Within the lease: every replica's sweep leaves it (its holder may be calling Mimecast now).
    a!.clock.advance(LEASE - 1);
    for (const replica of [a, b, c]) expect((await replica!.service.sweep()).interrupted).toEqual([]);
    expect((await a!.store.getRequest(request.id))?.status).toBe('provisioning');

    // Run out: the three sweep at once, one takes it over, nobody calls Mimecast again: the outcome is
    // settled by searching Mimecast, as at a restart (settle.ts), counted from when the add began.
    a!.clock.advance(1);
    const reports = await Promise.all([a, b, c].map((replica) => replica!.service.sweep()));
    expect(reports.flatMap((report) => report.interrupted)).toEqual([request.id]);
    const after = await a!.store.getRequest(request.id);
    expect(after).toMatchObject({
      status: 'settling',
      failure: { kind: 'interrupted' },
      settleSince: request.updatedAt,
      nextSettleAt: new Date(request.updatedAt.getTime() + 30_000),
    });
    expect(after?.claim).toBeUndefined();
    const audit = await a!.store.listAudit({ requestId: request.id });
    expect(audit.at(-1)).toMatchObject({
      action: 'provisioning_interrupted',
      actor: 'system',
      toStatus: 'settling',
      details: { kind: 'interrupted', settling: true, claimedBy: 'dead-process' },
    });
    expect(audit.filter((event) => event.action === 'provisioning_interrupted')).toHaveLength(1);
    expect((await allNotices(a!)).filter((notice) => notice.endsWith(':checking'))).toEqual([
      `${request.id} card:checking`,
      `${request.id} thread:checking`,
      `${request.id} dm:checking`,
    ]);
    expect(a!.mimecast.adds).toEqual([]);

    // A second add (after the searches found nothing) cut off the same way goes to the admins.
    const second = await leftBy(a!, 'dead-process', 'provisioning');
    await a!.store.patchRequest(second.id, { addAttempt: 2 });
    a!.clock.advance(LEASE);
    const [first, ...others] = await Promise.all([a, b, c].map((replica) => replica!.service.sweep()));
    expect([first!, ...others].flatMap((report) => report.interrupted)).toEqual([second.id]);
    expect(await a!.store.getRequest(second.id)).toMatchObject({
      status: 'outcome_unknown',
      failure: { kind: 'interrupted' },
    });
    expect((await a!.store.listAudit({ requestId: second.id })).at(-1)).toMatchObject({
      action: 'provisioning_interrupted',
      toStatus: 'outcome_unknown',
      details: { attempt: 2, claimedBy: 'dead-process' },
    });
    expect((await allNotices(a!)).filter((notice) => notice.startsWith(second.id))).toContain(
      `${second.id} thread:outcome_unknown`,
    );
    expect(a!.mimecast.adds).toEqual([]);
  });

  it('does not take over a claim renewed between its read and its write: the holder is alive', async () => {
    for (const stage of ['provisioning', 'removing'] as const) {
      const store = new RenewingStore(':memory:');
      const [a, b] = replicas(2, store);
      const request = await leftBy(a!, 'slow-process', stage);
      a!.clock.advance(LEASE);
      // The sweep reads the claim as run out; the holder renews it before the sweep's write.
      store.afterList = () =>
        store.renewClaim(request.id, 'slow-process', new Date(a!.clock().getTime() + LEASE)).then(() => {});
      const report = await b!.service.sweep();
      store.afterList = undefined;
      expect([...report.interrupted, ...report.removalsInterrupted]).toEqual([]);
      expect((await a!.store.getRequest(request.id))?.status).toBe(stage);
      expect(await actions(a!, request.id)).not.toContain(
        `${stage === 'removing' ? 'removal' : stage}_interrupted`,
      );
    }
  });

  it('never takes over its own call still running, even when a renewal failed and the recorded end passed', async () => {
    const [a] = replicas(1);
    const request = await pending(a!);
    let release = () => {};
    a!.mimecast.hold = new Promise((resolve) => {
      release = resolve;
    });
    await a!.service.approve(request.id, BOB);
    await waitUntil(
      async () => ((await a!.store.getRequest(request.id))?.status === 'provisioning' ? true : undefined),
      'the claim',
    );
    // The clock jumps past the lease before any renewal could run.
    a!.clock.advance(10 * LEASE);
    expect((await a!.service.sweep()).interrupted).toEqual([]);
    release();
    await a!.service.idle();
    expect((await a!.store.getRequest(request.id))?.status).toBe('completed');
  });

  it('makes an interrupted removal due again once its claim ran out, and removes it once', async () => {
    const [a, b] = replicas(2);
    const request = await leftBy(a!, 'dead-process', 'removing');
    expect((await a!.service.sweep()).removalsInterrupted).toEqual([]);
    a!.clock.advance(LEASE);
    const [first, second] = await Promise.all([a!.service.sweep(), b!.service.sweep()]);
    expect([...first.removalsInterrupted, ...second.removalsInterrupted]).toEqual([request.id]);
    // Due again at once: the next sweeps remove it, one Mimecast call between them.
    const again = await Promise.all([a!.service.sweep(), b!.service.sweep()]);
    const removed = [first, second, ...again].flatMap((report) => report.removed);
    expect(removed).toEqual([request.id]);
    expect(a!.mimecast.removes).toEqual(['mc-dead']);
    const done = await a!.store.getRequest(request.id);
    expect(done?.status).toBe('removed');
    expect(done?.claim).toBeUndefined();
    expect((await actions(a!, request.id)).slice(-3)).toEqual([
      'removal_interrupted',
      'removal_started',
      'removed',
    ]);
  });

  it('provisions an approval nobody claimed after a lease, once, whichever replicas sweep', async () => {
    const [a, b, c] = replicas(3);
    const request = await leftBy(a!, 'unused', 'approved');
    a!.clock.advance(LEASE - 1);
    for (const replica of [a, b, c]) expect((await replica!.service.sweep()).resumed).toEqual([]);
    a!.clock.advance(1);
    await Promise.all([a, b, c].map((replica) => replica!.service.sweep()));
    await Promise.all([a, b, c].map((replica) => replica!.service.idle()));
    expect(a!.mimecast.adds).toEqual([
      { primaryAddress: 'alice@example.com', delegateAddress: request.mailbox },
    ]);
    expect((await a!.store.getRequest(request.id))?.status).toBe('completed');
    expect(
      (await actions(a!, request.id)).filter((action) => action === 'provisioning_started'),
    ).toHaveLength(1);
  });

  it('at start-up on a shared store, takes nothing a live replica may hold; on a single-process store, everything', async () => {
    const [a, b] = replicas(2);
    const live = await leftBy(a!, 'live-process', 'provisioning');
    const approved = await leftBy(a!, 'unused', 'approved');
    expect(await b!.service.recoverInterrupted()).toEqual({
      resumed: [],
      interrupted: [],
      removalsInterrupted: [],
      noticesReleased: 0,
    });
    expect((await a!.store.getRequest(live.id))?.status).toBe('provisioning');
    expect((await a!.store.getRequest(approved.id))?.status).toBe('approved');

    const single = replicas(1, new SqliteStore(':memory:'))[0]!;
    const held = await leftBy(single, 'previous-process', 'provisioning');
    const waiting = await leftBy(single, 'unused', 'approved');
    const recovered = await single.service.recoverInterrupted();
    expect(recovered).toMatchObject({ resumed: [waiting.id], interrupted: [held.id] });
    expect((await single.store.getRequest(held.id))?.status).toBe('settling');
    expect((await single.store.getRequest(waiting.id))?.status).toBe('completed');
  });

  it('reminds approvers once when several replicas sweep at once', async () => {
    const [a, b, c] = replicas(3);
    const request = await pending(a!);
    a!.clock.advance(4 * 3_600_000);
    const reports = await Promise.all([a, b, c].map((replica) => replica!.service.sweep()));
    expect(reports.flatMap((report) => report.reminded)).toEqual([request.id]);
    expect((await actions(a!, request.id)).filter((action) => action === 'reminded')).toHaveLength(1);
  });

  it('stops within its bound: a call still running has its claim given up, and another replica takes it over at once', async () => {
    const [a, b] = replicas(2);
    const request = await pending(a!);
    a!.mimecast.hold = new Promise(() => {}); // Mimecast never answers
    await a!.service.approve(request.id, BOB);
    await waitUntil(
      async () => ((await a!.store.getRequest(request.id))?.status === 'provisioning' ? true : undefined),
      'the claim',
    );
    const started = Date.now();
    const drained = await a!.service.drain(100);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(drained).toEqual({ finished: false, released: [request.id] });
    expect((await a!.store.getRequest(request.id))?.claim).toEqual({ owner: 'replica-1', until: a!.clock() });
    // No lease to wait out: the other replica's next sweep hands it to an admin.
    expect((await b!.service.sweep()).interrupted).toEqual([request.id]);
    expect(a!.mimecast.adds).toHaveLength(1);
  });

  it('stops, when calls end within the bound, with their outcome recorded and nothing given up', async () => {
    const [a] = replicas(1);
    const request = await pending(a!);
    let release = () => {};
    a!.mimecast.hold = new Promise((resolve) => {
      release = resolve;
    });
    await a!.service.approve(request.id, BOB);
    await waitUntil(
      async () => ((await a!.store.getRequest(request.id))?.status === 'provisioning' ? true : undefined),
      'the claim',
    );
    // The held call ends once the stop has begun, within its bound.
    const draining = a!.service.drain(5_000);
    release();
    expect(await draining).toEqual({ finished: true, released: [] });
    expect((await a!.store.getRequest(request.id))?.status).toBe('completed');
    // Stopping: an approval made now stays approved for another replica (no Mimecast call starts).
    const later = await pending(a!);
    await a!.service.approve(later.id, BOB);
    await a!.service.idle();
    expect((await a!.store.getRequest(later.id))?.status).toBe('approved');
    expect(a!.mimecast.adds).toHaveLength(1);
    expect((await a!.service.sweep()).resumed).toEqual([]);
  });
});
