/**
 * The Store port's contract, run against every adapter (sqlite.test.ts, postgres.test.ts): the same
 * calls, the same answers, the same guarantees under concurrency.
 */
import { describe, type TestContext, it as test } from 'vitest';
import type { DelegationRequest } from '../../src/requests/model.js';
import { DuplicateIdError, type Store } from '../../src/requests/ports/index.js';
import { verifyChain } from '../../src/store/audit-chain.js';

/** One empty database of the adapter under test. */
export interface TestDb {
  /** A store on this database; several may be open at once, each with its own connections. */
  open(): Promise<Store>;
  /** Runs statements on a connection of its own, outside every store (as someone with database access). */
  exec(sql: string): Promise<void>;
  /** Rows of a query run on a connection of its own. */
  query<T>(sql: string): Promise<T[]>;
  /** Closes the stores it opened and drops the database. */
  close(): Promise<void>;
}

export interface ContractTarget {
  name: string;
  /** A fresh, empty database. */
  database(): Promise<TestDb>;
  /** In this dialect: lets an UPDATE of audit_events past the append-only trigger. */
  bypassAppendOnly: string;
  /** In this dialect: makes every UPDATE of a notice fail with `message`, and undoes it. */
  refuseNoticeUpdates(message: string): { install: string; remove: string };
}

export const AT = new Date('2026-11-28T10:00:00.000Z');

export function request(id = 'DR-AAAAAA', overrides: Partial<DelegationRequest> = {}): DelegationRequest {
  return {
    id,
    status: 'pending',
    requesterId: 'UALICE',
    granteeEmail: 'alice@example.com',
    mailbox: 'sales@example.com',
    reason: 'cover',
    durationHours: 24,
    createdAt: AT,
    updatedAt: AT,
    version: 1,
    ...overrides,
  };
}

export const submitted = (id: string) => ({
  requestId: id,
  actor: 'UALICE',
  action: 'submitted',
  toStatus: 'pending' as const,
});

const key = (notice: { requestId: string; target: string }) => `${notice.requestId}:${notice.target}`;
const later = (ms: number) => new Date(AT.getTime() + ms);

export function storeContract(target: ContractTarget): void {
  /** A fresh database and a first store on it, closed and dropped when the test ends. */
  async function fresh(context: TestContext): Promise<{ db: TestDb; store: Store }> {
    const db = await target.database();
    context.onTestFinished(() => db.close());
    return { db, store: await db.open() };
  }
  /**
   * Every test has a database of its own, so they run concurrently: a PostgreSQL test mostly waits
   * for the server. Hence `expect` and the clean-up come from each test's own context.
   */
  const it = test.concurrent;

  describe(`${target.name}: requests and transitions`, () => {
    it('round-trips a request and refuses a duplicate id', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request(), submitted('DR-AAAAAA'), []);
      expect(await store.getRequest('DR-AAAAAA')).toEqual(request());
      await expect(store.createRequest(request(), submitted('DR-AAAAAA'), [])).rejects.toBeInstanceOf(
        DuplicateIdError,
      );
      expect(await store.listAudit({})).toHaveLength(1);
      expect(await store.getRequest('DR-NOPE00')).toBeUndefined();
    });

    it('keeps text exactly as written: accents, emoji, quotes, line breaks', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      const reason = 'Übergabe – café ✓ 📬 "quoted" \\ back\nnext line\ttab';
      await store.createRequest(request('DR-AAAAAA', { reason }), submitted('DR-AAAAAA'), [
        { target: 'dm', event: 'extended', data: { by: reason, hours: 24 } },
      ]);
      expect((await store.getRequest('DR-AAAAAA'))?.reason).toBe(reason);
      expect((await store.dueNotices(AT, 10))[0]?.data).toEqual({ by: reason, hours: 24 });
    });

    it('applies a transition only from its allowed state (compare-and-set)', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request(), submitted('DR-AAAAAA'), []);
      const audit = { actor: 'UBOB', action: 'approved' };
      const first = await store.transition({
        id: 'DR-AAAAAA',
        name: 'approve',
        at: AT,
        audit,
        patch: { decidedBy: 'UBOB' },
      });
      expect(first.ok && first.request).toMatchObject({ status: 'approved', decidedBy: 'UBOB', version: 2 });
      const second = await store.transition({
        id: 'DR-AAAAAA',
        name: 'deny',
        at: AT,
        audit: { actor: 'UCAROL', action: 'denied' },
      });
      expect(second).toMatchObject({ ok: false, current: { status: 'approved', decidedBy: 'UBOB' } });
      expect((await store.listAudit({ requestId: 'DR-AAAAAA' })).map((e) => e.action)).toEqual([
        'submitted',
        'approved',
      ]);
      expect(await store.transition({ id: 'DR-NOPE00', name: 'approve', at: AT, audit })).toEqual({
        ok: false,
        current: undefined,
      });
    });

    it('applies a transition with an expected version only at that version: a stale one loses', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request(), submitted('DR-AAAAAA'), []);
      // Two changes computed from the same read: the request at version 1.
      const read = await store.getRequest('DR-AAAAAA');
      expect(read?.version).toBe(1);
      const first = await store.transition({
        id: 'DR-AAAAAA',
        name: 'remind',
        at: AT,
        patch: { remindedAt: AT },
        audit: { actor: 'system', action: 'reminded' },
        notices: [{ target: 'thread', event: 'reminder' }],
        expectedVersion: 1,
      });
      expect(first.ok && first.request.version).toBe(2);
      const stale = await store.transition({
        id: 'DR-AAAAAA',
        name: 'approve',
        at: AT,
        patch: { decidedBy: 'UBOB' },
        audit: { actor: 'UBOB', action: 'approved' },
        notices: [{ target: 'card', event: 'approved' }],
        expectedVersion: 1,
      });
      // The status allowed it; the version did not. Nothing of the loser is written.
      expect(stale).toMatchObject({ ok: false, current: { status: 'pending', version: 2 } });
      expect((await store.getRequest('DR-AAAAAA'))?.decidedBy).toBeUndefined();
      expect((await store.listAudit({ requestId: 'DR-AAAAAA' })).map((e) => e.action)).toEqual([
        'submitted',
        'reminded',
      ]);
      expect((await store.dueNotices(AT, 10)).map((n) => `${n.target}:${n.event}`)).toEqual([
        'thread:reminder',
      ]);
      const upToDate = await store.transition({
        id: 'DR-AAAAAA',
        name: 'approve',
        at: AT,
        patch: { decidedBy: 'UBOB' },
        audit: { actor: 'UBOB', action: 'approved' },
        expectedVersion: 2,
      });
      expect(upToDate.ok && upToDate.request).toMatchObject({ status: 'approved', version: 3 });
    });

    it('lets exactly one of 20 concurrent transitions of a request win, across two stores', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      await store.createRequest(request(), submitted('DR-AAAAAA'), []);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).transition({
            id: 'DR-AAAAAA',
            name: i % 3 ? 'approve' : 'deny',
            at: later(i),
            patch: { decidedBy: `U${i}` },
            audit: { actor: `U${i}`, action: i % 3 ? 'approved' : 'denied' },
            notices: [{ target: 'thread', event: 'extended', data: { by: `U${i}`, hours: i } }],
          }),
        ),
      );
      const winners = results.flatMap((result) => (result.ok ? [result.request] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(winner.version).toBe(2);
      // Every loser is told what the winner made of the request.
      for (const result of results.filter((r) => !r.ok)) {
        expect(result).toEqual({ ok: false, current: winner });
      }
      expect(await other.getRequest('DR-AAAAAA')).toEqual(winner);
      const audit = await store.listAudit({ requestId: 'DR-AAAAAA' });
      expect(audit.map((e) => [e.action, e.actor, e.fromStatus, e.toStatus])).toEqual([
        ['submitted', 'UALICE', null, 'pending'],
        [winner.status === 'approved' ? 'approved' : 'denied', winner.decidedBy, 'pending', winner.status],
      ]);
      const notices = await store.dueNotices(later(100), 100);
      expect(notices.map((n) => n.data)).toEqual([
        { by: winner.decidedBy, hours: Number(winner.decidedBy?.slice(1)) },
      ]);
      expect(notices[0]?.snapshot).toEqual(winner);
    });

    it('merges a patch into the request: fields given as undefined are cleared, others kept', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(
        request('DR-AAAAAA', {
          status: 'removing',
          endedBy: 'UBOB',
          endReason: 'revoked',
          expiresAt: later(1),
        }),
        submitted('DR-AAAAAA'),
        [],
      );
      const failed = await store.transition({
        id: 'DR-AAAAAA',
        name: 'removalFailed',
        at: later(5),
        patch: { removalAttempts: 1, nextRemovalAt: later(60_000), endedBy: undefined, endReason: undefined },
        audit: { actor: 'system', action: 'removal_failed' },
      });
      const expected = {
        ...request('DR-AAAAAA', { status: 'completed', expiresAt: later(1) }),
        removalAttempts: 1,
        nextRemovalAt: later(60_000),
        updatedAt: later(5),
        version: 2,
      };
      expect(failed).toEqual({ ok: true, request: expected });
      expect(await store.getRequest('DR-AAAAAA')).toEqual(expected);
      expect(Object.keys((await store.getRequest('DR-AAAAAA'))!)).not.toContain('endedBy');

      // A patch that is not a transition bumps the version and leaves the status and updatedAt alone.
      await store.patchRequest('DR-AAAAAA', {
        card: { channel: 'CAPPROVALS', ts: '1.2' },
        expiresAt: later(9),
      });
      expect(await store.getRequest('DR-AAAAAA')).toEqual({
        ...expected,
        card: { channel: 'CAPPROVALS', ts: '1.2' },
        expiresAt: later(9),
        version: 3,
      });
      // The new expiry is the one the sweep finds.
      expect(await store.listRequests({ statuses: ['completed'], expiresBefore: later(8) })).toEqual([]);
      expect(
        (await store.listRequests({ statuses: ['completed'], expiresBefore: later(9) })).map((r) => r.id),
      ).toEqual(['DR-AAAAAA']);
      await store.patchRequest('DR-NOPE00', { cardProblem: 'not_in_channel' }); // no such request: nothing happens
      expect(await store.getRequest('DR-NOPE00')).toBeUndefined();
    });

    it('lists requests by requester, status, mailbox, grantee and dates, newest first, up to a limit', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      const rows: [string, Partial<DelegationRequest>][] = [
        ['DR-AAAAAA', { createdAt: later(0) }],
        ['DR-BBBBBB', { createdAt: later(1000), status: 'completed', expiresAt: later(50_000) }],
        ['DR-CCCCCC', { createdAt: later(2000), requesterId: 'UBOB', granteeEmail: 'bob@example.com' }],
        ['DR-DDDDDD', { createdAt: later(3000), mailbox: 'hr@example.com', status: 'completed' }],
        ['DR-EEEEEE', { createdAt: later(3000), status: 'denied' }],
      ];
      for (const [id, overrides] of rows)
        await store.createRequest(request(id, overrides), submitted(id), []);
      const ids = async (filter: Parameters<Store['listRequests']>[0]) =>
        (await store.listRequests(filter)).map((r) => r.id);
      // Newest first; the same time is ordered by id.
      expect(await ids({})).toEqual(['DR-DDDDDD', 'DR-EEEEEE', 'DR-CCCCCC', 'DR-BBBBBB', 'DR-AAAAAA']);
      expect(await ids({ limit: 2 })).toEqual(['DR-DDDDDD', 'DR-EEEEEE']);
      expect(await ids({ requesterId: 'UBOB' })).toEqual(['DR-CCCCCC']);
      expect(await ids({ statuses: ['completed', 'denied'] })).toEqual([
        'DR-DDDDDD',
        'DR-EEEEEE',
        'DR-BBBBBB',
      ]);
      expect(await ids({ statuses: [] })).toEqual([]);
      expect(await ids({ mailbox: 'hr@example.com' })).toEqual(['DR-DDDDDD']);
      expect(await ids({ granteeEmail: 'bob@example.com' })).toEqual(['DR-CCCCCC']);
      expect(await ids({ granteeEmail: 'BOB@example.com' })).toEqual([]);
      expect(await ids({ expiresBefore: later(50_000) })).toEqual(['DR-BBBBBB']);
      expect(await ids({ expiresBefore: later(49_999) })).toEqual([]);
      expect(await ids({ createdBefore: later(1000) })).toEqual(['DR-BBBBBB', 'DR-AAAAAA']);
      expect(
        await ids({ requesterId: 'UALICE', statuses: ['completed'], mailbox: 'sales@example.com' }),
      ).toEqual(['DR-BBBBBB']);
    });
  });

  describe(`${target.name}: notices`, () => {
    it('hands out a request notices in order, one at a time, with leases', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request('DR-AAAAAA'), submitted('DR-AAAAAA'), [
        { target: 'card', event: 'submitted' },
        { target: 'dm', event: 'submitted' },
      ]);
      await store.createRequest(request('DR-BBBBBB'), submitted('DR-BBBBBB'), [
        { target: 'card', event: 'submitted' },
      ]);
      // A request's later notices wait behind its first.
      expect((await store.dueNotices(AT, 10)).map(key)).toEqual(['DR-AAAAAA:card', 'DR-BBBBBB:card']);
      const lease = new Date(AT.getTime() + 60_000);
      const first = await store.claimDueNotices(AT, lease, 1);
      expect(first.map(key)).toEqual(['DR-AAAAAA:card']);
      // Claimed notices are not handed out again while leased, and A's DM still waits behind its card.
      expect((await store.claimDueNotices(AT, lease, 10)).map(key)).toEqual(['DR-BBBBBB:card']);
      expect(await store.claimDueNotices(AT, lease, 10)).toEqual([]);
      expect(await store.dueNotices(AT, 10)).toEqual([]);

      await store.markNoticeFailed(first[0]!.id, 'ratelimited', new Date(AT.getTime() + 5_000), AT);
      expect(await store.dueNotices(AT, 10)).toEqual([]); // A's card waits for its retry time
      const retryAt = new Date(AT.getTime() + 5_000);
      const retried = await store.claimDueNotices(retryAt, new Date(retryAt.getTime() + 60_000), 10);
      expect(retried).toHaveLength(1);
      expect(retried[0]).toMatchObject({ requestId: 'DR-AAAAAA', target: 'card', attempts: 1 });
      await store.markNoticeDelivered(retried[0]!.id, retryAt);
      expect((await store.dueNotices(retryAt, 10)).map(key)).toEqual(['DR-AAAAAA:dm']);
      // B's card was never marked: once its lease runs out, it is due again (its worker died).
      const afterLease = new Date(AT.getTime() + 60_001);
      expect((await store.dueNotices(afterLease, 10)).map(key)).toEqual(['DR-AAAAAA:dm', 'DR-BBBBBB:card']);
      expect(
        (await store.claimDueNotices(afterLease, new Date(AT.getTime() + 120_000), 10))[1],
      ).toMatchObject({
        requestId: 'DR-BBBBBB',
        attempts: 1,
      });
    });

    it('gives each notice to one of two stores claiming at once; the other gets it only once the lease runs out', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      const ids = ['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC', 'DR-DDDDDD', 'DR-EEEEEE', 'DR-FFFFFF'];
      for (const id of ids)
        await store.createRequest(request(id), submitted(id), [
          { target: 'card', event: 'submitted' },
          { target: 'dm', event: 'submitted' },
        ]);
      const lease = later(60_000);
      const rounds = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).claimDueNotices(AT, lease, 2)),
      );
      const claimed = rounds.flat().map(key);
      // Each request's card once, never its DM (which waits behind the card), never twice.
      expect([...claimed].sort()).toEqual(ids.map((id) => `${id}:card`));
      expect(await other.claimDueNotices(later(59_999), later(120_000), 10)).toEqual([]);
      const again = await other.claimDueNotices(later(60_000), later(120_000), 10);
      expect(again.map(key)).toEqual(ids.map((id) => `${id}:card`));
      expect(again.every((notice) => notice.attempts === 1)).toBe(true);
    });

    it('tells whether a later undelivered notice has the same target, and lets a request move on past one given up', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request(), submitted('DR-AAAAAA'), [
        { target: 'card', event: 'submitted' },
        { target: 'thread', event: 'reminder' },
        { target: 'card', event: 'approved' },
      ]);
      const [card] = await store.claimDueNotices(AT, later(60_000), 10);
      expect(card).toMatchObject({ target: 'card', event: 'submitted', attempts: 0, createdAt: AT });
      expect(card?.snapshot).toEqual(request());
      expect(await store.hasLaterNotice(card!)).toBe(true);
      expect(await store.hasLaterNotice({ ...card!, target: 'dm' })).toBe(false);
      await store.markNoticeDelivered(card!.id, AT);

      const [thread] = await store.claimDueNotices(AT, later(60_000), 10);
      expect(thread).toMatchObject({ target: 'thread', event: 'reminder' });
      expect(await store.hasLaterNotice(thread!)).toBe(false);
      // Given up: the request's next notice is due at once, and the given-up one never again.
      await store.markNoticeFailed(thread!.id, 'channel_not_found', null, AT);
      const [approved] = await store.dueNotices(later(600_000), 10);
      expect(approved).toMatchObject({ target: 'card', event: 'approved' });
      expect(approved).not.toHaveProperty('data');
      expect(await store.hasLaterNotice({ ...approved!, id: card!.id })).toBe(true);
      await store.markNoticeDelivered(approved!.id, AT);
      expect(await store.hasLaterNotice({ ...approved!, id: card!.id })).toBe(false);
      expect(await store.dueNotices(later(600_000), 10)).toEqual([]);
    });

    it('marks notices delivered only once committed: seen by another connection, all or none of a pass', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      for (const id of ['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC', 'DR-DDDDDD'])
        await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
      const [a, b, c, d] = await store.dueNotices(AT, 10);
      const delivered = async () =>
        (
          await db.query<{ request_id: string }>(
            'SELECT request_id FROM notices WHERE delivered = true ORDER BY id',
          )
        ).map((row) => row.request_id);

      // Marked in the same pass: each promise resolves only after the shared commit.
      await Promise.all([store.markNoticeDelivered(a!.id, AT), store.markNoticeDelivered(b!.id, AT)]);
      expect(await delivered()).toEqual(['DR-AAAAAA', 'DR-BBBBBB']);

      // A commit that fails rejects every notice of its pass and records none of them, so the
      // dispatcher tries them again instead of believing them delivered.
      const refuse = target.refuseNoticeUpdates('disk I/O error');
      await db.exec(refuse.install);
      const failed = await Promise.allSettled([
        store.markNoticeDelivered(c!.id, AT),
        store.markNoticeDelivered(d!.id, AT),
      ]);
      expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/disk I\/O error/);
      expect(await delivered()).toEqual(['DR-AAAAAA', 'DR-BBBBBB']);
      await db.exec(refuse.remove);

      // Closing commits what is still waiting for the end of the pass.
      const closing = store.markNoticeDelivered(c!.id, AT);
      await store.close();
      await closing;
      expect(await delivered()).toEqual(['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC']);
    });

    it('prunes finished notices (delivered or given up), never ones still to be delivered', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      for (const id of ['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC'])
        await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
      const [a, b, c] = await store.dueNotices(AT, 10);
      await store.markNoticeDelivered(a!.id, AT);
      await store.markNoticeFailed(b!.id, 'channel_not_found', null, AT);
      await store.markNoticeFailed(c!.id, 'ratelimited', new Date(AT.getTime() + 60_000), AT);
      const doneBefore = new Date(AT.getTime() + 1);
      expect(await store.pruneNotices(AT, 10)).toBe(0); // nothing finished before AT
      expect(await store.pruneNotices(doneBefore, 1)).toBe(1); // the limit holds
      expect(await store.pruneNotices(doneBefore, 10)).toBe(1);
      expect(await store.pruneNotices(doneBefore, 10)).toBe(0);
      const far = new Date(AT.getTime() + 3_600_000);
      expect((await store.dueNotices(far, 10)).map((n) => n.requestId)).toEqual(['DR-CCCCCC']);
    });
  });

  describe(`${target.name}: audit chain`, () => {
    it('chains audit events so that an edit is detected, and refuses edits through SQL', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      await store.createRequest(request(), submitted('DR-AAAAAA'), []);
      await store.transition({
        id: 'DR-AAAAAA',
        name: 'approve',
        at: AT,
        audit: { actor: 'UBOB', action: 'approved' },
      });
      await store.appendAudit(
        { requestId: null, actor: 'UADMIN', action: 'admin_command', details: { command: 'pending' } },
        AT,
      );
      expect(verifyChain(await store.listAudit({}))).toEqual({ ok: true, count: 3 });
      await store.close();

      await expect(db.exec("UPDATE audit_events SET actor = 'UMALLORY' WHERE seq = 2")).rejects.toThrow(
        /append-only/,
      );
      await expect(db.exec('DELETE FROM audit_events WHERE seq = 1')).rejects.toThrow(/append-only/);
      // Someone with full database access can get around the trigger; the chain still gives them away.
      await db.exec(target.bypassAppendOnly);
      await db.exec("UPDATE audit_events SET actor = 'UMALLORY' WHERE seq = 2");

      const reopened = await db.open();
      expect(verifyChain(await reopened.listAudit({}))).toEqual({
        ok: false,
        count: 2,
        brokenAt: 2,
        why: 'its contents do not match its hash (edited)',
      });
    });

    it('keeps one linear chain while two stores append 20 events at once', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      for (const id of ['DR-AAAAAA', 'DR-BBBBBB'])
        await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
      const appended = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).appendAudit(
            { requestId: null, actor: `U${i}`, action: 'admin_command', details: { i } },
            later(i),
          ),
        ),
        // Transitions append too, in the same line.
        store.transition({
          id: 'DR-AAAAAA',
          name: 'approve',
          at: AT,
          audit: { actor: 'UBOB', action: 'approved' },
        }),
        other.transition({
          id: 'DR-BBBBBB',
          name: 'deny',
          at: AT,
          audit: { actor: 'UBOB', action: 'denied' },
        }),
      ]);
      const events = await other.listAudit({});
      expect(verifyChain(events)).toEqual({ ok: true, count: 24 });
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      // What appendAudit returned is what was stored.
      for (const event of appended.slice(0, 20)) {
        expect(events[(event as { seq: number }).seq - 1]).toEqual(event);
      }
      const admin = events.filter((e) => e.action === 'admin_command').map((e) => Number(e.details?.i));
      expect(admin.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('lists audit events by request, by address (grantee or mailbox), since a time, up to a limit', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request('DR-AAAAAA'), submitted('DR-AAAAAA'), []);
      await store.createRequest(
        request('DR-BBBBBB', {
          granteeEmail: 'bob@example.com',
          mailbox: 'hr@example.com',
          createdAt: later(1000),
        }),
        submitted('DR-BBBBBB'),
        [],
      );
      await store.appendAudit({ requestId: null, actor: 'UADMIN', action: 'admin_command' }, later(2000));
      await store.transition({
        id: 'DR-AAAAAA',
        name: 'approve',
        at: later(3000),
        audit: { actor: 'UBOB', action: 'approved', details: { via: 'card' } },
      });
      const seqs = async (filter: Parameters<Store['listAudit']>[0]) =>
        (await store.listAudit(filter)).map((e) => e.seq);
      expect(await seqs({})).toEqual([1, 2, 3, 4]);
      expect(await seqs({ requestId: 'DR-AAAAAA' })).toEqual([1, 4]);
      expect(await seqs({ email: 'alice@example.com' })).toEqual([1, 4]);
      expect(await seqs({ email: 'hr@example.com' })).toEqual([2]);
      expect(await seqs({ email: 'sales@example.com' })).toEqual([1, 4]);
      expect(await seqs({ since: later(1000) })).toEqual([2, 3, 4]);
      expect(await seqs({ since: later(1001) })).toEqual([3, 4]);
      expect(await seqs({ limit: 2 })).toEqual([1, 2]);
      expect((await store.listAudit({ requestId: 'DR-AAAAAA' }))[1]).toMatchObject({
        at: later(3000),
        requestId: 'DR-AAAAAA',
        actor: 'UBOB',
        action: 'approved',
        fromStatus: 'pending',
        toStatus: 'approved',
        details: { via: 'card' },
      });
      expect((await store.listAudit({}))[2]).toMatchObject({ requestId: null, details: {} });
    });
  });
}
