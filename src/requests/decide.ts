import type { Core } from './deps.js';
import { type IneligibleRefusal, refuseIfIneligible } from './eligibility.js';
import { expireOnTheSpot, isOverdue } from './expiry.js';
import { type DelegationRequest, truncate } from './model.js';
import { hasRole, type Refusal } from './permissions.js';
import type { TransitionInput } from './ports/index.js';
import { provision } from './provision.js';
import { canTransition } from './state-machine.js';
import { cleanText, REASON_MAX_LENGTH } from './submit.js';

export type DecisionRefusal = Extract<Refusal, 'not_found' | 'not_approver' | 'own_request'>;

/** Whether someone may decide a request now, and the request if so. */
export type DecisionCheck =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: DecisionRefusal }
  | { ok: false; reason: 'already_decided'; request: DelegationRequest };

export type DenyResult = DecisionCheck;

export type ApproveResult =
  | {
      ok: true;
      request: DelegationRequest;
      /**
       * The grant in Mimecast, queued by the approval itself: resolves with the request once its
       * outcome is recorded; rejects only on a fault of the bot's own (the approval stands).
       */
      provisioning: Promise<DelegationRequest | undefined>;
    }
  | Extract<DecisionCheck, { ok: false }>
  /** The requester may no longer be given the access: the bot denied the request instead. */
  | IneligibleRefusal;

/**
 * Whether this user may decide this request now: it waits for a decision, they approve, it is not
 * their own, and it has not outlived REQUEST_TTL_HOURS (then it is expired on the spot, whatever the
 * sweep has done, and they are told it expired). The transition checks the status again, so a
 * decision made meanwhile still wins.
 */
export async function mayDecide(core: Core, id: string, userId: string): Promise<DecisionCheck> {
  const request = await core.store.getRequest(id);
  if (!request) return { ok: false, reason: 'not_found' };
  if (!canTransition('approve', request.status)) return { ok: false, reason: 'already_decided', request };
  if (request.requesterId === userId) return { ok: false, reason: 'own_request' };
  if (!(await hasRole(core, userId, 'approver'))) return { ok: false, reason: 'not_approver' };
  if (isOverdue(core, request)) {
    return { ok: false, reason: 'already_decided', request: await expireOnTheSpot(core, request, userId) };
  }
  return { ok: true, request };
}

/** Approves, and queues the grant in Mimecast (it runs after Slack's ack, in its turn). */
export async function approve(core: Core, id: string, approverId: string): Promise<ApproveResult> {
  const checked = await mayDecide(core, id, approverId);
  if (!checked.ok) return checked;
  const ineligible = await refuseIfIneligible(core, checked.request, approverId);
  if (ineligible) return ineligible;
  const now = core.clock();
  const decided = await record(core, approverId, {
    id,
    name: 'approve',
    at: now,
    patch: { decidedBy: approverId, decidedAt: now },
    audit: { actor: approverId, action: 'approved' },
    notices: [{ target: 'card', event: 'approved' }],
  });
  if (!decided.ok) return decided;
  const provisioning = provision(core, id);
  // The approval stands whatever happens next; a fault of the bot's own is logged here, once.
  provisioning.catch((error: unknown) => {
    core.logger.error({ requestId: id, approver: approverId, err: error }, 'provisioning failed');
  });
  return { ok: true, request: decided.request, provisioning };
}

export async function deny(core: Core, id: string, approverId: string, reason?: string): Promise<DenyResult> {
  const checked = await mayDecide(core, id, approverId);
  if (!checked.ok) return checked;
  const now = core.clock();
  const denyReason = reason ? truncate(cleanText(reason), REASON_MAX_LENGTH) : '';
  return record(core, approverId, {
    id,
    name: 'deny',
    at: now,
    patch: { decidedBy: approverId, decidedAt: now, ...(denyReason ? { denyReason } : {}) },
    audit: {
      actor: approverId,
      action: 'denied',
      ...(denyReason ? { details: { reason: denyReason } } : {}),
    },
    notices: [
      { target: 'card', event: 'denied' },
      { target: 'dm', event: 'denied' },
    ],
  });
}

async function record(core: Core, actor: string, input: TransitionInput): Promise<DecisionCheck> {
  const result = await core.store.transition(input);
  if (!result.ok) {
    if (!result.current) return { ok: false, reason: 'not_found' };
    return { ok: false, reason: 'already_decided', request: result.current };
  }
  core.logger.info({ requestId: input.id, actor, action: input.audit.action }, 'request decided');
  core.notify();
  return { ok: true, request: result.request };
}
