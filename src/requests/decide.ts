import type { Core } from './deps.js';
import { type IneligibleRefusal, refuseIfIneligible } from './eligibility.js';
import { expireOnTheSpot, isOverdue } from './expiry.js';
import { type DelegationRequest, truncate } from './model.js';
import { consentClosed } from './owner-notices.js';
import { isApproverOf, missingRequest, type Refusal } from './permissions.js';
import type { Progress } from './policy.js';
import type { TransitionInput } from './ports/index.js';
import { provision } from './provision.js';
import { approvalStep, lostRace } from './quorum.js';
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
      progress: Progress;
    }
  /** Recorded towards the rule's quorum (or the owner's consent): the request still waits. */
  | { ok: true; request: DelegationRequest; provisioning?: undefined; progress: Progress }
  | Extract<DecisionCheck, { ok: false }>
  /** This approver's approval is already counted; `progress` says what the request still needs. */
  | { ok: false; reason: 'already_approved'; request: DelegationRequest; progress: Progress }
  /** The requester may no longer be given the access: the bot denied the request instead. */
  | IneligibleRefusal;

/**
 * Whether this user may decide this request now: it waits for a decision, they are one of its rule's
 * approvers, it is not their own, and it has not outlived REQUEST_TTL_HOURS (then it is expired on the
 * spot, whatever the sweep has done, and they are told it expired). The transition checks the status
 * again, so a decision made meanwhile still wins. An id that names no request is `not_approver` to
 * anyone who does not see every request, as someone else's request is.
 */
export async function mayDecide(core: Core, id: string, userId: string): Promise<DecisionCheck> {
  const request = await core.store.getRequest(id);
  if (!request) return { ok: false, reason: await missingRequest(core, userId, 'not_approver') };
  if (!canTransition('approve', request.status)) return { ok: false, reason: 'already_decided', request };
  if (request.requesterId === userId) return { ok: false, reason: 'own_request' };
  if (!(await isApproverOf(core, request, userId))) return { ok: false, reason: 'not_approver' };
  if (isOverdue(core, request)) {
    return { ok: false, reason: 'already_decided', request: await expireOnTheSpot(core, request, userId) };
  }
  return { ok: true, request };
}

/**
 * Approves, or records one approval towards the rule's quorum; the approval that completes it queues
 * the grant in Mimecast (it runs after Slack's ack, in its turn). Each approval is a compare-and-set
 * on the request's version: when another lands in between, this one is read again and counted again,
 * so concurrent clicks record each approver once and approve once.
 */
export async function approve(core: Core, id: string, approverId: string): Promise<ApproveResult> {
  for (let attempt = 1; ; attempt += 1) {
    const checked = await mayDecide(core, id, approverId);
    if (!checked.ok) return checked;
    const step = approvalStep(core, checked.request, approverId);
    if (step.kind === 'already_approved') {
      return { ok: false, reason: 'already_approved', request: checked.request, progress: step.progress };
    }
    // The requester may have left the requester groups, been deactivated or changed email since.
    const ineligible = await refuseIfIneligible(core, checked.request, approverId);
    if (ineligible) return ineligible;
    const result = await core.store.transition(step.input);
    if (!result.ok) {
      if (lostRace(result.current, attempt)) continue;
      return result.current
        ? { ok: false, reason: 'already_decided', request: result.current }
        : { ok: false, reason: 'not_found' };
    }
    core.logger.info(
      { requestId: id, actor: approverId, action: step.input.audit.action },
      'request decided',
    );
    core.notify();
    if (step.kind === 'record') return { ok: true, request: result.request, progress: step.progress };
    return {
      ok: true,
      request: result.request,
      provisioning: startProvisioning(core, id, approverId),
      progress: step.progress,
    };
  }
}

/** The grant after an approval; the approval stands whatever happens next. */
export function startProvisioning(
  core: Core,
  id: string,
  approverId: string,
): Promise<DelegationRequest | undefined> {
  const provisioning = provision(core, id);
  // A fault of the bot's own is logged here, once.
  provisioning.catch((error: unknown) => {
    core.logger.error({ requestId: id, approver: approverId, err: error }, 'provisioning failed');
  });
  return provisioning;
}

/** One deny ends it, whatever approvals it had. */
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
      ...consentClosed(checked.request),
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
