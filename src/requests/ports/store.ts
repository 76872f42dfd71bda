import type { DriftFinding, FindingStatus } from '../findings.js';
import type { AuditEvent, AuditEventInput, DelegationRequest, RequestStatus } from '../model.js';
import type { NewNotice } from '../notices.js';
import type { TransitionName } from '../state-machine.js';

/**
 * The one storage port, implemented by SQLite (src/store/sqlite/) and PostgreSQL (src/store/postgres/)
 * alike and checked by one contract suite (test/store/contract.ts): every status change is a
 * compare-and-set plus its audit event and notices, committed together.
 */
export interface Store {
  /**
   * Inserts a new request; rejects with DuplicateIdError when the id is taken, and with
   * DuplicateViewError when a request was already made from the same form (`viewId`), whatever
   * process made it: nothing is written then.
   */
  createRequest(
    request: DelegationRequest,
    audit: AuditEventInput,
    notices: readonly NewNotice[],
  ): Promise<void>;
  getRequest(id: string): Promise<DelegationRequest | undefined>;
  listRequests(filter: RequestFilter): Promise<DelegationRequest[]>;
  /**
   * Applies a transition if, and only if, the request is still in one of the transition's `from`
   * states (and, when `expectedVersion` is given, still at that version). The loser of a race gets
   * `{ ok: false, current }` and nothing is written.
   */
  transition(input: TransitionInput): Promise<TransitionResult>;
  /** Fields that do not change the status (card reference, reminder time). */
  patchRequest(id: string, patch: RequestPatch): Promise<void>;
  /**
   * Moves the end of the claim `owner` holds on a request being provisioned or removed to `until`,
   * and bumps the version (so a takeover computed from an earlier read loses its compare-and-set).
   * An `until` in the past gives the claim up. False, and nothing written, when the request is in no
   * such state or the claim is not `owner`'s.
   */
  renewClaim(id: string, owner: string, until: Date): Promise<boolean>;
  appendAudit(event: AuditEventInput, at: Date): Promise<AuditEvent>;
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  /** The most recent audit event with one of these actions (e.g. the last policy change), if any. */
  lastAuditEvent(actions: readonly string[]): Promise<AuditEvent | undefined>;
  /**
   * Reads the most recent audit event with one of `actions` and appends the event `next` makes of it
   * (`next` returning undefined appends nothing), in one transaction holding the audit chain's lock:
   * processes doing it at once each see what the others appended, so a change is recorded once (the
   * policy file at start, by replicas starting together). `next` must not do I/O. Returns the event
   * appended, if any.
   */
  appendAuditAfter(
    actions: readonly string[],
    next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
    at: Date,
  ): Promise<AuditEvent | undefined>;

  /** The oldest undelivered notice of each request that is due, so a request's notices go out in order. */
  dueNotices(now: Date, limit: number): Promise<StoredNotice[]>;
  /**
   * Takes up to `limit` due notices (as `dueNotices` finds them) for delivery until `leaseUntil`, in one
   * transaction: another worker is handed none of them until the lease runs out.
   */
  claimDueNotices(now: Date, leaseUntil: Date, limit: number): Promise<StoredNotice[]>;
  /** Resolves once the delivery is committed: until then, a crash means the notice is sent again. */
  markNoticeDelivered(id: number, at: Date): Promise<void>;
  /** Whether a later undelivered notice of the same request has the same target (it supersedes a card update). */
  hasLaterNotice(notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>): Promise<boolean>;
  /** Schedules another attempt, or with `null` gives up on the notice at `at` (its error stays recorded). */
  markNoticeFailed(id: number, error: string, nextAttemptAt: Date | null, at: Date): Promise<void>;
  /**
   * At start-up, hands back the notices this bot's previous process was delivering when it stopped,
   * and returns how many. It must never take a notice that a live process holds:
   * - SQLite: one process uses the file at a time, so every claimed notice is released;
   * - PostgreSQL: replicas share the database and a live claim cannot be told from a dead one, so
   *   it releases none and returns 0; a dead process's notices are due again once their lease runs out.
   */
  releaseNoticeLeases(): Promise<number>;
  /**
   * True when one process uses the store at a time (SQLite): at start-up, whatever is claimed in it
   * was claimed by this bot's previous process, which has stopped. False when replicas share it
   * (PostgreSQL): a claim is taken over only once its lease has run out.
   */
  readonly singleProcess: boolean;
  /** Counts for the metrics, read when they are scraped. */
  overview(): Promise<StoreOverview>;
  /** Deletes up to `limit` notices finished (delivered or given up) before `doneBefore`; returns how many. */
  pruneNotices(doneBefore: Date, limit: number): Promise<number>;

  /**
   * Records a drift finding, unless a finding for the same right (grantee and Mimecast id) still
   * stands (open or being removed): then only its `lastSeenAt` moves and `created` is false. The audit
   * event is written, in the same transaction, only when the finding is new: each right is reported once.
   */
  recordFinding(finding: DriftFinding, audit: AuditEventInput): Promise<RecordFindingResult>;
  getFinding(id: string): Promise<DriftFinding | undefined>;
  /** Findings, oldest first. */
  listFindings(filter: FindingFilter): Promise<DriftFinding[]>;
  /**
   * Moves a finding to `to` if, and only if, it is still in one of `from` (a compare-and-set, with
   * its audit event in the same transaction); the loser gets `{ ok: false, current }`.
   */
  transitionFinding(input: FindingTransitionInput): Promise<FindingTransitionResult>;
  /** Where the admins were told of it; not a status change, not audited. */
  patchFinding(id: string, patch: { message: DriftFinding['message'] }): Promise<void>;

  /**
   * Claims the periodic job `name` (e.g. the reconciliation) for one run: succeeds if, and only if,
   * its last run started at or before `lastStartedBefore` (or it never ran) and no claim's lease is
   * still running; the run then holds it until `leaseUntil` or `finishJob`. Several processes
   * claiming at once: one wins.
   */
  claimJob(input: { name: string; now: Date; lastStartedBefore: Date; leaseUntil: Date }): Promise<boolean>;
  /** Ends the run that holds `name`: its lease is released. */
  finishJob(name: string, at: Date): Promise<void>;
  getJob(name: string): Promise<JobState | undefined>;

  /** True when the store answers queries (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Fields to change; a field given as undefined is cleared (e.g. a card problem once the card is posted). */
export type RequestPatch = {
  [K in PatchableField]?: DelegationRequest[K] | undefined;
};

type PatchableField = keyof Pick<
  DelegationRequest,
  | 'card'
  | 'cardProblem'
  | 'remindedAt'
  | 'decidedBy'
  | 'decidedAt'
  | 'denyReason'
  | 'mimecastId'
  | 'grantedAt'
  | 'expiresAt'
  | 'failure'
  | 'endedBy'
  | 'endedAt'
  | 'endReason'
  | 'preexisting'
  | 'removalAttempts'
  | 'nextRemovalAt'
  | 'addAttempt'
  | 'settleSince'
  | 'settleChecks'
  | 'nextSettleAt'
  | 'settleProblem'
  | 'approvals'
  | 'ownerAnswer'
  | 'ownerMessage'
  | 'claim'
  | 'ineligible'
>;

export interface RequestFilter {
  requesterId?: string;
  statuses?: readonly RequestStatus[];
  mailbox?: string;
  granteeEmail?: string;
  /** Requests whose access ends at or before this time. */
  expiresBefore?: Date;
  /** Requests whose next removal attempt (`nextRemovalAt`) is due at or before this time. */
  removalDueBefore?: Date;
  /** Requests created at or before this time. */
  createdBefore?: Date;
  /** The request made from this Slack form (at most one). */
  viewId?: string;
  /** Requests whose next outcome check (settling) is due at or before this time. */
  settleDueBefore?: Date;
  limit?: number;
}

export interface TransitionInput {
  id: string;
  name: TransitionName;
  at: Date;
  patch?: RequestPatch;
  audit: { actor: string; action: string; details?: Record<string, unknown> };
  notices?: readonly NewNotice[];
  /**
   * Applies only if the request is still at this version: for a change computed from what was read
   * (an approval counted towards a quorum, an extension from the current expiry), so that a concurrent
   * change in between makes this one lose instead of being overwritten.
   */
  expectedVersion?: number;
}

export type TransitionResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; current: DelegationRequest | undefined };

/** What the metrics show of the store: requests by status, grants being retried, the outbox. */
export interface StoreOverview {
  /** Requests in each status (statuses with none are left out). */
  requestsByStatus: Partial<Record<RequestStatus, number>>;
  /** Active grants whose removal failed and is being retried. */
  removalsFailing: number;
  /** Notices not yet delivered or given up on (those being delivered included). */
  noticesWaiting: number;
  /** When the oldest of them was queued; undefined when none waits. */
  oldestNoticeAt: Date | undefined;
}

export interface AuditFilter {
  requestId?: string;
  /** Events of requests whose grantee or mailbox is this address. */
  email?: string;
  since?: Date;
  limit?: number;
}

/**
 * A notice as the store keeps it: its event and data are read back unchecked, and the notice
 * dispatcher validates them against the events this version knows (see `readNotice`).
 */
export interface StoredNotice {
  id: number;
  requestId: string;
  target: string;
  event: string;
  data?: unknown;
  /** The request as it was when the notice was written. */
  snapshot: DelegationRequest;
  attempts: number;
  createdAt: Date;
}

export class DuplicateIdError extends Error {
  constructor(id: string) {
    super(`request id ${id} already exists`);
    this.name = 'DuplicateIdError';
  }
}

export type RecordFindingResult = { created: boolean; finding: DriftFinding };

export interface FindingFilter {
  statuses?: readonly FindingStatus[];
  granteeEmail?: string;
  /** Only findings whose message to the admins is not posted yet. */
  unannounced?: boolean;
  limit?: number;
}

export interface FindingTransitionInput {
  id: string;
  from: readonly FindingStatus[];
  to: FindingStatus;
  at: Date;
  /** Fields to change; a field given as undefined is cleared (as in a request's patch). */
  patch?: {
    [K in 'removalStartedAt' | 'resolvedBy' | 'resolvedAt' | 'lastSeenAt']?: DriftFinding[K] | undefined;
  };
  audit: { actor: string; action: string; details?: Record<string, unknown> };
}

export type FindingTransitionResult =
  | { ok: true; finding: DriftFinding }
  | { ok: false; current: DriftFinding | undefined };

export interface JobState {
  name: string;
  lastStartedAt?: Date;
  lastFinishedAt?: Date;
  /** Set while a run holds the job. */
  leaseUntil?: Date;
}

/** A request was already made from this form: a replayed or repeated submission makes no second one. */
export class DuplicateViewError extends Error {
  constructor(readonly viewId: string) {
    super(`a request was already made from view ${viewId}`);
    this.name = 'DuplicateViewError';
  }
}
