import { describe } from 'vitest';
import type { DelegationRequest } from '../../../src/requests/model.js';
import { DuplicateIdError, type Store } from '../../../src/requests/ports/index.js';
import type { ContractKit } from '../contract.js';
import { AT, later, request, submitted } from './fixtures.js';

export function requestsContract({ target, fresh, it }: ContractKit): void {
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

    it('lists removals due again by their retry time, whatever the expiry (permanent access too)', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      const rows: [string, Partial<DelegationRequest>][] = [
        // A revoke of permanent access whose removal failed: no expiry, a retry time.
        ['DR-AAAAAA', { status: 'completed', endReason: 'revoked', nextRemovalAt: later(60_000) }],
        // Time left, an "I'm done" to retry later.
        [
          'DR-BBBBBB',
          {
            status: 'completed',
            expiresAt: later(900_000),
            nextRemovalAt: later(300_000),
            createdAt: later(1),
          },
        ],
        // Active, nothing to retry.
        ['DR-CCCCCC', { status: 'completed', expiresAt: later(10) }],
      ];
      for (const [id, overrides] of rows)
        await store.createRequest(request(id, overrides), submitted(id), []);
      const ids = async (at: Date) =>
        (await store.listRequests({ statuses: ['completed'], removalDueBefore: at })).map((r) => r.id);
      expect(await ids(later(59_999))).toEqual([]);
      expect(await ids(later(60_000))).toEqual(['DR-AAAAAA']);
      expect(await ids(later(300_000))).toEqual(['DR-BBBBBB', 'DR-AAAAAA']);
      expect(await ids(later(10_000_000))).toEqual(['DR-BBBBBB', 'DR-AAAAAA']);
    });

    it('keeps a policy rule’s decision path, and records approvals one at a time by version, across two stores', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      const route = {
        rule: 'executives',
        policyHash: 'a'.repeat(64),
        approverGroupIds: ['SSECURITY'],
        approvals: 2,
        channelId: 'CSECURITY',
        durationChoicesHours: [4, 24],
        owner: 'consent' as const,
        ownerId: 'UCEO',
      };
      await store.createRequest(request('DR-AAAAAA', { route }), submitted('DR-AAAAAA'), []);
      expect(await other.getRequest('DR-AAAAAA')).toEqual(request('DR-AAAAAA', { route }));
      // Twenty approvers at once, each counting from version 1: one is recorded, the others lose.
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? other : store).transition({
            id: 'DR-AAAAAA',
            name: 'recordApproval',
            at: later(i),
            expectedVersion: 1,
            patch: { approvals: [{ by: `U${i}`, at: later(i) }] },
            audit: { actor: `U${i}`, action: 'approval_recorded' },
          }),
        ),
      );
      const winners = results.flatMap((result) => (result.ok ? [result.request] : []));
      expect(winners).toHaveLength(1);
      const first = winners[0]!;
      expect(first).toMatchObject({ status: 'pending', version: 2, route });
      expect(first.approvals).toEqual([{ by: first.approvals?.[0]?.by, at: expect.any(Date) }]);
      const allowed = await other.transition({
        id: 'DR-AAAAAA',
        name: 'approve',
        at: later(100),
        expectedVersion: 2,
        patch: {
          decidedBy: 'U99',
          decidedAt: later(100),
          approvals: [...(first.approvals ?? []), { by: 'U99', at: later(100) }],
          ownerAnswer: { answer: 'allowed', by: 'UCEO', at: later(50) },
        },
        audit: { actor: 'U99', action: 'approved' },
      });
      expect(allowed.ok && allowed.request).toMatchObject({
        status: 'approved',
        version: 3,
        route,
        approvals: [first.approvals?.[0], { by: 'U99', at: later(100) }],
        ownerAnswer: { answer: 'allowed', by: 'UCEO', at: later(50) },
      });
      expect(await store.getRequest('DR-AAAAAA')).toEqual(allowed.ok ? allowed.request : undefined);
      const audit = await store.listAudit({ requestId: 'DR-AAAAAA' });
      expect(audit.map((e) => [e.action, e.fromStatus, e.toStatus])).toEqual([
        ['submitted', null, 'pending'],
        ['approval_recorded', 'pending', 'pending'],
        ['approved', 'pending', 'approved'],
      ]);
    });
  });
}
