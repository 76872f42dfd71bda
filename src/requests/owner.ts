import { startProvisioning } from './decide.js';
import type { Core } from './deps.js';
import { expireOnTheSpot, isOverdue } from './expiry.js';
import { type DelegationRequest, truncate } from './model.js';
import { consentClosed } from './owner-notices.js';
import { missingRequest, type Refusal } from './permissions.js';
import { decisionPath, type Progress, progressOf } from './policy.js';
import { consentStep, lostRace } from './quorum.js';
import { cleanText, REASON_MAX_LENGTH, REASON_MIN_LENGTH } from './submit.js';

/**
 * The mailbox's owner: the active Slack user whose profile email is the mailbox, found when the
 * request is made. A rule with `owner: notify` tells them of every grant, extension and removal; with
 * `owner: consent` they are asked first, and access needs their Allow as well as the approvals.
 */

export type OwnerCheck =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: Extract<Refusal, 'not_found' | 'not_owner'> }
  | { ok: false; reason: 'already_decided' | 'already_answered'; request: DelegationRequest };

/**
 * May this person answer for the owner now: it is their mailbox, the request waits (and has not
 * outlived REQUEST_TTL_HOURS), and they have not answered.
 */
export async function mayAnswerAsOwner(core: Core, id: string, userId: string): Promise<OwnerCheck> {
  const request = await core.store.getRequest(id);
  // Anyone who does not see every request hears the same for no request as for another's mailbox.
  if (!request) return { ok: false, reason: await missingRequest(core, userId, 'not_owner') };
  const path = decisionPath(request, core.policy);
  if (path.owner !== 'consent' || path.ownerId !== userId) return { ok: false, reason: 'not_owner' };
  if (request.status !== 'pending') return { ok: false, reason: 'already_decided', request };
  if (request.ownerAnswer) return { ok: false, reason: 'already_answered', request };
  // Past REQUEST_TTL_HOURS it expires now, whatever the sweep has done, and the owner is told so.
  if (isOverdue(core, request)) {
    return { ok: false, reason: 'already_decided', request: await expireOnTheSpot(core, request, userId) };
  }
  return { ok: true, request };
}

export type OwnerAllowResult =
  | {
      ok: true;
      request: DelegationRequest;
      progress: Progress;
      /** Set when the Allow completed the request: the grant, queued. */
      provisioning?: Promise<DelegationRequest | undefined>;
    }
  | Extract<OwnerCheck, { ok: false }>;

/** The owner allows: recorded, and if the approvals are all in, the request is approved. */
export async function ownerAllow(core: Core, id: string, userId: string): Promise<OwnerAllowResult> {
  for (let attempt = 1; ; attempt += 1) {
    const checked = await mayAnswerAsOwner(core, id, userId);
    if (!checked.ok) return checked;
    const input = consentStep(core, checked.request, userId);
    const result = await core.store.transition(input);
    if (!result.ok) {
      if (lostRace(result.current, attempt)) continue;
      return result.current
        ? { ok: false, reason: 'already_decided', request: result.current }
        : { ok: false, reason: 'not_found' };
    }
    core.logger.info({ requestId: id, actor: userId, approved: input.name === 'approve' }, 'owner allowed');
    core.notify();
    const progress = progressOf(result.request, decisionPath(result.request, core.policy));
    if (input.name !== 'approve') return { ok: true, request: result.request, progress };
    return { ok: true, request: result.request, progress, provisioning: startProvisioning(core, id, userId) };
  }
}

export type OwnerRefuseResult =
  | { ok: true; request: DelegationRequest }
  | Extract<OwnerCheck, { ok: false }>
  /** The requester is told why: a reason is needed. */
  | { ok: false; reason: 'no_reason'; min: number };

/** The owner refuses: the request is denied, with their reason told to the requester. */
export async function ownerRefuse(
  core: Core,
  id: string,
  userId: string,
  reason: string,
): Promise<OwnerRefuseResult> {
  const checked = await mayAnswerAsOwner(core, id, userId);
  if (!checked.ok) return checked;
  const denyReason = truncate(cleanText(reason), REASON_MAX_LENGTH);
  if (denyReason.length < REASON_MIN_LENGTH)
    return { ok: false, reason: 'no_reason', min: REASON_MIN_LENGTH };
  const now = core.clock();
  const result = await core.store.transition({
    id,
    name: 'deny',
    at: now,
    patch: {
      decidedBy: userId,
      decidedAt: now,
      ownerAnswer: { answer: 'refused', by: userId, at: now },
      denyReason,
    },
    audit: {
      actor: userId,
      action: 'owner_refused',
      details: { rule: checked.request.route?.rule, reason: denyReason },
    },
    notices: [
      { target: 'card', event: 'denied' },
      { target: 'dm', event: 'denied' },
      ...consentClosed(checked.request),
    ],
  });
  if (!result.ok) {
    return result.current
      ? { ok: false, reason: 'already_decided', request: result.current }
      : { ok: false, reason: 'not_found' };
  }
  core.logger.info({ requestId: id, actor: userId }, 'owner refused');
  core.notify();
  return { ok: true, request: result.request };
}
