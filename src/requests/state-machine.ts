import type { RequestStatus } from './model.js';

/**
 * Every way a request may change status. The store applies each one as a compare-and-set on `from`,
 * so two replicas (or a double click) can never both make the same move.
 *
 * pending ─approve─▶ approved ─start─▶ provisioning ──▶ completed ─startRemoval─▶ removing ─▶ removed
 *    ├─deny─▶ denied                     │  ▲   ├──▶ failed      │  └─extend─┘  ▲   └─removalFailed─┘
 *    ├─cancel─▶ cancelled                │  │   └──▶ outcome_unknown (admins)   │
 *    └─expire─▶ expired  unknown outcome ▼  │retry        ▲                     │
 *                                    settling ────────────┘ refused, or        │
 *                                      │  ▲ └─settleStep    no answer at last  │
 *                                      └──┘ (30 s, 2 min, 10 min)              │
 *                         settling ─found─▶ completed ─removedOutside (a check finds it gone)─▶ removed
 *
 * refuseIneligible: pending, approved or settling ─▶ denied, by the bot itself, when the requester may
 * no longer be given the access (checked on approval and again just before each Mimecast add; see
 * eligibility.ts).
 */
export const TRANSITIONS = {
  approve: { from: ['pending'], to: 'approved' },
  deny: { from: ['pending'], to: 'denied' },
  cancel: { from: ['pending'], to: 'cancelled' },
  expire: { from: ['pending'], to: 'expired' },
  refuseIneligible: { from: ['pending', 'approved', 'settling'], to: 'denied' },
  remind: { from: ['pending'], to: 'pending' },
  /** One approval towards a quorum, or the owner's consent, while more is needed. */
  recordApproval: { from: ['pending'], to: 'pending' },
  startProvisioning: { from: ['approved'], to: 'provisioning' },
  provisioned: { from: ['provisioning'], to: 'completed' },
  provisioningFailed: { from: ['provisioning'], to: 'failed' },
  provisioningUnknown: { from: ['provisioning'], to: 'outcome_unknown' },
  // Settling an unknown outcome (settle.ts): each search is claimed, then its result recorded.
  settleUnknown: { from: ['provisioning'], to: 'settling' },
  settleStep: { from: ['settling'], to: 'settling' },
  settledPresent: { from: ['settling'], to: 'completed' },
  retryProvisioning: { from: ['settling'], to: 'provisioning' },
  settleFailed: { from: ['settling'], to: 'outcome_unknown' },
  extend: { from: ['completed'], to: 'completed' },
  startRemoval: { from: ['completed'], to: 'removing' },
  removed: { from: ['removing'], to: 'removed' },
  removalFailed: { from: ['removing'], to: 'completed' },
  // A check against Mimecast (reconcile.ts) no longer finds access the bot thinks is active.
  removedOutside: { from: ['completed'], to: 'removed' },
} as const satisfies Record<string, { from: readonly RequestStatus[]; to: RequestStatus }>;

export type TransitionName = keyof typeof TRANSITIONS;

export function canTransition(name: TransitionName, status: RequestStatus): boolean {
  return (TRANSITIONS[name].from as readonly RequestStatus[]).includes(status);
}
