/**
 * A request for Mimecast delegate access, and everything that can happen to it. Plain data: no Slack,
 * no storage, no HTTP.
 */

export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'provisioning',
  /** The add's outcome is unknown and the bot is checking Mimecast for it (see settle.ts). */
  'settling',
  'completed',
  'removing',
  'failed',
  'outcome_unknown',
  'denied',
  'cancelled',
  'expired',
  'removed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses in which a request still asks something of people or of the bot. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'provisioning', 'settling'];

export interface CardRef {
  channel: string;
  ts: string;
}

export interface Failure {
  /** The Mimecast failure kind, or `interrupted` when the bot stopped during the call. */
  kind: string;
  message: string;
  code?: string;
  requestId?: string;
}

export interface DelegationRequest {
  /** Short, readable and unique, e.g. DR-7KQ2M9: people quote it in commands and tickets. */
  id: string;
  status: RequestStatus;
  /** Slack user id of the person asking. */
  requesterId: string;
  /** Who gets access: the requester's email (Mimecast's primaryAddress). */
  granteeEmail: string;
  /** The mailbox that becomes accessible (Mimecast's delegateAddress). */
  mailbox: string;
  reason: string;
  /** How long access lasts once granted; 0 means until revoked. */
  durationHours: number;
  createdAt: Date;
  updatedAt: Date;
  decidedBy?: string;
  decidedAt?: Date;
  denyReason?: string;
  card?: CardRef;
  /** Slack's error when the card could not be posted (e.g. `not_in_channel`); cleared once it is. */
  cardProblem?: string;
  mimecastId?: string;
  grantedAt?: Date;
  expiresAt?: Date;
  failure?: Failure;
  endedBy?: string;
  endedAt?: Date;
  endReason?: string;
  remindedAt?: Date;
  /** Access existed in Mimecast before this request and was not created by the bot: never removed by it. */
  preexisting?: boolean;
  /** Failed removal attempts so far, and when the next one is due. */
  removalAttempts?: number;
  nextRemovalAt?: Date;
  /** The Slack form (view id) it was submitted from: one form makes one request, however often it is sent. */
  viewId?: string;
  /** Why the bot denied it itself: the requester could no longer be given this access (see eligibility.ts). */
  ineligible?: IneligibleReason;
  /** Which add this is under the one approval: absent for the first, 2 for the one made after settling. */
  addAttempt?: number;
  /** While settling: when the add's outcome became unknown, how many searches were made, and when the next is due. */
  settleSince?: Date;
  settleChecks?: number;
  nextSettleAt?: Date;
  /** Why settling could not tell (a search Mimecast refused or never answered); admins are told. */
  settleProblem?: Failure;
  /** How it is decided, fixed when it was made under a policy file (absent: the settings decide). */
  route?: RequestRoute;
  /** The approvals recorded so far, under a policy file (a rule may need several). */
  approvals?: Approval[];
  /** The mailbox owner's answer, when the rule asks for their consent. */
  ownerAnswer?: OwnerAnswer;
  /** The owner's consent DM, once posted: updated (its buttons replaced) once the request is decided. */
  ownerMessage?: CardRef;
  /**
   * Which process is making the Mimecast call of a request being provisioned or removed, and until
   * when that holds: renewed while the call runs, cleared when its outcome is recorded. Another
   * process treats the call as interrupted only once `until` has passed.
   */
  claim?: WorkClaim;
  /** Optimistic-concurrency counter, bumped by every write. */
  version: number;
}

/** The statuses in which a request carries a claim on its Mimecast work (see DelegationRequest.claim). */
export const CLAIMED_STATUSES: readonly RequestStatus[] = ['provisioning', 'removing'];

export interface WorkClaim {
  /** The process holding it (see RequestServiceDeps.processId): host, pid and a random part, no person. */
  owner: string;
  until: Date;
}

/**
 * Why a requester can no longer be given what they asked for, found when an approver approves or just
 * before the Mimecast call: no longer in a requester group (or in the rule's own requester groups), their Slack account deactivated, their
 * profile email no longer the address the request grants to, that address no longer in an allowed
 * domain, or Slack could not be asked (the bot then grants nothing).
 */
export const INELIGIBLE_REASONS = [
  'not_requester',
  /** No longer in the groups the request's policy rule takes requests from (its `requesters`). */
  'not_rule_requester',
  'deactivated',
  'email_changed',
  'grantee_not_allowed',
  'unconfirmed',
] as const;
export type IneligibleReason = (typeof INELIGIBLE_REASONS)[number];

/** What the mailbox's owner hears of requests for it: nothing, each grant, or they must agree first. */
export const OWNER_MODES = ['none', 'notify', 'consent'] as const;
export type OwnerMode = (typeof OWNER_MODES)[number];

/**
 * The decision path of a request, copied from the policy rule it was made under: it is decided by
 * these, even if the policy file changes before it is.
 */
export interface RequestRoute {
  /** The rule's name (`defaults` when no rule matched). */
  rule: string;
  /** sha256 of the policy file the rule came from. */
  policyHash: string;
  approverGroupIds: readonly string[];
  /**
   * The rule's `requesters`: only members of these groups may ask, and the requester must still be in
   * one when the request is approved and granted. Absent: every requester may (or a request made before
   * the route kept them; the rule of the same policy file then says).
   */
  requesterGroupIds?: readonly string[];
  /** Distinct approvers needed. */
  approvals: number;
  /** Where the card goes. */
  channelId: string;
  durationChoicesHours: readonly number[];
  owner: OwnerMode;
  /** The Slack user whose profile email is the mailbox; absent when none was found (a shared mailbox). */
  ownerId?: string;
  /** Granted at once by the rule, with no human click. */
  autoApproved?: boolean;
}

export interface Approval {
  by: string;
  at: Date;
}

export interface OwnerAnswer {
  answer: 'allowed' | 'refused';
  by: string;
  at: Date;
}

/**
 * Why a grant ended: it ran out, an admin revoked it, the grantee said they were done, or a check
 * against Mimecast found it gone (removed outside the bot).
 */
export const END_REASONS = ['expired', 'revoked', 'ended_by_grantee', 'removed_outside_bot'] as const;
export type EndReason = (typeof END_REASONS)[number];

/** Who did something: a Slack user, or the bot itself (scheduler, recovery). */
export type Actor = string;
export const SYSTEM_ACTOR: Actor = 'system';

export interface AuditEventInput {
  requestId: string | null;
  actor: Actor;
  action: string;
  fromStatus?: RequestStatus | null;
  toStatus?: RequestStatus | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  at: Date;
  prevHash: string;
  hash: string;
}

/** An addr-spec a person would type: RFC 5322 dot-atom in ASCII, at most 254 characters. */
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export function isEmailAddress(text: string): boolean {
  // Deliberately ASCII: invisible or direction-changing characters could make one mailbox look like
  // another on the approvers' card. Mimecast validates for real; this catches mistakes and tricks early.
  if (text.length > 254) return false;
  const at = text.lastIndexOf('@');
  return at > 0 && at <= 64 && EMAIL.test(text);
}

/** The first `max` UTF-16 units of `text`, one fewer rather than half of an emoji (a surrogate pair). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

export function normalizeEmail(text: string): string {
  return text.trim().toLowerCase();
}

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
