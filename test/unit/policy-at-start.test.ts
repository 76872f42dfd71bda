import { describe, expect, it } from 'vitest';
import type { ApprovalPolicy, PolicyRule } from '../../src/requests/policy.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { fixedClock, serviceFixture } from '../support/fakes.js';

const ROUTE = {
  approverGroupIds: ['SAPP'],
  approvals: 1,
  channelId: 'CAPPROVALS',
  durationChoicesHours: [24],
  defaultDurationHours: 24,
  owner: 'none' as const,
};
const defaults: PolicyRule = { name: 'defaults', mailboxes: ['*'], autoApprove: false, ...ROUTE };

function policyFile(sha256: string): ApprovalPolicy {
  return { file: { path: 'policy.yml', sha256 }, defaults, rules: [] };
}

/** Replicas starting together on one store, each with the same policy file. */
function replicas(store: SqliteStore, sha256: string, count: number) {
  const clock = fixedClock();
  return Array.from({ length: count }, (_, i) =>
    serviceFixture({ store, clock, approvalPolicy: policyFile(sha256), processId: `replica-${i + 1}` }),
  );
}

async function policyEvents(store: SqliteStore) {
  return (await store.listAudit({}))
    .filter((e) => e.action.startsWith('policy_'))
    .map((e) => ({ action: e.action, ...e.details }));
}

describe('the policy recorded at start, by replicas starting together', () => {
  it('a first policy file is recorded once, and a change once, however many replicas start at once', async () => {
    const store = new SqliteStore(':memory:');
    const first = await Promise.all(
      replicas(store, 'a'.repeat(64), 4).map((r) => r.service.recordPolicyAtStart()),
    );
    expect(first.filter(Boolean)).toEqual(['policy_loaded']);
    const changed = await Promise.all(
      replicas(store, 'b'.repeat(64), 4).map((r) => r.service.recordPolicyAtStart()),
    );
    expect(changed.filter(Boolean)).toEqual(['policy_changed']);
    // The same file again: nothing.
    const again = await Promise.all(
      replicas(store, 'b'.repeat(64), 2).map((r) => r.service.recordPolicyAtStart()),
    );
    expect(again.filter(Boolean)).toEqual([]);
    expect(await policyEvents(store)).toEqual([
      { action: 'policy_loaded', hash: 'a'.repeat(64), path: 'policy.yml', rules: [] },
      {
        action: 'policy_changed',
        hash: 'b'.repeat(64),
        previousHash: 'a'.repeat(64),
        path: 'policy.yml',
        rules: [],
      },
    ]);
  });
});
