import type { Core } from './deps.js';
import type { DelegationRequest, RequestRoute } from './model.js';
import { ownerNotices } from './owner-notices.js';
import type { PolicyRule } from './policy.js';
import { provision } from './provision.js';
import type { MailboxProblem } from './submit.js';

/**
 * A request's way through the approval policy, at the moment it is made: the rule its mailbox falls
 * under, whether this person may ask under it, and the decision path copied onto the request.
 */

/** Why the rule does not take this person's request for its mailboxes, if it does not. */
export async function ruleRefusal(
  core: Core,
  rule: PolicyRule,
  requesterId: string,
): Promise<MailboxProblem | undefined> {
  if (rule.deny !== undefined) return { code: 'denied_by_rule', text: rule.deny };
  const groups = rule.requesterGroupIds;
  if (groups && !(await core.directory.isMemberOfAny(requesterId, groups))) {
    return { code: 'needs_group', groups: await Promise.all(groups.map((id) => groupLabel(core, id))) };
  }
  return undefined;
}

/** How people know a group (`@support-team`), or its id when Slack does not say. */
export async function groupLabel(core: Core, groupId: string): Promise<string> {
  try {
    return (await core.directory.groupHandle(groupId)) ?? groupId;
  } catch (error) {
    core.logger.warn({ groupId, err: error }, 'could not read the user group list');
    return groupId;
  }
}

/**
 * The decision path a new request keeps, under a policy file (none without one: the settings decide).
 * The owner is looked up now; none found means the approvers decide alone.
 */
export async function routeFor(
  core: Core,
  rule: PolicyRule,
  mailbox: string,
): Promise<RequestRoute | undefined> {
  const file = core.approval.file;
  if (!file) return undefined;
  const ownerId = rule.owner === 'none' ? undefined : await core.directory.userWithEmail(mailbox);
  return {
    rule: rule.name,
    policyHash: file.sha256,
    approverGroupIds: [...rule.approverGroupIds],
    ...(rule.requesterGroupIds ? { requesterGroupIds: [...rule.requesterGroupIds] } : {}),
    approvals: rule.approvals,
    channelId: rule.channelId,
    durationChoicesHours: [...rule.durationChoicesHours],
    owner: rule.owner,
    ...(ownerId ? { ownerId } : {}),
    ...(rule.autoApprove ? { autoApproved: true } : {}),
  };
}

/** What the `submitted` audit event records of the route: the rule, the policy, and the owner found or not. */
export function routeDetails(route: RequestRoute | undefined): Record<string, unknown> {
  if (!route) return {};
  return {
    rule: route.rule,
    policyHash: route.policyHash,
    ...(route.owner === 'none' ? {} : route.ownerId ? { ownerId: route.ownerId } : { ownerMissing: true }),
    ...(route.autoApproved ? { autoApproved: true } : {}),
  };
}

/** The notices of a new request: the card and the requester's DM, and the owner asked for consent. */
export function submittedNotices(request: DelegationRequest) {
  // Granted at once: the card (for information) comes with the approval, the DM with the grant.
  if (request.route?.autoApproved) return [];
  return [
    { target: 'card', event: 'submitted' } as const,
    { target: 'dm', event: 'submitted' } as const,
    ...(request.route?.owner === 'consent' ? ownerNotices(request, { event: 'consent_requested' }) : []),
  ];
}

/** The actor an auto-approval is recorded under: the rule, not a person. */
export function ruleActor(rule: string): string {
  return `policy:${rule}`;
}

/** A rule with auto_approve grants at once: approved by the rule, then provisioned like any approval. */
export async function approveByRule(core: Core, request: DelegationRequest): Promise<DelegationRequest> {
  const rule = request.route?.rule ?? '';
  const actor = ruleActor(rule);
  const now = core.clock();
  const result = await core.store.transition({
    id: request.id,
    name: 'approve',
    at: now,
    patch: { decidedBy: actor, decidedAt: now },
    audit: { actor, action: 'approved', details: { rule, autoApproved: true } },
    notices: [{ target: 'card', event: 'approved' }],
  });
  if (!result.ok) return result.current ?? request;
  core.logger.info({ requestId: request.id, rule }, 'request approved by its policy rule');
  core.notify();
  provision(core, request.id).catch((error: unknown) => {
    core.logger.error({ requestId: request.id, approver: actor, err: error }, 'provisioning failed');
  });
  return result.request;
}
