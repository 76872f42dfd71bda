import { describe } from 'vitest';
import type { ContractKit } from '../contract.js';
import { AT, key, later, request, submitted } from './fixtures.js';

export function noticesContract({ target, fresh, it }: ContractKit): void {
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
}
