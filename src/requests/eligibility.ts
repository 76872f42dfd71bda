import { showsAsTyped } from './addresses.js';
import type { Core } from './deps.js';
import { type DelegationRequest, domainOf, type IneligibleReason, SYSTEM_ACTOR } from './model.js';
import { consentClosed } from './owner-notices.js';
import { hasRole } from './permissions.js';
import { groupLabel } from './routing.js';

/**
 * Whether the person who asked may still be given what they asked for. Checked when they ask, again
 * when an approver approves, and again just before the Mimecast call, because all of it can change in
 * between: someone leaves the requester group (or the group the request's policy rule takes requests
 * from, kept on its route when it was made), is deactivated, or changes their profile email.
 *
 * When a check after the request fails, the bot denies the request itself (status `denied`, the
 * reason in `ineligible`, audit action `denied_ineligible` by `system`) and tells the approver and the
 * requester why. A denial rather than a status of its own: it ends the request as a denial does, so
 * lists, the card, the App Home and the audit read it as one, and a new request can be made once the
 * person may ask again.
 */

/** What is wrong with the address that would receive access (the requester's own profile email). */
export type GranteeProblem =
  | { code: 'grantee_domain_not_allowed'; granteeEmail: string; allowedDomains: readonly string[] }
  | { code: 'grantee_formatting'; granteeEmail: string };

/**
 * ALLOWED_EMAIL_DOMAINS covers both addresses: the mailbox asked for and the address that gets access
 * to it. And the grantee's address must show on the card exactly as it is (see addresses.ts).
 */
export function granteeProblem(core: Core, granteeEmail: string): GranteeProblem | undefined {
  const allowed = core.policy.allowedEmailDomains;
  if (allowed.length > 0 && !allowed.includes(domainOf(granteeEmail))) {
    return { code: 'grantee_domain_not_allowed', granteeEmail, allowedDomains: allowed };
  }
  if (!showsAsTyped(granteeEmail)) return { code: 'grantee_formatting', granteeEmail };
  return undefined;
}

export type Eligibility = { ok: true } | { ok: false; reason: IneligibleReason };

/**
 * The requester as the directory has them now, within its usual cache period (GROUP_CACHE_TTL_SECONDS):
 * an account that is active, in a requester group and in one of its policy rule's requester groups (when
 * the rule names some), whose profile email is still the address the request grants to, and that
 * address still allowed. Rejects when the directory cannot be asked.
 */
export async function checkEligibility(core: Core, request: DelegationRequest): Promise<Eligibility> {
  const ruleGroups = request.route?.requesterGroupIds;
  const [profile, requester, inRuleGroup] = await Promise.all([
    core.directory.profileOf(request.requesterId),
    hasRole(core, request.requesterId, 'requester'),
    ruleGroups ? core.directory.isMemberOfAny(request.requesterId, ruleGroups) : true,
  ]);
  if (!profile || profile.deactivated) return { ok: false, reason: 'deactivated' };
  if (!requester) return { ok: false, reason: 'not_requester' };
  if (!inRuleGroup) return { ok: false, reason: 'not_rule_requester' };
  if (profile.email !== request.granteeEmail) return { ok: false, reason: 'email_changed' };
  if (granteeProblem(core, profile.email)) return { ok: false, reason: 'grantee_not_allowed' };
  return { ok: true };
}

/** An approval the bot turned into its own denial, for the approver's answer. */
export interface IneligibleRefusal {
  ok: false;
  reason: 'ineligible';
  why: IneligibleReason;
  request: DelegationRequest;
}

/**
 * On approval: if the requester may no longer be given the access, the bot denies the request instead
 * of approving it, and says why. Undefined when the approval may go ahead. A decision made meanwhile by
 * someone else wins; the request is returned as it is then.
 */
export async function refuseIfIneligible(
  core: Core,
  request: DelegationRequest,
  approverId: string,
): Promise<
  IneligibleRefusal | { ok: false; reason: 'already_decided'; request: DelegationRequest } | undefined
> {
  const verdict = await checkEligibility(core, request);
  if (verdict.ok) return undefined;
  const result = await denyAsIneligible(core, request, verdict.reason, 'approval', approverId);
  if (!result.ok) return { ok: false, reason: 'already_decided', request: result.current ?? request };
  return { ok: false, reason: 'ineligible', why: verdict.reason, request: result.request };
}

/**
 * Just before a Mimecast add (the first, on an approved request, or the one made again after an
 * unknown outcome's searches found nothing): the same check, and the same denial when it fails. A directory that cannot be asked counts as a failure (`unconfirmed`): nothing is granted on
 * an answer the bot could not get. Returns what to report in place of the grant, or undefined to go on.
 */
export async function stopBeforeGrant(
  core: Core,
  id: string,
): Promise<{ request: DelegationRequest | undefined } | undefined> {
  const request = await core.store.getRequest(id);
  // Approved (the first add), or settling (the add once more after an unknown outcome); anything
  // else is the claim's business (it refuses it).
  if (request?.status !== 'approved' && request?.status !== 'settling') return undefined;
  let verdict: Eligibility;
  try {
    verdict = await checkEligibility(core, request);
  } catch (error) {
    core.logger.warn({ requestId: id, err: error }, 'could not check the requester before the grant');
    verdict = { ok: false, reason: 'unconfirmed' };
  }
  if (verdict.ok) return undefined;
  const result = await denyAsIneligible(core, request, verdict.reason, 'grant', request.decidedBy);
  return { request: result.ok ? result.request : result.current };
}

/** For the audit: the rule and the groups (ids and names) the requester is no longer in. */
async function ruleGroupsLeft(
  core: Core,
  request: DelegationRequest,
  reason: IneligibleReason,
): Promise<Record<string, unknown>> {
  if (reason !== 'not_rule_requester') return {};
  const route = request.route;
  const groups = route?.requesterGroupIds ?? [];
  return {
    rule: route?.rule,
    groups,
    groupNames: await Promise.all(groups.map((group) => groupLabel(core, group))),
  };
}

async function denyAsIneligible(
  core: Core,
  request: DelegationRequest,
  reason: IneligibleReason,
  stage: 'approval' | 'grant',
  approverId: string | undefined,
) {
  const { id } = request;
  const now = core.clock();
  const data = { reason, stage, ...(approverId ? { approver: approverId } : {}) };
  const result = await core.store.transition({
    id,
    name: 'refuseIneligible',
    at: now,
    patch: { ineligible: reason, ...(stage === 'approval' ? { decidedAt: now } : {}) },
    audit: {
      actor: SYSTEM_ACTOR,
      action: 'denied_ineligible',
      details: { ...data, ...(await ruleGroupsLeft(core, request, reason)) },
    },
    notices: [
      { target: 'card', event: 'denied_ineligible' },
      { target: 'thread', event: 'denied_ineligible', data },
      { target: 'dm', event: 'denied_ineligible', data },
      ...consentClosed(request),
    ],
  });
  if (result.ok) {
    core.logger.warn({ requestId: id, reason, stage }, 'request denied: the requester may no longer get it');
    core.notify();
  }
  return result;
}
