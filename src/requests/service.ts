import type { Logger } from '../logger.js';
import { newRequestId } from './ids.js';
import {
  type Actor,
  type AuditEvent,
  type DelegationRequest,
  domainOf,
  type EndReason,
  type Failure,
  isEmailAddress,
  normalizeEmail,
  OPEN_STATUSES,
  SYSTEM_ACTOR,
  truncate,
} from './model.js';
import { everywhere } from './notices.js';
import type { AccessPolicy } from './policy.js';
import {
  type AuditFilter,
  type Clock,
  type Directory,
  DuplicateIdError,
  type MimecastApi,
  type MimecastFailure,
  type RequestFilter,
  type Store,
  type TransitionInput,
} from './ports/index.js';
import { canTransition } from './state-machine.js';
import { NO_WAIT, type TurnTaker } from './turns.js';

export const REASON_MAX_LENGTH = 1000;
export const REASON_MIN_LENGTH = 3;
const MAILBOX_MAX_LENGTH = 254;

export interface SubmissionInput {
  requesterId: string;
  mailbox: string;
  reason: string;
  durationHours?: number;
}

export type SubmissionField = 'mailbox' | 'reason' | 'duration';
export type FieldErrors = Partial<Record<SubmissionField, string>>;

export type SubmitResult = { ok: true; request: DelegationRequest } | { ok: false; errors: FieldErrors };

export type DecisionRefusal = 'not_found' | 'not_approver' | 'own_request';
export type DecisionResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: DecisionRefusal }
  | { ok: false; reason: 'already_decided'; request: DelegationRequest };

export type CancelResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: 'not_found' | 'not_yours' }
  | { ok: false; reason: 'not_pending'; request: DelegationRequest };

export type EndResult =
  | { ok: true; request: DelegationRequest; coveredBy?: string }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_active'; request: DelegationRequest }
  | { ok: false; reason: 'removal_failed'; failure: Failure; request: DelegationRequest };

export type ExtendResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: 'not_found' | 'not_approver' | 'own_request' | 'bad_duration' }
  | { ok: false; reason: 'not_extendable'; request: DelegationRequest };

export interface SweepReport {
  expired: string[];
  reminded: string[];
  removed: string[];
  removalFailed: string[];
  /** Finished notices deleted after NOTICE_RETENTION_DAYS. */
  noticesPruned: number;
}

/** Finished notices are kept this long for troubleshooting, then deleted; the audit log keeps the history. */
export const NOTICE_RETENTION_DAYS = 7;
/** Deleted per statement, so that one sweep never holds the write lock for long. */
const PRUNE_BATCH = 500;
const PRUNE_BATCHES_PER_SWEEP = 20;

const HOUR_MS = 3_600_000;
/** Waits between failed removal attempts; the last repeats. */
const REMOVAL_BACKOFF_MS = [60_000, 5 * 60_000, 15 * 60_000, HOUR_MS];
/** Admins are told after this many failed removal attempts. */
export const REMOVAL_ALERT_AFTER = 3;

export interface RequestServiceDeps {
  store: Store;
  mimecast: MimecastApi;
  directory: Directory;
  policy: AccessPolicy;
  clock: Clock;
  logger: Logger;
  /** Called after every write that queued notices, so they go out now rather than at the next sweep. */
  onNotices?: () => void;
  /** Steps of provisioning (after the ack) wait for their turn, so Slack's acks come first (see Turns). */
  turns?: TurnTaker;
  newId?: () => string;
}

/**
 * The life of a delegate-access request, in the verbs people use: submit, approve, deny, cancel,
 * provision. It decides and records; what people are told is queued as notices in the same
 * transaction and delivered by the notifier.
 */
export class RequestService {
  private readonly newId: () => string;
  /** Provisioning under way, so that a stop can let Mimecast calls already sent record their outcome. */
  private readonly provisioning = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly deps: RequestServiceDeps) {
    this.newId = deps.newId ?? newRequestId;
  }

  /**
   * For an orderly stop (a deploy): Mimecast calls already claimed finish and record their outcome,
   * instead of being reported as unknown after the restart; approvals not started yet stay approved
   * and are provisioned by the next start.
   */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.provisioning.size > 0) await Promise.allSettled([...this.provisioning]);
  }

  get policy(): AccessPolicy {
    return this.deps.policy;
  }

  canRequest(userId: string): Promise<boolean> {
    return this.deps.directory.isMemberOfAny(userId, this.deps.policy.requesterGroupIds);
  }

  canApprove(userId: string): Promise<boolean> {
    return this.deps.directory.isMemberOfAny(userId, this.deps.policy.approverGroupIds);
  }

  isAdmin(userId: string): Promise<boolean> {
    return this.deps.directory.isMemberOfAny(userId, this.deps.policy.adminGroupIds);
  }

  /** The requester's own email: who will be granted access. */
  granteeEmailOf(userId: string): Promise<string | undefined> {
    return this.deps.directory.emailOf(userId);
  }

  getRequest(id: string): Promise<DelegationRequest | undefined> {
    return this.deps.store.getRequest(id);
  }

  listRequests(filter: RequestFilter): Promise<DelegationRequest[]> {
    return this.deps.store.listRequests(filter);
  }

  listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    return this.deps.store.listAudit(filter);
  }

  /**
   * Whether Mimecast accepts our credentials, by a harmless lookup. A validation error still proves
   * the credentials work; authentication, permission and expired keys do not.
   */
  async checkMimecast(probeAddress: string): Promise<{ ok: boolean; detail: string }> {
    const result = await this.deps.mimecast.findDelegates(probeAddress);
    if (result.ok) return { ok: true, detail: 'credentials accepted' };
    if (result.kind === 'validation' || result.kind === 'not_found') {
      return { ok: true, detail: `credentials accepted (lookup answered: ${result.message})` };
    }
    return { ok: false, detail: `${result.kind}: ${result.message}` };
  }

  /** Admin commands are audited, refused ones too: who looked at what is part of the record. */
  async recordCommand(userId: string, command: string, allowed: boolean, target?: string): Promise<void> {
    await this.deps.store.appendAudit(
      {
        requestId: target && /^DR-/.test(target) ? target : null,
        actor: userId,
        action: allowed ? 'admin_command' : 'admin_command_refused',
        details: { command, ...(target ? { target } : {}) },
      },
      this.deps.clock(),
    );
  }

  /**
   * Validates and records a new request. Everything the requester can fix is returned as field
   * errors, worded for the modal.
   */
  async submit(input: SubmissionInput): Promise<SubmitResult> {
    const { policy, directory, store } = this.deps;
    const errors: FieldErrors = {};

    const mailbox = normalizeEmail(input.mailbox);
    const reason = cleanText(input.reason);
    const durationHours = input.durationHours ?? policy.defaultDurationHours;

    if (!mailbox) errors.mailbox = 'Enter the address of the mailbox you need access to.';
    else if (mailbox.length > MAILBOX_MAX_LENGTH || !isEmailAddress(mailbox)) {
      errors.mailbox = 'That is not a valid email address. Enter it like sales@example.com.';
    } else if (
      policy.allowedEmailDomains.length > 0 &&
      !policy.allowedEmailDomains.includes(domainOf(mailbox))
    ) {
      errors.mailbox = `Only mailboxes in ${listWords(policy.allowedEmailDomains.map((d) => `@${d}`))} can be requested here.`;
    }

    if (reason.length < REASON_MIN_LENGTH) {
      errors.reason = 'Say why you need access, so the approver can decide.';
    } else if (reason.length > REASON_MAX_LENGTH) {
      errors.reason = `Keep the reason under ${REASON_MAX_LENGTH} characters (it has ${reason.length}).`;
    }

    if (!policy.durationChoicesHours.includes(durationHours)) {
      errors.duration = 'Choose one of the offered durations.';
    }

    if (!(await this.canRequest(input.requesterId))) {
      errors.mailbox =
        'You are not in a group that may request delegate access. Ask your IT team to add you if you need it.';
      return { ok: false, errors };
    }

    const granteeEmail = await directory.emailOf(input.requesterId);
    if (!granteeEmail) {
      errors.mailbox =
        'Your Slack profile has no email address, so we cannot tell Mimecast who you are. Ask your Slack admin to add it.';
    } else if (!errors.mailbox && granteeEmail === mailbox) {
      errors.mailbox = 'That is your own mailbox: you already have access to it.';
    }

    if (!errors.mailbox) {
      const [pending] = await store.listRequests({
        requesterId: input.requesterId,
        mailbox,
        statuses: OPEN_STATUSES,
        limit: 1,
      });
      if (pending) {
        errors.mailbox = `You already have a request for ${mailbox} waiting (${pending.id}). Use /delegate status ${pending.id} to follow it.`;
      }
    }

    if (Object.keys(errors).length > 0 || !granteeEmail) return { ok: false, errors };

    const now = this.deps.clock();
    for (let attempt = 0; ; attempt += 1) {
      const request: DelegationRequest = {
        id: this.newId(),
        status: 'pending',
        requesterId: input.requesterId,
        granteeEmail,
        mailbox,
        reason,
        durationHours,
        createdAt: now,
        updatedAt: now,
        version: 1,
      };
      try {
        await store.createRequest(
          request,
          {
            requestId: request.id,
            actor: input.requesterId,
            action: 'submitted',
            toStatus: 'pending',
            details: { granteeEmail, mailbox, durationHours },
          },
          [
            { target: 'card', event: 'submitted' },
            { target: 'dm', event: 'submitted' },
          ],
        );
        this.deps.logger.info({ requestId: request.id, requester: request.requesterId }, 'request submitted');
        this.deps.onNotices?.();
        return { ok: true, request };
      } catch (error) {
        if (error instanceof DuplicateIdError && attempt < 5) continue;
        throw error;
      }
    }
  }

  async approve(id: string, approverId: string): Promise<DecisionResult> {
    const checked = await this.checkDecider(id, approverId);
    if (!checked.ok) return checked;
    const now = this.deps.clock();
    return this.decide(
      {
        id,
        name: 'approve',
        at: now,
        patch: { decidedBy: approverId, decidedAt: now },
        audit: { actor: approverId, action: 'approved' },
        notices: [{ target: 'card', event: 'approved' }],
      },
      approverId,
    );
  }

  async deny(id: string, approverId: string, reason?: string): Promise<DecisionResult> {
    const checked = await this.checkDecider(id, approverId);
    if (!checked.ok) return checked;
    const now = this.deps.clock();
    const denyReason = reason ? truncate(cleanText(reason), REASON_MAX_LENGTH) : '';
    return this.decide(
      {
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
        ],
      },
      approverId,
    );
  }

  /** Whether this user may decide this request now; the answer is re-checked by the transition itself. */
  async checkDecider(id: string, userId: string): Promise<DecisionResult> {
    const request = await this.deps.store.getRequest(id);
    if (!request) return { ok: false, reason: 'not_found' };
    if (!canTransition('approve', request.status)) return { ok: false, reason: 'already_decided', request };
    if (request.requesterId === userId) return { ok: false, reason: 'own_request' };
    if (!(await this.canApprove(userId))) return { ok: false, reason: 'not_approver' };
    return { ok: true, request };
  }

  private async decide(input: TransitionInput, actor: Actor): Promise<DecisionResult> {
    const result = await this.deps.store.transition(input);
    if (!result.ok) {
      if (!result.current) return { ok: false, reason: 'not_found' };
      return { ok: false, reason: 'already_decided', request: result.current };
    }
    this.deps.logger.info({ requestId: input.id, actor, action: input.audit.action }, 'request decided');
    this.deps.onNotices?.();
    return { ok: true, request: result.request };
  }

  async cancel(id: string, userId: string): Promise<CancelResult> {
    const request = await this.deps.store.getRequest(id);
    if (!request) return { ok: false, reason: 'not_found' };
    if (request.requesterId !== userId) return { ok: false, reason: 'not_yours' };
    const now = this.deps.clock();
    const result = await this.deps.store.transition({
      id,
      name: 'cancel',
      at: now,
      patch: { endedBy: userId, endedAt: now },
      audit: { actor: userId, action: 'cancelled' },
      notices: [{ target: 'card', event: 'cancelled' }],
    });
    if (!result.ok) {
      return result.current
        ? { ok: false, reason: 'not_pending', request: result.current }
        : { ok: false, reason: 'not_found' };
    }
    this.deps.onNotices?.();
    return { ok: true, request: result.request };
  }

  /**
   * Grants the approved access in Mimecast. Claims the request first (approved → provisioning), so
   * however often this is called for one request, Mimecast is called at most once.
   */
  async provision(id: string): Promise<DelegationRequest | undefined> {
    const run = this.provisionNow(id);
    this.provisioning.add(run);
    try {
      return await run;
    } finally {
      this.provisioning.delete(run);
    }
  }

  private async provisionNow(id: string): Promise<DelegationRequest | undefined> {
    const { store, mimecast, logger } = this.deps;
    // One turn, before the claim: from then on nothing waits between the Mimecast calls and recording
    // their outcome, so a crash leaves as few requests as possible in an unknown state.
    await (this.deps.turns ?? NO_WAIT).next();
    if (this.stopping) return store.getRequest(id);
    const claimed = await store.transition({
      id,
      name: 'startProvisioning',
      at: this.deps.clock(),
      audit: { actor: SYSTEM_ACTOR, action: 'provisioning_started' },
    });
    if (!claimed.ok) return claimed.current;
    const request = claimed.request;

    const existing = await this.existingRight(request);
    if (existing) {
      const now = this.deps.clock();
      const expiresAt = this.expiryFrom(now, request.durationHours);
      return this.finishProvisioning({
        id,
        name: 'provisioned',
        at: now,
        patch: {
          mimecastId: existing.id,
          grantedAt: now,
          ...(expiresAt ? { expiresAt } : {}),
          ...(existing.byBot ? {} : { preexisting: true }),
        },
        audit: {
          actor: SYSTEM_ACTOR,
          action: 'already_had_access',
          details: { mimecastId: existing.id, grantedByBot: existing.byBot },
        },
        notices: everywhere({ event: 'already_had_access' }),
      });
    }

    let outcome: Awaited<ReturnType<MimecastApi['addDelegate']>>;
    try {
      outcome = await mimecast.addDelegate({
        primaryAddress: request.granteeEmail,
        delegateAddress: request.mailbox,
      });
    } catch (error) {
      // The client classifies failures itself; anything thrown is a bug, and the call may have gone out.
      logger.error({ requestId: id, err: error }, 'Mimecast client threw');
      outcome = { ok: false, kind: 'outcome_unknown', message: 'The Mimecast call failed unexpectedly.' };
    }

    const now = this.deps.clock();
    if (outcome.ok) {
      const expiresAt = this.expiryFrom(now, request.durationHours);
      return this.finishProvisioning({
        id,
        name: 'provisioned',
        at: now,
        patch: { mimecastId: outcome.id, grantedAt: now, ...(expiresAt ? { expiresAt } : {}) },
        audit: {
          actor: SYSTEM_ACTOR,
          action: 'provisioned',
          details: { mimecastId: outcome.id, ...(outcome.requestId ? { mcReqId: outcome.requestId } : {}) },
        },
        notices: everywhere({ event: 'provisioned' }),
      });
    }

    const failure = toFailure(outcome);
    // An answer we cannot read may still mean the right was created: treated like a lost connection.
    const unknown = outcome.kind === 'outcome_unknown' || outcome.kind === 'unexpected_response';
    return this.finishProvisioning({
      id,
      name: unknown ? 'provisioningUnknown' : 'provisioningFailed',
      at: now,
      patch: { failure },
      audit: {
        actor: SYSTEM_ACTOR,
        action: unknown ? 'provisioning_outcome_unknown' : 'provisioning_failed',
        details: { ...failure },
      },
      notices: everywhere({ event: unknown ? 'outcome_unknown' : 'provisioning_failed' }),
    });
  }

  private async finishProvisioning(input: TransitionInput): Promise<DelegationRequest | undefined> {
    const result = await this.deps.store.transition(input);
    if (!result.ok) {
      // Only recovery moves a provisioning request elsewhere; the record it made stands.
      this.deps.logger.error(
        { requestId: input.id, status: result.current?.status },
        'provisioning result arrived late',
      );
      return result.current;
    }
    this.deps.logger.info({ requestId: input.id, status: result.request.status }, 'provisioning finished');
    this.deps.onNotices?.();
    return result.request;
  }

  private expiryFrom(from: Date, hours: number): Date | undefined {
    return hours > 0 ? new Date(from.getTime() + hours * HOUR_MS) : undefined;
  }

  /**
   * Whether the grantee can already reach the mailbox, and whether a grant of ours explains it. A
   * failed lookup (e.g. no find endpoint on this tenant) is not an answer: we go on and add.
   */
  private async existingRight(
    request: DelegationRequest,
  ): Promise<{ id: string; byBot: boolean } | undefined> {
    let found: Awaited<ReturnType<MimecastApi['findDelegates']>>;
    try {
      found = await this.deps.mimecast.findDelegates(request.granteeEmail);
    } catch {
      return undefined;
    }
    if (!found.ok) {
      this.deps.logger.info(
        { requestId: request.id, kind: found.kind },
        'could not check for existing access; adding',
      );
      return undefined;
    }
    const right = found.delegates.find(
      (d) =>
        normalizeEmail(d.delegateAddress) === request.mailbox &&
        normalizeEmail(d.primaryAddress) === request.granteeEmail,
    );
    if (!right) return undefined;
    const ours = await this.activeGrants(request, request.id);
    return { id: right.id, byBot: ours.some((grant) => grant.mimecastId === right.id && !grant.preexisting) };
  }

  /** Other grants of the bot that currently give this grantee this mailbox. */
  private async activeGrants(request: DelegationRequest, exceptId: string): Promise<DelegationRequest[]> {
    const grants = await this.deps.store.listRequests({
      granteeEmail: request.granteeEmail,
      mailbox: request.mailbox,
      statuses: ['completed'],
    });
    return grants.filter((grant) => grant.id !== exceptId);
  }

  /**
   * Ends a grant: at expiry (the scheduler), when the grantee is done, or when an admin revokes it.
   * Access that another, still-valid grant also gives is left in place in Mimecast.
   */
  async endAccess(id: string, actor: Actor, why: EndReason): Promise<EndResult> {
    const { store, mimecast, logger } = this.deps;
    const now = this.deps.clock();
    const claimed = await store.transition({
      id,
      name: 'startRemoval',
      at: now,
      patch: { endedBy: actor, endReason: why },
      audit: { actor, action: `removal_started`, details: { why } },
    });
    if (!claimed.ok) {
      return claimed.current
        ? { ok: false, reason: 'not_active', request: claimed.current }
        : { ok: false, reason: 'not_found' };
    }
    const request = claimed.request;
    const coveredBy = (await this.activeGrants(request, request.id)).find(
      (grant) => !grant.expiresAt || grant.expiresAt > now,
    );

    let leaveInMimecast: string | undefined;
    if (coveredBy) leaveInMimecast = `still covered by ${coveredBy.id}`;
    else if (request.preexisting) leaveInMimecast = 'the access existed before this request';
    else if (!request.mimecastId) leaveInMimecast = 'no Mimecast id was recorded';

    if (!leaveInMimecast && request.mimecastId) {
      let outcome: Awaited<ReturnType<MimecastApi['removeDelegate']>>;
      try {
        outcome = await mimecast.removeDelegate(request.mimecastId);
      } catch (error) {
        logger.error({ requestId: id, err: error }, 'Mimecast client threw');
        outcome = { ok: false, kind: 'outcome_unknown', message: 'The Mimecast call failed unexpectedly.' };
      }
      // A right Mimecast no longer knows is access that is already gone.
      const alreadyGone = !outcome.ok && outcome.code === 'err_delegate_not_found';
      if (!outcome.ok && !alreadyGone) return this.removalFailed(request, actor, outcome);
    }

    const ended = this.deps.clock();
    const result = await store.transition({
      id,
      name: 'removed',
      at: ended,
      patch: { endedAt: ended },
      audit: {
        actor,
        action: 'removed',
        details: {
          why,
          ...(leaveInMimecast ? { leftInMimecast: leaveInMimecast } : { mimecastId: request.mimecastId }),
        },
      },
      notices: [
        { target: 'card', event: 'removed' },
        {
          target: 'thread',
          event: 'removed',
          data: { why, ...(coveredBy ? { coveredBy: coveredBy.id } : {}) },
        },
        { target: 'dm', event: 'removed', data: { why, ...(coveredBy ? { coveredBy: coveredBy.id } : {}) } },
      ],
    });
    this.deps.onNotices?.();
    if (!result.ok) return { ok: false, reason: 'not_found' };
    logger.info({ requestId: id, why }, 'access ended');
    return { ok: true, request: result.request, ...(coveredBy ? { coveredBy: coveredBy.id } : {}) };
  }

  private async removalFailed(
    request: DelegationRequest,
    actor: Actor,
    failure: MimecastFailure,
  ): Promise<EndResult> {
    const attempts = (request.removalAttempts ?? 0) + 1;
    const now = this.deps.clock();
    const delay = REMOVAL_BACKOFF_MS[Math.min(attempts - 1, REMOVAL_BACKOFF_MS.length - 1)] ?? HOUR_MS;
    const alert = attempts === REMOVAL_ALERT_AFTER;
    const result = await this.deps.store.transition({
      id: request.id,
      name: 'removalFailed',
      at: now,
      patch: {
        removalAttempts: attempts,
        nextRemovalAt: new Date(now.getTime() + delay),
        failure: toFailure(failure),
        endedBy: undefined,
        endReason: undefined,
      },
      audit: { actor, action: 'removal_failed', details: { attempts, ...toFailure(failure) } },
      // Admins hear about it once it has failed a few times; every attempt is in the audit log.
      notices: alert ? [{ target: 'thread', event: 'removal_failing', data: { attempts } }] : [],
    });
    if (alert) this.deps.onNotices?.();
    this.deps.logger.warn(
      { requestId: request.id, attempts, kind: failure.kind },
      'removal failed; will retry',
    );
    return {
      ok: false,
      reason: 'removal_failed',
      failure: toFailure(failure),
      request: result.ok ? result.request : request,
    };
  }

  /** Gives more time to a time-bound grant; approvers only, never on their own request. */
  async extend(id: string, approverId: string, hours: number): Promise<ExtendResult> {
    const request = await this.deps.store.getRequest(id);
    if (!request) return { ok: false, reason: 'not_found' };
    if (request.requesterId === approverId) return { ok: false, reason: 'own_request' };
    if (!(await this.canApprove(approverId))) return { ok: false, reason: 'not_approver' };
    if (request.status !== 'completed' || !request.expiresAt)
      return { ok: false, reason: 'not_extendable', request };
    if (!this.deps.policy.durationChoicesHours.includes(hours) || hours <= 0)
      return { ok: false, reason: 'bad_duration' };
    const now = this.deps.clock();
    // Extending access that has already run out starts from now, not from the past.
    const base = Math.max(request.expiresAt.getTime(), now.getTime());
    const expiresAt = new Date(base + hours * HOUR_MS);
    const result = await this.deps.store.transition({
      id,
      name: 'extend',
      at: now,
      patch: { expiresAt },
      audit: {
        actor: approverId,
        action: 'extended',
        details: { hours, from: request.expiresAt.toISOString(), to: expiresAt.toISOString() },
      },
      notices: [
        { target: 'card', event: 'extended' },
        { target: 'thread', event: 'extended', data: { by: approverId, hours } },
        { target: 'dm', event: 'extended', data: { by: approverId, hours } },
      ],
    });
    if (!result.ok) return { ok: false, reason: 'not_extendable', request: result.current ?? request };
    this.deps.onNotices?.();
    return { ok: true, request: result.request };
  }

  /**
   * One pass over everything that is due: pending requests to remind or expire, grants to remove,
   * removals to retry. Each step is a compare-and-set, so a pass after a restart, or two replicas
   * sweeping at once, act once.
   */
  async sweep(): Promise<SweepReport> {
    const { store, policy } = this.deps;
    const now = this.deps.clock();
    const report: SweepReport = {
      expired: [],
      reminded: [],
      removed: [],
      removalFailed: [],
      noticesPruned: 0,
    };

    const ttlCutoff = new Date(now.getTime() - policy.requestTtlHours * HOUR_MS);
    for (const request of await store.listRequests({ statuses: ['pending'], createdBefore: ttlCutoff })) {
      const result = await store.transition({
        id: request.id,
        name: 'expire',
        at: now,
        patch: { endedAt: now },
        audit: { actor: SYSTEM_ACTOR, action: 'expired', details: { afterHours: policy.requestTtlHours } },
        notices: [
          { target: 'card', event: 'expired' },
          { target: 'dm', event: 'expired' },
        ],
      });
      if (result.ok) report.expired.push(request.id);
    }

    const reminderMs = policy.reminderAfterHours * HOUR_MS;
    const remindCutoff = new Date(now.getTime() - reminderMs);
    for (const request of await store.listRequests({ statuses: ['pending'], createdBefore: remindCutoff })) {
      if (request.remindedAt && request.remindedAt.getTime() > remindCutoff.getTime()) continue;
      const result = await store.transition({
        id: request.id,
        name: 'remind',
        at: now,
        patch: { remindedAt: now },
        audit: { actor: SYSTEM_ACTOR, action: 'reminded' },
        notices: [{ target: 'thread', event: 'reminder' }],
      });
      if (result.ok) report.reminded.push(request.id);
    }

    const due = await store.listRequests({ statuses: ['completed'], expiresBefore: now });
    for (const grant of due) {
      if (grant.nextRemovalAt && grant.nextRemovalAt > now) continue;
      const result = await this.endAccess(grant.id, SYSTEM_ACTOR, 'expired');
      if (result.ok) report.removed.push(grant.id);
      else if (result.reason === 'removal_failed') report.removalFailed.push(grant.id);
    }

    if (report.expired.length || report.reminded.length) this.deps.onNotices?.();

    const retainedSince = new Date(now.getTime() - NOTICE_RETENTION_DAYS * 24 * HOUR_MS);
    for (let batch = 0; batch < PRUNE_BATCHES_PER_SWEEP; batch++) {
      const pruned = await store.pruneNotices(retainedSince, PRUNE_BATCH);
      report.noticesPruned += pruned;
      if (pruned < PRUNE_BATCH) break;
    }
    return report;
  }

  /**
   * After a restart: approved requests never reached Mimecast, so they are provisioned now; requests
   * caught mid-call may or may not have been granted, so they go to an admin instead of being repeated.
   */
  async recoverInterrupted(): Promise<{ resumed: string[]; interrupted: string[]; noticesReleased: number }> {
    const { store } = this.deps;
    // Messages the previous process was sending when it stopped go out now rather than when their
    // lease runs out a minute later: nobody else is sending them. Slack may show one of them twice.
    const noticesReleased = await store.releaseNoticeLeases();
    const interrupted: string[] = [];
    for (const request of await store.listRequests({ statuses: ['provisioning'] })) {
      const failure: Failure = {
        kind: 'interrupted',
        message:
          'The bot stopped while Mimecast was being called, so the access may or may not have been granted.',
      };
      const result = await store.transition({
        id: request.id,
        name: 'provisioningUnknown',
        at: this.deps.clock(),
        patch: { failure },
        audit: { actor: SYSTEM_ACTOR, action: 'provisioning_interrupted', details: { ...failure } },
        notices: everywhere({ event: 'outcome_unknown' }),
      });
      if (result.ok) interrupted.push(request.id);
    }
    // A removal caught mid-call is safe to repeat: removing a right that is already gone changes nothing.
    for (const request of await store.listRequests({ statuses: ['removing'] })) {
      await store.transition({
        id: request.id,
        name: 'removalFailed',
        at: this.deps.clock(),
        patch: { nextRemovalAt: this.deps.clock() },
        audit: { actor: SYSTEM_ACTOR, action: 'removal_interrupted' },
      });
    }
    const resumed: string[] = [];
    for (const request of await store.listRequests({ statuses: ['approved'] })) {
      resumed.push(request.id);
    }
    if (interrupted.length || noticesReleased) this.deps.onNotices?.();
    await Promise.all(resumed.map((id) => this.provision(id)));
    return { resumed, interrupted, noticesReleased };
  }
}

function toFailure(failure: MimecastFailure): Failure {
  return {
    kind: failure.kind,
    message: failure.message,
    ...(failure.code ? { code: failure.code } : {}),
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
  };
}

/** Trims, and drops control and bidirectional-override characters other than line breaks and tabs. */
export function cleanText(text: string): string {
  return Array.from(text)
    .filter((char) => !isInvisibleControl(char.codePointAt(0) ?? 0))
    .join('')
    .trim();
}

function isInvisibleControl(code: number): boolean {
  if (code === 0x09 || code === 0x0a || code === 0x0d) return false;
  return (
    code < 0x20 ||
    code === 0x7f ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
