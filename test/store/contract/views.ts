import { describe } from 'vitest';
import { DuplicateViewError } from '../../../src/requests/ports/index.js';
import type { ContractKit } from '../contract.js';
import { request, submitted } from './fixtures.js';

/** One Slack form makes one request: the view id is unique across the store, whatever process writes. */
export function viewsContract({ target, fresh, it }: ContractKit): void {
  describe(`${target.name}: the form each request came from`, () => {
    it('keeps the view id, finds the request by it, and refuses a second request from it', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      const first = request('DR-AAAAAA', { viewId: 'V0FORM1' });
      await store.createRequest(first, submitted('DR-AAAAAA'), [{ target: 'card', event: 'submitted' }]);
      expect(await store.getRequest('DR-AAAAAA')).toEqual(first);
      expect(await store.listRequests({ viewId: 'V0FORM1' })).toEqual([first]);
      expect(await store.listRequests({ viewId: 'V0OTHER' })).toEqual([]);

      const replay = store.createRequest(
        request('DR-BBBBBB', { viewId: 'V0FORM1', mailbox: 'info@example.com' }),
        submitted('DR-BBBBBB'),
        [{ target: 'card', event: 'submitted' }],
      );
      await expect(replay).rejects.toBeInstanceOf(DuplicateViewError);
      await expect(replay).rejects.toMatchObject({ viewId: 'V0FORM1' });
      // Nothing of the refused request was written: no row, no audit event, no notice.
      expect(await store.getRequest('DR-BBBBBB')).toBeUndefined();
      expect((await store.listAudit({})).map((e) => e.requestId)).toEqual(['DR-AAAAAA']);
      expect((await store.dueNotices(new Date('2030-01-01'), 10)).map((n) => n.requestId)).toEqual([
        'DR-AAAAAA',
      ]);
    });

    it('requests without a view id (made before it was recorded) never collide', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request('DR-AAAAAA'), submitted('DR-AAAAAA'), []);
      await store.createRequest(request('DR-BBBBBB'), submitted('DR-BBBBBB'), []);
      await store.createRequest(request('DR-CCCCCC', { viewId: 'V0FORM1' }), submitted('DR-CCCCCC'), []);
      expect(await store.listRequests({})).toHaveLength(3);
      expect((await store.getRequest('DR-AAAAAA'))?.viewId).toBeUndefined();
    });

    it('two stores inserting from the same form at once: one request, one DuplicateViewError', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      const results = await Promise.allSettled([
        store.createRequest(request('DR-AAAAAA', { viewId: 'V0RACE' }), submitted('DR-AAAAAA'), []),
        other.createRequest(request('DR-BBBBBB', { viewId: 'V0RACE' }), submitted('DR-BBBBBB'), []),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(DuplicateViewError);
      expect(await store.listRequests({ viewId: 'V0RACE' })).toHaveLength(1);
      expect(await store.listAudit({})).toHaveLength(1);
    });

    it('keeps why the bot denied a request (ineligible) through a transition', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(request(), submitted('DR-AAAAAA'), []);
      const result = await store.transition({
        id: 'DR-AAAAAA',
        name: 'refuseIneligible',
        at: new Date('2026-11-28T11:00:00.000Z'),
        patch: { ineligible: 'email_changed' },
        audit: { actor: 'system', action: 'denied_ineligible', details: { reason: 'email_changed' } },
      });
      expect(result.ok && result.request).toMatchObject({ status: 'denied', ineligible: 'email_changed' });
      expect(await store.getRequest('DR-AAAAAA')).toMatchObject({
        status: 'denied',
        ineligible: 'email_changed',
        version: 2,
      });
    });
  });
}
