import { describe } from 'vitest';
import type { ContractKit } from '../contract.js';
import { AT, later, request, submitted } from './fixtures.js';

const PROCESS_A = 'host-a#101-aaaa';
const PROCESS_B = 'host-b#202-bbbb';

export function claimsContract({ target, fresh, it }: ContractKit): void {
  describe(`${target.name}: claims on Mimecast work, and the overview`, () => {
    it('renews a claim only for the process holding it, only while the work is under way, bumping the version', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      const claim = { owner: PROCESS_A, until: later(30_000) };
      await store.createRequest(
        request('DR-AAAAAA', { status: 'provisioning', claim }),
        submitted('DR-AAAAAA'),
        [],
      );
      await store.createRequest(request('DR-BBBBBB'), submitted('DR-BBBBBB'), []);

      expect(await store.renewClaim('DR-AAAAAA', PROCESS_A, later(40_000))).toBe(true);
      expect(await store.getRequest('DR-AAAAAA')).toEqual(
        request('DR-AAAAAA', {
          status: 'provisioning',
          claim: { owner: PROCESS_A, until: later(40_000) },
          version: 2,
        }),
      );
      // Another process's renewal, a request that is not being worked on, an unknown one: nothing written.
      expect(await store.renewClaim('DR-AAAAAA', PROCESS_B, later(90_000))).toBe(false);
      expect(await store.renewClaim('DR-BBBBBB', PROCESS_A, later(90_000))).toBe(false);
      expect(await store.renewClaim('DR-NOPE00', PROCESS_A, later(90_000))).toBe(false);
      expect((await store.getRequest('DR-AAAAAA'))?.version).toBe(2);
      expect(await store.getRequest('DR-BBBBBB')).toEqual(request('DR-BBBBBB'));

      // Given up (an end in the past), then the outcome recorded with the claim cleared: no renewing it.
      expect(await store.renewClaim('DR-AAAAAA', PROCESS_A, AT)).toBe(true);
      expect((await store.getRequest('DR-AAAAAA'))?.claim).toEqual({ owner: PROCESS_A, until: AT });
      const done = await store.transition({
        id: 'DR-AAAAAA',
        name: 'provisioned',
        at: later(1),
        patch: { mimecastId: 'mc-1', claim: undefined },
        audit: { actor: 'system', action: 'provisioned' },
      });
      expect(done.ok && done.request.claim).toBeUndefined();
      expect(await store.renewClaim('DR-AAAAAA', PROCESS_A, later(90_000))).toBe(false);
      // Renewals are not audited: they change no status.
      expect((await store.listAudit({ requestId: 'DR-AAAAAA' })).map((e) => e.action)).toEqual([
        'submitted',
        'provisioned',
      ]);
    });

    it('lets a takeover computed from an earlier read lose to a renewal, and one of many takeovers win', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      await store.createRequest(
        request('DR-AAAAAA', { status: 'removing', claim: { owner: PROCESS_A, until: later(1_000) } }),
        submitted('DR-AAAAAA'),
        [],
      );
      const takeOver = (version: number, actor: string) =>
        (Number(actor.slice(1)) % 2 ? other : store).transition({
          id: 'DR-AAAAAA',
          name: 'removalFailed',
          at: later(2_000),
          patch: { nextRemovalAt: later(2_000), claim: undefined },
          audit: { actor, action: 'removal_interrupted' },
          expectedVersion: version,
        });
      // B read the claim as run out; A, alive after all, renews it before B's write.
      const read = await other.getRequest('DR-AAAAAA');
      expect(await store.renewClaim('DR-AAAAAA', PROCESS_A, later(31_000))).toBe(true);
      expect(await takeOver(read!.version, 's1')).toMatchObject({
        ok: false,
        current: { status: 'removing', claim: { owner: PROCESS_A, until: later(31_000) } },
      });

      // Ten replicas read the same run-out claim and take it over at once: one does.
      const current = await store.getRequest('DR-AAAAAA');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => takeOver(current!.version, `s${i}`)),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      const after = await store.getRequest('DR-AAAAAA');
      expect(after).toMatchObject({ status: 'completed', nextRemovalAt: later(2_000) });
      expect(after?.claim).toBeUndefined();
      expect(
        (await store.listAudit({ requestId: 'DR-AAAAAA' })).filter((e) => e.action === 'removal_interrupted'),
      ).toHaveLength(1);
    });

    it('gives an overview: requests by status, failing removals, notices waiting and the oldest', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      expect(await store.overview()).toEqual({
        requestsByStatus: {},
        removalsFailing: 0,
        noticesWaiting: 0,
        oldestNoticeAt: undefined,
      });
      await store.createRequest(request('DR-AAAAAA'), submitted('DR-AAAAAA'), [
        { target: 'card', event: 'submitted' },
        { target: 'dm', event: 'submitted' },
      ]);
      await store.createRequest(
        request('DR-BBBBBB', { status: 'completed', createdAt: later(5_000), expiresAt: later(9_000) }),
        submitted('DR-BBBBBB'),
        [{ target: 'thread', event: 'provisioned' }],
      );
      await store.createRequest(
        request('DR-CCCCCC', { status: 'completed', removalAttempts: 2, nextRemovalAt: later(60_000) }),
        submitted('DR-CCCCCC'),
        [],
      );
      await store.createRequest(
        request('DR-DDDDDD', { status: 'removed', removalAttempts: 1 }),
        submitted('DR-DDDDDD'),
        [],
      );
      expect(await store.overview()).toEqual({
        requestsByStatus: { pending: 1, completed: 2, removed: 1 },
        removalsFailing: 1,
        noticesWaiting: 3,
        oldestNoticeAt: AT,
      });
      // Delivered or given up: no longer waiting. A notice being delivered (leased) still is.
      const [card, thread] = await store.claimDueNotices(later(10_000), later(70_000), 10);
      await store.markNoticeDelivered(card!.id, later(10_000));
      expect(await store.overview()).toMatchObject({ noticesWaiting: 2, oldestNoticeAt: AT });
      await store.markNoticeFailed(thread!.id, 'channel_not_found', null, later(10_000));
      const [dm] = await store.claimDueNotices(later(10_000), later(70_000), 10);
      expect(await store.overview()).toMatchObject({ noticesWaiting: 1, oldestNoticeAt: AT });
      await store.markNoticeDelivered(dm!.id, later(10_000));
      expect(await store.overview()).toMatchObject({ noticesWaiting: 0, oldestNoticeAt: undefined });
    });
  });
}
