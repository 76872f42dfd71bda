import type { DelegationRequest, OwnerMode, RequestRoute } from './model.js';

/**
 * Who may do what, and what may be asked for: the settings (AccessPolicy), and the approval policy
 * per mailbox (ApprovalPolicy), from POLICY_PATH or, without it, from the same settings. Plain data and
 * pure functions: the file is read and checked at the edge (src/policy/).
 */
export interface AccessPolicy {
  requesterGroupIds: readonly string[];
  approverGroupIds: readonly string[];
  adminGroupIds: readonly string[];
  /** APPROVAL_CHANNEL_ID: where cards go when no policy rule says otherwise. */
  approvalChannelId: string;
  /** Lower-case domains the requested mailbox may belong to; empty means any. */
  allowedEmailDomains: readonly string[];
  durationChoicesHours: readonly number[];
  defaultDurationHours: number;
  /** A pending request expires after this long without a decision. */
  requestTtlHours: number;
  /** Approvers are reminded of a pending request this long after it was made, and again each interval. */
  reminderAfterHours: number;
}

/** How requests for a mailbox are decided: by whom, how many, where, for how long, the owner's part. */
export interface Route {
  approverGroupIds: readonly string[];
  /** Distinct approvers needed (the requester never counts). */
  approvals: number;
  channelId: string;
  /** Hours; 0 is until revoked. */
  durationChoicesHours: readonly number[];
  defaultDurationHours: number;
  owner: OwnerMode;
}

/** One rule of the policy, every key resolved (a rule's missing keys come from the defaults). */
export interface PolicyRule extends Route {
  /** Unique; `defaults` for the mailboxes no rule matches. */
  name: string;
  /** Lower-case addresses or globs, `*` standing for any characters. */
  mailboxes: readonly string[];
  /** Only members of these groups (who are also requesters) may ask; absent: every requester may. */
  requesterGroupIds?: readonly string[];
  /** Granted at once for the rule's requesters, without a human click. */
  autoApprove: boolean;
  /** Every request for these mailboxes is refused with this text. */
  deny?: string;
}

export interface ApprovalPolicy {
  /** The policy file, when there is one; without it the settings decide every mailbox alike. */
  file?: { path: string; sha256: string };
  /** For the mailboxes no rule matches. */
  defaults: PolicyRule;
  /** In order: the first rule matching a mailbox wins. */
  rules: readonly PolicyRule[];
}

/** The name of the defaults, as a rule: no rule of the file may take it. */
export const DEFAULTS_RULE = 'defaults';

/** The settings a policy falls back on: the defaults take what they do not set from here. */
export type PolicySettings = Pick<
  AccessPolicy,
  'approverGroupIds' | 'approvalChannelId' | 'durationChoicesHours' | 'defaultDurationHours'
>;

/** The settings' route: APPROVER_GROUP_IDS, APPROVAL_CHANNEL_ID, ACCESS_DURATIONS, 1 approval, no owner. */
export function settingsRoute(access: PolicySettings): Route {
  return {
    approverGroupIds: access.approverGroupIds,
    approvals: 1,
    channelId: access.approvalChannelId,
    durationChoicesHours: access.durationChoicesHours,
    defaultDurationHours: access.defaultDurationHours,
    owner: 'none',
  };
}

/** The policy without a file: every mailbox follows the settings. */
export function settingsPolicy(access: PolicySettings): ApprovalPolicy {
  return {
    defaults: { name: DEFAULTS_RULE, mailboxes: ['*'], autoApprove: false, ...settingsRoute(access) },
    rules: [],
  };
}

/** The rule a mailbox falls under: the first whose mailboxes match it, or the defaults. */
export function ruleFor(policy: ApprovalPolicy, mailbox: string): PolicyRule {
  return (
    policy.rules.find((rule) => rule.mailboxes.some((p) => mailboxMatches(p, mailbox))) ?? policy.defaults
  );
}

/** Whether an address matches a rule's pattern: ignoring case, `*` for any characters (none included). */
export function mailboxMatches(pattern: string, mailbox: string): boolean {
  const parts = pattern.toLowerCase().split('*').map(escapeRegExp);
  return new RegExp(`^${parts.join('.*')}$`, 's').test(mailbox.trim().toLowerCase());
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Every group whose members approve something: the settings' and every rule's. */
export function approverGroupsOf(policy: ApprovalPolicy, access: AccessPolicy): string[] {
  const groups = [
    access.approverGroupIds,
    policy.defaults.approverGroupIds,
    ...policy.rules.map((r) => r.approverGroupIds),
  ];
  return [...new Set(groups.flat())];
}

/** How a request is decided: as the rule it was made under said, or by the settings when it had none. */
export type DecisionPath = Omit<RequestRoute, 'rule' | 'policyHash'> & { rule?: string; policyHash?: string };

export function decisionPath(request: DelegationRequest, access: PolicySettings): DecisionPath {
  if (request.route) return request.route;
  const route = settingsRoute(access);
  return {
    approverGroupIds: route.approverGroupIds,
    approvals: route.approvals,
    channelId: route.channelId,
    durationChoicesHours: route.durationChoicesHours,
    owner: route.owner,
  };
}

/** What a request still waits for. */
export interface Progress {
  approvals: number;
  needed: number;
  /** Who approved so far, in order. */
  approvers: readonly string[];
  /** The owner's consent: not asked, waited for, or given. */
  owner: 'not_asked' | 'waiting' | 'allowed';
}

export function progressOf(request: DelegationRequest, path: DecisionPath): Progress {
  const approvers = (request.approvals ?? []).map((approval) => approval.by);
  const asked = path.owner === 'consent' && path.ownerId !== undefined;
  return {
    approvals: approvers.length,
    needed: path.approvals,
    approvers,
    owner: !asked ? 'not_asked' : request.ownerAnswer?.answer === 'allowed' ? 'allowed' : 'waiting',
  };
}

/** Who a waiting request still waits for: approvals still missing, and the owner, if their consent is. */
export interface Awaited {
  /** Approvals still needed from the approvers (0 when every one is in). */
  approvals: number;
  /** Approvals the request needs in all. */
  needed: number;
  /** The mailbox's owner, when the request waits for their consent. */
  ownerId?: string;
}

/**
 * What a waiting request still waits for, from the request alone (its rule's path is on it; a request
 * without one needs one approval and no owner), so that a reminder asks the people it waits for.
 */
export function awaitedOf(request: DelegationRequest): Awaited {
  const route = request.route;
  if (!route) return { approvals: 1, needed: 1 };
  const progress = progressOf(request, route);
  const counts = { approvals: Math.max(0, progress.needed - progress.approvals), needed: progress.needed };
  return progress.owner === 'waiting' && route.ownerId ? { ...counts, ownerId: route.ownerId } : counts;
}
