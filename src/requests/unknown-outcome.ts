import type { Core } from './deps.js';
import { type DelegationRequest, type Failure, SYSTEM_ACTOR } from './model.js';
import { everywhere } from './notices.js';
import type { TransitionInput } from './ports/index.js';

/**
 * What an add whose outcome is unknown becomes: a request settling, with its checks scheduled in
 * the store (settle.ts makes them). Shared by provisioning and start-up recovery.
 */

/** When the outcome is checked, counted from the moment it became unknown. */
export const SETTLE_CHECKS_AFTER_MS = [30_000, 120_000, 600_000] as const;
/** How long a process holds a check it claimed: a crash in the middle frees the check after this. */
export const SETTLE_CLAIM_MS = 5 * 60_000;

/** The add of an unknown outcome is settled before a second one is made, and there is no third. */
export const LAST_ADD_ATTEMPT = 2;

/**
 * The transition into settling, for an add whose outcome is unknown (`since`: when the add began).
 * Its notices tell everyone the outcome is being checked and nobody should retry by hand.
 */
export function startSettling(
  core: Core,
  request: DelegationRequest,
  failure: Failure,
  since: Date,
  action = 'provisioning_outcome_unknown',
): TransitionInput {
  const nextSettleAt = new Date(since.getTime() + SETTLE_CHECKS_AFTER_MS[0]);
  return {
    id: request.id,
    name: 'settleUnknown',
    at: core.clock(),
    patch: { failure, settleSince: since, settleChecks: 0, nextSettleAt },
    audit: {
      actor: SYSTEM_ACTOR,
      action,
      details: { ...failure, settling: true, nextCheckAt: nextSettleAt.toISOString() },
    },
    notices: everywhere('checking'),
  };
}
