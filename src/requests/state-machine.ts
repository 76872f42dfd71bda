import type { RequestStatus } from './model.js';

/**
 * Every way a request may change status. The store applies each one as a compare-and-set on `from`,
 * so two replicas (or a double click) can never both make the same move.
 *
 * pending ─approve─▶ approved ─start─▶ provisioning ─▶ completed ─startRemoval─▶ removing ─▶ removed
 *    │                                     ├──▶ failed        ▲  └─extend─┘                 │
 *    ├─deny─▶ denied                       └──▶ outcome_unknown └────── removalFailed ──────┘
 *    ├─cancel─▶ cancelled                       (an admin checks Mimecast)
 *    └─expire─▶ expired
 *
 * refuseIneligible: pending or approved ─▶ denied, by the bot itself, when the requester may no longer
 * be given the access (checked on approval and again just before the Mimecast call; see eligibility.ts).
 */
export const TRANSITIONS = {
  approve: { from: ['pending'], to: 'approved' },
  deny: { from: ['pending'], to: 'denied' },
  cancel: { from: ['pending'], to: 'cancelled' },
  expire: { from: ['pending'], to: 'expired' },
  refuseIneligible: { from: ['pending', 'approved'], to: 'denied' },
  remind: { from: ['pending'], to: 'pending' },
  startProvisioning: { from: ['approved'], to: 'provisioning' },
  provisioned: { from: ['provisioning'], to: 'completed' },
  provisioningFailed: { from: ['provisioning'], to: 'failed' },
  provisioningUnknown: { from: ['provisioning'], to: 'outcome_unknown' },
  extend: { from: ['completed'], to: 'completed' },
  startRemoval: { from: ['completed'], to: 'removing' },
  removed: { from: ['removing'], to: 'removed' },
  removalFailed: { from: ['removing'], to: 'completed' },
} as const satisfies Record<string, { from: readonly RequestStatus[]; to: RequestStatus }>;

export type TransitionName = keyof typeof TRANSITIONS;

export function canTransition(name: TransitionName, status: RequestStatus): boolean {
  return (TRANSITIONS[name].from as readonly RequestStatus[]).includes(status);
}
