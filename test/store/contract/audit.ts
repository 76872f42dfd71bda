import { describe } from 'vitest';
import type { Store } from '../../../src/requests/ports/index.js';
import { verifyChain } from '../../../src/store/audit-chain.js';
import type { ContractKit } from '../contract.js';
import { AT, later, request, submitted } from './fixtures.js';

export function auditContract({ target, fresh, it }: ContractKit): void {
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

    it('finds the latest event with one of some actions (the last policy change), or none', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      expect(await store.lastAuditEvent(['policy_loaded', 'policy_changed'])).toBeUndefined();
      expect(await store.lastAuditEvent([])).toBeUndefined();
      const loaded = await store.appendAudit(
        { requestId: null, actor: 'system', action: 'policy_loaded', details: { hash: 'aaa' } },
        AT,
      );
      await store.createRequest(request('DR-AAAAAA'), submitted('DR-AAAAAA'), []);
      expect(await store.lastAuditEvent(['policy_loaded', 'policy_changed'])).toEqual(loaded);
      const changed = await store.appendAudit(
        {
          requestId: null,
          actor: 'system',
          action: 'policy_changed',
          details: { previousHash: 'aaa', hash: 'bbb' },
        },
        later(1000),
      );
      await store.appendAudit({ requestId: null, actor: 'UADMIN', action: 'admin_command' }, later(2000));
      expect(await store.lastAuditEvent(['policy_loaded', 'policy_changed'])).toEqual(changed);
      expect(await store.lastAuditEvent(['policy_loaded'])).toEqual(loaded);
      expect(await store.lastAuditEvent(['submitted'])).toMatchObject({ seq: 2, requestId: 'DR-AAAAAA' });
      expect(await store.lastAuditEvent(['no_such_action'])).toBeUndefined();
    });

    it('appends after the last event of some actions only when asked to, once while two stores race', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      const actions = ['policy_loaded', 'policy_changed'];
      /** Records hash `hash` unless it is the last one recorded: what replicas starting together do. */
      const record = (target: Store, hash: string, i: number) =>
        target.appendAuditAfter(
          actions,
          (last) =>
            last?.details?.hash === hash
              ? undefined
              : {
                  requestId: null,
                  actor: 'system',
                  action: last ? 'policy_changed' : 'policy_loaded',
                  details: { hash, ...(last ? { previousHash: last.details?.hash } : {}) },
                },
          later(i),
        );
      const first = await Promise.all(
        Array.from({ length: 10 }, (_, i) => record(i % 2 ? other : store, 'aaa', i)),
      );
      expect(first.filter(Boolean)).toHaveLength(1);
      const second = await Promise.all(
        Array.from({ length: 10 }, (_, i) => record(i % 2 ? other : store, 'bbb', i)),
      );
      expect(second.filter(Boolean)).toHaveLength(1);
      // Unrelated appends in between do not count as the last of these actions.
      await store.appendAudit({ requestId: null, actor: 'UADMIN', action: 'admin_command' }, later(50));
      expect(await record(other, 'bbb', 60)).toBeUndefined();
      const events = await store.listAudit({});
      expect(verifyChain(events)).toEqual({ ok: true, count: 3 });
      expect(events.map((e) => [e.action, e.details])).toEqual([
        ['policy_loaded', { hash: 'aaa' }],
        ['policy_changed', { hash: 'bbb', previousHash: 'aaa' }],
        ['admin_command', {}],
      ]);
      // What it returned is what was stored.
      expect(second.find(Boolean)).toEqual(events[1]);
    });
  });
}
