import { describe } from 'vitest';
import type { DriftFinding } from '../../../src/requests/findings.js';
import { verifyChain } from '../../../src/store/audit-chain.js';
import type { ContractKit } from '../contract.js';
import { AT, later, request, submitted } from './fixtures.js';

function finding(id: string, overrides: Partial<DriftFinding> = {}): DriftFinding {
  return {
    id,
    kind: 'unmanaged_right',
    granteeEmail: 'alice@example.com',
    mailbox: 'ceo@example.com',
    mimecastId: 'eNoCEO',
    name: 'Ceo',
    source: 'ADCON',
    status: 'open',
    foundAt: AT,
    lastSeenAt: AT,
    version: 1,
    ...overrides,
  };
}

const found = (id: string) => ({
  requestId: null,
  actor: 'system',
  action: 'drift_found',
  details: { findingId: id },
});

/** Drift findings (each right reported once) and scheduled jobs (claimed by one process per interval). */
export function findingsContract({ target, fresh, it }: ContractKit): void {
  describe(`${target.name}: drift findings and scheduled jobs`, () => {
    it('records a finding once: the same right seen again only moves lastSeenAt, and is audited once', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      const first = await store.recordFinding(finding('DF-AAAAAA'), found('DF-AAAAAA'));
      expect(first).toEqual({ created: true, finding: finding('DF-AAAAAA') });
      const again = await store.recordFinding(
        finding('DF-BBBBBB', { foundAt: later(1000), lastSeenAt: later(1000) }),
        found('DF-BBBBBB'),
      );
      expect(again).toEqual({
        created: false,
        finding: finding('DF-AAAAAA', { lastSeenAt: later(1000), version: 2 }),
      });
      expect(await store.getFinding('DF-BBBBBB')).toBeUndefined();
      // Another right of the same grantee, and the same id on another grantee's list, are new.
      const other = await store.recordFinding(
        finding('DF-CCCCCC', { mimecastId: 'eNoINFO' }),
        found('DF-CCCCCC'),
      );
      const bob = await store.recordFinding(
        finding('DF-DDDDDD', { granteeEmail: 'bob@example.com' }),
        found('DF-DDDDDD'),
      );
      expect([other.created, bob.created]).toEqual([true, true]);
      const audit = await store.listAudit({});
      expect(audit.map((event) => event.details?.findingId)).toEqual(['DF-AAAAAA', 'DF-CCCCCC', 'DF-DDDDDD']);
      expect(verifyChain(audit)).toEqual({ ok: true, count: 3 });
      expect(await store.getFinding('DF-AAAAAA')).toEqual(
        finding('DF-AAAAAA', { lastSeenAt: later(1000), version: 2 }),
      );
    });

    it('records one finding when two stores record the same right at once', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : store).recordFinding(finding(`DF-AAAAA${i}`), found(`DF-AAAAA${i}`)),
        ),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      expect(await store.listFindings({})).toHaveLength(1);
      expect(await store.listAudit({})).toHaveLength(1);
    });

    it('lists findings by status, grantee and whether the admins were told, oldest first', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.recordFinding(
        finding('DF-BBBBBB', { mimecastId: 'b', foundAt: later(2) }),
        found('DF-BBBBBB'),
      );
      await store.recordFinding(
        finding('DF-AAAAAA', { mimecastId: 'a', foundAt: later(1) }),
        found('DF-AAAAAA'),
      );
      await store.recordFinding(
        finding('DF-CCCCCC', { mimecastId: 'c', granteeEmail: 'bob@example.com', foundAt: later(3) }),
        found('DF-CCCCCC'),
      );
      const ids = async (filter: Parameters<typeof store.listFindings>[0]) =>
        (await store.listFindings(filter)).map((f) => f.id);
      expect(await ids({})).toEqual(['DF-AAAAAA', 'DF-BBBBBB', 'DF-CCCCCC']);
      expect(await ids({ granteeEmail: 'bob@example.com' })).toEqual(['DF-CCCCCC']);
      expect(await ids({ limit: 1 })).toEqual(['DF-AAAAAA']);
      expect(await ids({ statuses: [] })).toEqual([]);
      await store.patchFinding('DF-BBBBBB', { message: { channel: 'CAPPROVALS', ts: '1.2' } });
      expect(await ids({ unannounced: true })).toEqual(['DF-AAAAAA', 'DF-CCCCCC']);
      expect((await store.getFinding('DF-BBBBBB'))?.message).toEqual({ channel: 'CAPPROVALS', ts: '1.2' });
      expect((await store.getFinding('DF-BBBBBB'))?.version).toBe(2);
      const moved = await store.transitionFinding({
        id: 'DF-AAAAAA',
        from: ['open'],
        to: 'gone',
        at: later(5),
        audit: { actor: 'system', action: 'drift_gone' },
      });
      expect(moved.ok).toBe(true);
      expect(await ids({ statuses: ['open', 'removing'] })).toEqual(['DF-BBBBBB', 'DF-CCCCCC']);
      expect(await ids({ statuses: ['gone'] })).toEqual(['DF-AAAAAA']);
    });

    it('moves a finding only from the statuses given (compare-and-set), with its audit event; one of many wins', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      await store.recordFinding(finding('DF-AAAAAA'), found('DF-AAAAAA'));
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : store).transitionFinding({
            id: 'DF-AAAAAA',
            from: ['open'],
            to: 'removing',
            at: later(i),
            patch: { removalStartedAt: later(i), resolvedBy: `U${i}` },
            audit: { actor: `U${i}`, action: 'drift_removal_started' },
          }),
        ),
      );
      const winners = claims.flatMap((claim) => (claim.ok ? [claim.finding] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(winner).toMatchObject({ status: 'removing', version: 2 });
      for (const claim of claims.filter((c) => !c.ok)) expect(claim).toEqual({ ok: false, current: winner });
      const audit = await store.listAudit({});
      expect(audit.at(-1)).toMatchObject({
        requestId: null,
        actor: winner.resolvedBy,
        action: 'drift_removal_started',
        details: { findingId: 'DF-AAAAAA' },
      });
      expect(audit).toHaveLength(2);

      // Back to open, its removal fields cleared (given as undefined).
      const reopened = await store.transitionFinding({
        id: 'DF-AAAAAA',
        from: ['removing'],
        to: 'open',
        at: later(20),
        patch: { removalStartedAt: undefined, resolvedBy: undefined },
        audit: { actor: 'UADMIN', action: 'drift_removal_failed', details: { kind: 'server_error' } },
      });
      expect(reopened).toEqual({ ok: true, finding: finding('DF-AAAAAA', { version: 3 }) });
      expect(await store.getFinding('DF-AAAAAA')).toEqual(finding('DF-AAAAAA', { version: 3 }));
      expect((await store.listAudit({})).at(-1)?.details).toEqual({
        findingId: 'DF-AAAAAA',
        kind: 'server_error',
      });
      expect(
        await store.transitionFinding({
          id: 'DF-NOPE00',
          from: ['open'],
          to: 'gone',
          at: AT,
          audit: { actor: 'system', action: 'drift_gone' },
        }),
      ).toEqual({ ok: false, current: undefined });
    });

    it('does not reopen a finding while a newer one stands for the same right', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.recordFinding(finding('DF-AAAAAA'), found('DF-AAAAAA'));
      await store.transitionFinding({
        id: 'DF-AAAAAA',
        from: ['open'],
        to: 'removed',
        at: later(1),
        audit: { actor: 'UADMIN', action: 'drift_right_removed' },
      });
      // Still listed at the next check: reported anew.
      expect((await store.recordFinding(finding('DF-BBBBBB'), found('DF-BBBBBB'))).created).toBe(true);
      const reopen = await store.transitionFinding({
        id: 'DF-AAAAAA',
        from: ['removed'],
        to: 'open',
        at: later(2),
        audit: { actor: 'system', action: 'reopened' },
      });
      expect(reopen).toMatchObject({ ok: false, current: { id: 'DF-AAAAAA', status: 'removed' } });
      expect((await store.listAudit({})).map((event) => event.action)).toEqual([
        'drift_found',
        'drift_right_removed',
        'drift_found',
      ]);
    });

    it('claims a job once per interval, across stores; a lease keeps a second run out until it ends', async (context) => {
      const { expect } = context;
      const { db, store } = await fresh(context);
      const other = await db.open();
      expect(await store.getJob('reconcile')).toBeUndefined();
      const claim = (s: typeof store, at: Date, lastStartedBefore: Date) =>
        s.claimJob({
          name: 'reconcile',
          now: at,
          lastStartedBefore,
          leaseUntil: new Date(at.getTime() + 60_000),
        });
      const first = await Promise.all(
        Array.from({ length: 10 }, (_, i) => claim(i % 2 ? other : store, AT, AT)),
      );
      expect(first.filter(Boolean)).toHaveLength(1);
      expect(await store.getJob('reconcile')).toEqual({
        name: 'reconcile',
        lastStartedAt: AT,
        leaseUntil: later(60_000),
      });
      // A manual run while one holds the lease: refused.
      expect(await claim(other, later(1000), later(1000))).toBe(false);
      await store.finishJob('reconcile', later(2000));
      expect(await store.getJob('reconcile')).toEqual({
        name: 'reconcile',
        lastStartedAt: AT,
        lastFinishedAt: later(2000),
      });
      // The interval has not passed since the last start (at AT): not due.
      expect(await claim(store, later(3000), later(-1))).toBe(false);
      // It has: one of two replicas takes it.
      const due = await Promise.all([claim(store, later(5000), AT), claim(other, later(5000), AT)]);
      expect(due.filter(Boolean)).toHaveLength(1);
      // A run that died holds the lease until it runs out, then the job can be claimed again.
      expect(await claim(store, later(6000), later(6000))).toBe(false);
      expect(await claim(store, later(65_000), later(65_000))).toBe(true);
      // Jobs are independent of each other.
      expect(
        await store.claimJob({ name: 'other', now: AT, lastStartedBefore: AT, leaseUntil: later(1) }),
      ).toBe(true);
    });

    it('finds settling requests whose next check is due', async (context) => {
      const { expect } = context;
      const { store } = await fresh(context);
      await store.createRequest(
        request('DR-AAAAAA', {
          status: 'settling',
          nextSettleAt: later(30_000),
          settleSince: AT,
          settleChecks: 0,
        }),
        submitted('DR-AAAAAA'),
        [],
      );
      await store.createRequest(
        request('DR-BBBBBB', {
          status: 'settling',
          nextSettleAt: later(120_000),
          settleSince: AT,
          settleChecks: 1,
        }),
        submitted('DR-BBBBBB'),
        [],
      );
      await store.createRequest(request('DR-CCCCCC', { status: 'settling' }), submitted('DR-CCCCCC'), []);
      const due = async (at: Date) =>
        (await store.listRequests({ statuses: ['settling'], settleDueBefore: at })).map((r) => r.id);
      expect(await due(later(29_999))).toEqual([]);
      expect(await due(later(30_000))).toEqual(['DR-AAAAAA']);
      expect(await due(later(600_000))).toEqual(['DR-AAAAAA', 'DR-BBBBBB']);
      expect(await store.getRequest('DR-AAAAAA')).toMatchObject({
        nextSettleAt: later(30_000),
        settleSince: AT,
        settleChecks: 0,
      });
    });
  });
}
