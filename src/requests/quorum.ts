import type { Core } from './deps.js';
import type { DelegationRequest } from './model.js';
import { consentClosed } from './owner-notices.js';
import { decisionPath, type Progress, progressOf } from './policy.js';
import type { TransitionInput } from './ports/index.js';

/**
 * Approvals towards a quorum. A policy rule may need several distinct approvers, and the mailbox
 * owner's consent besides: each approval is recorded as a compare-and-set on the request's version,
 * and the one that completes what the rule needs makes the `approve` transition. Without a policy
 * file a request needs one approval, and the first one approves it, as it always did.
 */

/** What one approval does to a request, computed from the request as read. */
export type ApprovalStep =
  | { kind: 'already_approved'; progress: Progress }
  /** Recorded; the request still waits for more approvals or for the owner. */
  | { kind: 'record'; progress: Progress; input: TransitionInput }
  /** The approval that completes it: the request is approved. */
  | { kind: 'approve'; progress: Progress; input: TransitionInput };

/** The request is approved once it has its approvals and, when asked for, the owner's consent. */
export function isComplete(progress: Progress): boolean {
  return progress.approvals >= progress.needed && progress.owner !== 'waiting';
}

export function approvalStep(core: Core, request: DelegationRequest, approverId: string): ApprovalStep {
  const path = decisionPath(request, core.policy);
  const progress = progressOf(request, path);
  if (progress.approvers.includes(approverId)) return { kind: 'already_approved', progress };
  const now = core.clock();
  const after: Progress = {
    ...progress,
    approvals: progress.approvals + 1,
    approvers: [...progress.approvers, approverId],
  };
  // Under a policy file every approval is kept on the request; without one the approver is decidedBy.
  const approvals = request.route
    ? { approvals: [...(request.approvals ?? []), { by: approverId, at: now }] }
    : {};
  const rule = request.route ? { rule: request.route.rule } : {};
  if (isComplete(after)) {
    return {
      kind: 'approve',
      progress: after,
      input: {
        id: request.id,
        name: 'approve',
        at: now,
        expectedVersion: request.version,
        patch: { decidedBy: approverId, decidedAt: now, ...approvals },
        audit: {
          actor: approverId,
          action: 'approved',
          ...(request.route ? { details: { ...rule, approvers: after.approvers } } : {}),
        },
        notices: [{ target: 'card', event: 'approved' }, ...consentClosed(request)],
      },
    };
  }
  return {
    kind: 'record',
    progress: after,
    input: {
      id: request.id,
      name: 'recordApproval',
      at: now,
      expectedVersion: request.version,
      patch: approvals,
      audit: {
        actor: approverId,
        action: 'approval_recorded',
        details: {
          ...rule,
          approvals: after.approvals,
          needed: after.needed,
          ...(after.owner === 'waiting' ? { waitingForOwner: true } : {}),
        },
      },
      notices: [{ target: 'card', event: 'approval_recorded' }],
    },
  };
}

/** The owner's Allow: recorded, or, when the approvals are all in, what approves the request. */
export function consentStep(core: Core, request: DelegationRequest, ownerId: string): TransitionInput {
  const path = decisionPath(request, core.policy);
  const progress = progressOf(request, path);
  const now = core.clock();
  const answer = { ownerAnswer: { answer: 'allowed' as const, by: ownerId, at: now } };
  const details = { rule: request.route?.rule, approvals: progress.approvals, needed: progress.needed };
  if (isComplete({ ...progress, owner: 'allowed' })) {
    return {
      id: request.id,
      name: 'approve',
      at: now,
      expectedVersion: request.version,
      patch: { decidedBy: progress.approvers.at(-1) ?? ownerId, decidedAt: now, ...answer },
      audit: {
        actor: ownerId,
        action: 'owner_allowed',
        details: { ...details, approvers: progress.approvers },
      },
      notices: [{ target: 'card', event: 'approved' }, ...consentClosed(request)],
    };
  }
  return {
    id: request.id,
    name: 'recordApproval',
    at: now,
    expectedVersion: request.version,
    patch: answer,
    audit: { actor: ownerId, action: 'owner_allowed', details },
    notices: [{ target: 'card', event: 'owner_allowed' }, ...consentClosed(request)],
  };
}

/** How often a change computed from what was read is tried again after another change won the race. */
export const MAX_ATTEMPTS = 50;

/**
 * Whether a compare-and-set lost only to a concurrent change of the same pending request (another
 * approval, a card being recorded): then it is read again and the step recomputed.
 */
export function lostRace(current: DelegationRequest | undefined, attempt: number): boolean {
  if (current?.status !== 'pending') return false;
  if (attempt >= MAX_ATTEMPTS)
    throw new Error(`request ${current.id} kept changing; gave up after ${attempt} tries`);
  return true;
}
