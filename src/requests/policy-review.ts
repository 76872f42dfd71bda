import { isOwnMailbox, taggedFormOf } from './addresses.js';
import type { Core } from './deps.js';
import { domainOf, isEmailAddress, normalizeEmail, SYSTEM_ACTOR } from './model.js';
import { type AdminPermit, hasRole } from './permissions.js';
import { type ApprovalPolicy, type PolicyRule, ruleFor } from './policy.js';
import { ruleRefusal } from './routing.js';
import type { MailboxProblem } from './submit.js';

/**
 * Looking at the approval policy: what it says (`/delegate policy`), what it would do for one mailbox
 * and requester (`/delegate policy test`), rules no request could ever pass (`/delegate health`), and
 * the audit event of a changed policy at start.
 */

/** `/delegate policy` (admins): the policy as resolved, rules in order, then the defaults. */
export function describePolicy(core: Core, _permit: AdminPermit): ApprovalPolicy {
  return core.approval;
}

/** What would happen to a request from `requesterId` for this mailbox. */
export type RequesterVerdict =
  | { kind: 'not_requester' }
  | { kind: 'own_mailbox' }
  | { kind: 'refused'; problem: MailboxProblem }
  | { kind: 'auto_approved' }
  | { kind: 'to_approvers' };

export type PolicyTest =
  | { ok: false; reason: 'invalid_mailbox' }
  /** The requester named is neither a user id nor the email of an active Slack user. */
  | { ok: false; reason: 'unknown_requester' }
  /** A sub-addressed mailbox (`ceo+x@`): refused at submit, so no rule applies; `plain` would. */
  | { ok: false; reason: 'sub_addressed'; mailbox: string; plain: string }
  /** A tagged form of the requester's own address (`alice+x@` for Alice): refused at submit as their own. */
  | { ok: false; reason: 'own_mailbox'; mailbox: string; userId: string }
  | { ok: false; reason: 'domain_not_allowed'; allowedDomains: readonly string[] }
  | {
      ok: true;
      mailbox: string;
      rule: PolicyRule;
      policyHash?: string;
      /** The owner found, when the rule involves them (undefined: none found, so approvers alone). */
      ownerId?: string;
      requester?: { userId: string; verdict: RequesterVerdict };
    };

/**
 * `/delegate policy test <mailbox> [requester]` (admins and approvers): creates nothing. The requester
 * is a Slack user id, or the email address of one.
 */
export async function testPolicy(
  core: Core,
  _permit: AdminPermit,
  mailboxText: string,
  requester?: string,
): Promise<PolicyTest> {
  const mailbox = normalizeEmail(mailboxText);
  if (!isEmailAddress(mailbox)) return { ok: false, reason: 'invalid_mailbox' };
  let requesterId: string | undefined;
  if (requester !== undefined) {
    requesterId = /^[UW][A-Z0-9]{2,}$/.test(requester)
      ? requester
      : isEmailAddress(normalizeEmail(requester))
        ? await core.directory.userWithEmail(normalizeEmail(requester))
        : undefined;
    if (!requesterId) return { ok: false, reason: 'unknown_requester' };
  }
  const plain = taggedFormOf(mailbox);
  if (plain) {
    // As at submit, `alice+x@` asked for by Alice is her own mailbox: that says more than "a tagged form".
    if (requesterId && (await ownMailboxOf(core, mailbox, requesterId))) {
      return { ok: false, reason: 'own_mailbox', mailbox, userId: requesterId };
    }
    return { ok: false, reason: 'sub_addressed', mailbox, plain };
  }
  const domains = core.policy.allowedEmailDomains;
  if (domains.length > 0 && !domains.includes(domainOf(mailbox))) {
    return { ok: false, reason: 'domain_not_allowed', allowedDomains: domains };
  }
  const rule = ruleFor(core.approval, mailbox);
  const ownerId =
    rule.owner === 'none' || rule.deny ? undefined : await core.directory.userWithEmail(mailbox);
  const result: PolicyTest = {
    ok: true,
    mailbox,
    rule,
    ...(core.approval.file ? { policyHash: core.approval.file.sha256 } : {}),
    ...(ownerId ? { ownerId } : {}),
  };
  if (!requesterId) return result;
  return {
    ...result,
    requester: { userId: requesterId, verdict: await verdictFor(core, rule, mailbox, requesterId) },
  };
}

async function verdictFor(
  core: Core,
  rule: PolicyRule,
  mailbox: string,
  requesterId: string,
): Promise<RequesterVerdict> {
  if (!(await hasRole(core, requesterId, 'requester'))) return { kind: 'not_requester' };
  if (await ownMailboxOf(core, mailbox, requesterId)) return { kind: 'own_mailbox' };
  const problem = await ruleRefusal(core, rule, requesterId);
  if (problem) return { kind: 'refused', problem };
  return { kind: rule.autoApprove ? 'auto_approved' : 'to_approvers' };
}

/**
 * The same rule as submit: a requester's profile email in any case, or with a +tag, is their own
 * mailbox (said only of someone who may ask at all, as submit checks that first).
 */
async function ownMailboxOf(core: Core, mailbox: string, requesterId: string): Promise<boolean> {
  if (!(await hasRole(core, requesterId, 'requester'))) return false;
  const email = await core.directory.emailOf(requesterId);
  return email !== undefined && isOwnMailbox(email, mailbox);
}

/** A rule whose approver groups have fewer people than it needs approvals: its requests never pass. */
export interface PolicyWarning {
  rule: string;
  approvals: number;
  groupIds: readonly string[];
  /** Distinct members of the groups; absent when a group could not be read. */
  members?: number;
  /** Slack's answer when a group could not be read. */
  error?: string;
}

export async function policyWarnings(core: Core): Promise<PolicyWarning[]> {
  const warnings: PolicyWarning[] = [];
  // Without a policy file nothing here is new: one approval from APPROVER_GROUP_IDS, as always.
  if (!core.approval.file) return warnings;
  for (const rule of [...core.approval.rules, core.approval.defaults]) {
    if (rule.deny !== undefined || rule.autoApprove) continue;
    const about = { rule: rule.name, approvals: rule.approvals, groupIds: rule.approverGroupIds };
    try {
      const members = new Set<string>();
      for (const group of rule.approverGroupIds) {
        for (const member of await core.directory.membersOf(group)) members.add(member);
      }
      if (members.size < rule.approvals) warnings.push({ ...about, members: members.size });
    } catch (error) {
      warnings.push({ ...about, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return warnings;
}

export const POLICY_EVENTS = ['policy_loaded', 'policy_changed'] as const;

/**
 * At start: the first policy file is recorded in the audit log (`policy_loaded`), and so is every
 * change since the last recorded one (`policy_changed`, with the old and the new sha256; a removed
 * file is a change to none). The comparison with the last recorded one and the append are one
 * transaction under the audit chain's lock, so replicas starting together record a change once.
 * Returns the event appended, if any.
 */
export async function recordPolicyAtStart(core: Core): Promise<string | undefined> {
  const file = core.approval.file;
  let previous: string | undefined;
  const appended = await core.store.appendAuditAfter(
    POLICY_EVENTS,
    (last) => {
      const recorded = last?.details?.hash;
      previous = typeof recorded === 'string' ? recorded : undefined;
      if (previous === file?.sha256) return undefined;
      return {
        requestId: null,
        actor: SYSTEM_ACTOR,
        action: last ? 'policy_changed' : 'policy_loaded',
        details: {
          hash: file?.sha256 ?? null,
          ...(last ? { previousHash: previous ?? null } : {}),
          ...(file ? { path: file.path, rules: core.approval.rules.map((rule) => rule.name) } : {}),
        },
      };
    },
    core.clock(),
  );
  if (!appended) return undefined;
  const action = appended.action;
  core.logger.info(
    { action, hash: file?.sha256 ?? null, previousHash: previous ?? null },
    'approval policy recorded',
  );
  return action;
}
