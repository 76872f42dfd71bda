import type { Core } from './deps.js';
import { type AuditEvent, type DelegationRequest, OPEN_STATUSES } from './model.js';
import {
  type AdminPermit,
  hasRole,
  isApproverOf,
  maySee,
  type Refusal,
  seesEveryRequest,
} from './permissions.js';
import { type PolicyWarning, policyWarnings } from './policy-review.js';

export type ViewResult =
  | { ok: true; request: DelegationRequest }
  /**
   * No request this person may see. `seesAll` (approvers and admins) means there is no such request at
   * all; for anyone else the answer is the same whether the id exists or is someone else's, so that
   * trying ids tells nobody which exist.
   */
  | { ok: false; reason: Extract<Refusal, 'not_found'>; seesAll: boolean };

/** One request, for its requester, approvers and admins. */
export async function viewRequest(core: Core, id: string, userId: string): Promise<ViewResult> {
  const request = await core.store.getRequest(id);
  if (request && (await maySee(core, request, userId))) return { ok: true, request };
  return { ok: false, reason: 'not_found', seesAll: await seesEveryRequest(core, userId) };
}

export interface MyRequests {
  /** Access granted and not yet removed. */
  access: DelegationRequest[];
  /** Requests still asking something of people or of the bot. */
  waiting: DelegationRequest[];
  /** Everything else: decided, cancelled, expired, ended. */
  earlier: DelegationRequest[];
}

/** A person's own requests and access (the most recent 50). */
export async function myRequests(core: Core, userId: string): Promise<MyRequests> {
  const mine = await core.store.listRequests({ requesterId: userId, limit: 50 });
  const access = mine.filter((r) => r.status === 'completed' || r.status === 'removing');
  const waiting = mine.filter((r) => OPEN_STATUSES.includes(r.status));
  const earlier = mine.filter((r) => !access.includes(r) && !waiting.includes(r));
  return { access, waiting, earlier };
}

export interface HomeContents {
  /** The person's own requests, most recent first. */
  mine: DelegationRequest[];
  /** For an approver: the requests waiting that they may decide (never their own, only their rules'). */
  queue?: DelegationRequest[];
}

/** What a person's App Home shows. */
export async function home(core: Core, userId: string): Promise<HomeContents> {
  const [mine, approver] = await Promise.all([
    core.store.listRequests({ requesterId: userId, limit: 15 }),
    hasRole(core, userId, 'approver'),
  ]);
  if (!approver) return { mine };
  const pending = await core.store.listRequests({ statuses: ['pending'], limit: 100 });
  const theirs = pending.filter((r) => r.requesterId !== userId);
  const mayDecide = await Promise.all(theirs.map((r) => isApproverOf(core, r, userId)));
  return { mine, queue: theirs.filter((_, index) => mayDecide[index]) };
}

/** `/delegate pending`: requests waiting for a decision. */
export function pendingRequests(core: Core, _permit: AdminPermit): Promise<DelegationRequest[]> {
  return core.store.listRequests({ statuses: ['pending'] });
}

/** `/delegate active`: access granted through the bot, including access being removed. */
export function currentAccess(core: Core, _permit: AdminPermit): Promise<DelegationRequest[]> {
  return core.store.listRequests({ statuses: ['completed', 'removing'] });
}

/** `/delegate audit`: the trail of one request, or of every request naming an address. */
export function auditTrail(
  core: Core,
  _permit: AdminPermit,
  about: { requestId: string } | { email: string },
): Promise<AuditEvent[]> {
  return core.store.listAudit(about);
}

/** Whether Mimecast accepts our credentials: a refusal of the lookup itself still proves they work. */
export type MimecastCheck = { ok: true; answered?: string } | { ok: false; kind: string; message: string };

export interface HealthReport {
  mimecast: MimecastCheck;
  /** Each waiting request whose card could not be posted: Slack's error, and where it was to go. */
  cardProblems: CardProblem[];
  /** Policy rules whose requests could never be approved (too few approvers). */
  policyWarnings: PolicyWarning[];
}

export interface CardProblem {
  /** Slack's error code. */
  error: string;
  /** The channel the card was for. */
  channelId: string;
  /** The policy rule that chose that channel; absent when it is APPROVAL_CHANNEL_ID. */
  rule?: string;
}

/** `/delegate health`: the bot's side of it (Mimecast, and waiting requests nobody can see). */
export async function health(core: Core, permit: AdminPermit): Promise<HealthReport> {
  const probe = (await core.directory.emailOf(permit.actor)) ?? 'health-check@example.com';
  const mimecast = await checkMimecast(core, probe);
  const waiting = await core.store.listRequests({ statuses: ['pending'] });
  const cardProblems = waiting.flatMap((request): CardProblem[] => {
    if (!request.cardProblem || request.card) return [];
    const route = request.route;
    const channelId = route?.channelId ?? core.policy.approvalChannelId;
    const byRule = route !== undefined && channelId !== core.policy.approvalChannelId;
    return [{ error: request.cardProblem, channelId, ...(byRule ? { rule: route.rule } : {}) }];
  });
  return { mimecast, cardProblems, policyWarnings: await policyWarnings(core) };
}

/**
 * A harmless lookup. A validation error still proves the credentials work; authentication,
 * permission and expired keys do not.
 */
async function checkMimecast(core: Core, probeAddress: string): Promise<MimecastCheck> {
  const result = await core.mimecast.findDelegates(probeAddress);
  if (result.ok) return { ok: true };
  if (result.kind === 'validation' || result.kind === 'not_found') {
    return { ok: true, answered: result.message };
  }
  return { ok: false, kind: result.kind, message: result.message };
}
