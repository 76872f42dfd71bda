import { type CancelResult, cancel } from './cancel.js';
import { releaseClaims } from './claims.js';
import {
  type ApproveResult,
  approve,
  type DecisionCheck,
  type DenyResult,
  deny,
  mayDecide,
} from './decide.js';
import { type Core, createCore, type RequestServiceDeps } from './deps.js';
import { type RemoveFindingResult, removeFinding, standingFindings } from './drift.js';
import { type ExtendResult, extend } from './extend.js';
import type { DriftFinding } from './findings.js';
import { type OpenRequestsFull, openRequestsFull } from './limits.js';
import type { AuditEvent, DelegationRequest } from './model.js';
import {
  mayAnswerAsOwner,
  type OwnerAllowResult,
  type OwnerCheck,
  type OwnerRefuseResult,
  ownerAllow,
  ownerRefuse,
} from './owner.js';
import {
  type AdminAuthorization,
  type AdminCommand,
  type AdminPermit,
  authorizeAdmin,
  authorizeReviewer,
  hasRole,
  type ReviewAuthorization,
  type ReviewCommand,
} from './permissions.js';
import type { ApprovalPolicy } from './policy.js';
import { describePolicy, type PolicyTest, recordPolicyAtStart, testPolicy } from './policy-review.js';
import { provision } from './provision.js';
import { type ReconcileResult, reconcileIfDue, reconcileNow } from './reconcile.js';
import { type RecoveryReport, recoverInterrupted } from './recover.js';
import { type EndAccessResult, type EndResult, endAccess, revoke } from './remove.js';
import {
  type RequestFormResult,
  requestForm,
  type SubmissionInput,
  type SubmitResult,
  submit,
} from './submit.js';
import { type SweepReport, sweep } from './sweep.js';
import {
  auditTrail,
  currentAccess,
  type HealthReport,
  type HomeContents,
  health,
  home,
  type MyRequests,
  myRequests,
  pendingRequests,
  type ViewResult,
  viewRequest,
} from './view.js';

export type { RequestServiceDeps } from './deps.js';

/**
 * The life of a delegate-access request, in the verbs people use. Every "may this person do this" is
 * answered here, with a typed refusal the Slack side words; what people are told is queued as notices
 * in the same transaction as the change. A thin facade: each verb lives in its own file.
 */
export class RequestService {
  private readonly core: Core;

  constructor(deps: RequestServiceDeps) {
    this.core = createCore(deps);
  }

  // Asking

  /**
   * Whether this person may open the request form, and with what in it (for this mailbox, if given).
   * Reads no store: ask `openRequestsFull` alongside; submitting checks the limit again.
   */
  requestForm(userId: string, mailbox?: string): Promise<RequestFormResult> {
    return requestForm(this.core, userId, mailbox);
  }

  /** Whether this person already has MAX_OPEN_REQUESTS requests open (the limit and which), or undefined. */
  openRequestsFull(userId: string): Promise<OpenRequestsFull | undefined> {
    return openRequestsFull(this.core, userId);
  }

  submit(input: SubmissionInput): Promise<SubmitResult> {
    return submit(this.core, input);
  }

  cancel(id: string, userId: string): Promise<CancelResult> {
    return cancel(this.core, id, userId);
  }

  // Deciding

  /** Whether this person may decide the request now (before the deny form opens). */
  mayDecide(id: string, userId: string): Promise<DecisionCheck> {
    return mayDecide(this.core, id, userId);
  }

  /** Approves, and queues the grant in Mimecast; `provisioning` settles once its outcome is recorded. */
  approve(id: string, approverId: string): Promise<ApproveResult> {
    return approve(this.core, id, approverId);
  }

  deny(id: string, approverId: string, reason?: string): Promise<DenyResult> {
    return deny(this.core, id, approverId, reason);
  }

  // The mailbox's owner, when its rule asks for their consent

  /** Whether this person may answer for the mailbox's owner now (before the Refuse form opens). */
  mayAnswerAsOwner(id: string, userId: string): Promise<OwnerCheck> {
    return mayAnswerAsOwner(this.core, id, userId);
  }

  ownerAllow(id: string, userId: string): Promise<OwnerAllowResult> {
    return ownerAllow(this.core, id, userId);
  }

  ownerRefuse(id: string, userId: string, reason: string): Promise<OwnerRefuseResult> {
    return ownerRefuse(this.core, id, userId, reason);
  }

  /** Grants approved access in Mimecast (at most once per request); joins a run already under way. */
  provision(id: string): Promise<DelegationRequest | undefined> {
    return provision(this.core, id);
  }

  // Granted access

  extend(id: string, approverId: string, hours: number): Promise<ExtendResult> {
    return extend(this.core, id, approverId, hours);
  }

  /** The grantee's "I'm done". */
  endAccess(id: string, userId: string): Promise<EndAccessResult> {
    return endAccess(this.core, id, userId);
  }

  /** An admin removes access now. */
  revoke(permit: AdminPermit, id: string): Promise<EndResult> {
    return revoke(this.core, permit, id);
  }

  // Looking

  viewRequest(id: string, userId: string): Promise<ViewResult> {
    return viewRequest(this.core, id, userId);
  }

  myRequests(userId: string): Promise<MyRequests> {
    return myRequests(this.core, userId);
  }

  home(userId: string): Promise<HomeContents> {
    return home(this.core, userId);
  }

  isAdmin(userId: string): Promise<boolean> {
    return hasRole(this.core, userId, 'admin');
  }

  /** Approves something: in APPROVER_GROUP_IDS or in a policy rule's approver groups. */
  isApprover(userId: string): Promise<boolean> {
    return hasRole(this.core, userId, 'approver');
  }

  // Admin commands: each needs the permit `authorizeAdmin` gives (checked and audited).

  authorizeAdmin(userId: string, command: AdminCommand, target?: string): Promise<AdminAuthorization> {
    return authorizeAdmin(this.core, userId, command, target);
  }

  pendingRequests(permit: AdminPermit): Promise<DelegationRequest[]> {
    return pendingRequests(this.core, permit);
  }

  currentAccess(permit: AdminPermit): Promise<DelegationRequest[]> {
    return currentAccess(this.core, permit);
  }

  auditTrail(permit: AdminPermit, about: { requestId: string } | { email: string }): Promise<AuditEvent[]> {
    return auditTrail(this.core, permit, about);
  }

  health(permit: AdminPermit): Promise<HealthReport> {
    return health(this.core, permit);
  }

  /** `/delegate reconcile`: the bot's records checked against Mimecast now (reconcile.ts). */
  reconcile(permit: AdminPermit): Promise<ReconcileResult> {
    return reconcileNow(this.core, permit);
  }

  /** `/delegate drift`: rights in Mimecast the bot did not grant, still standing. */
  driftFindings(permit: AdminPermit): Promise<DriftFinding[]> {
    return standingFindings(this.core, permit);
  }

  /** The Remove button of a drift finding: removes that right in Mimecast. */
  removeFinding(permit: AdminPermit, id: string): Promise<RemoveFindingResult> {
    return removeFinding(this.core, permit, id);
  }

  /** `/delegate policy`. */
  describePolicy(permit: AdminPermit): ApprovalPolicy {
    return describePolicy(this.core, permit);
  }

  /** `/delegate policy test` is for admins and approvers: checked and audited like admin commands. */
  authorizeReviewer(userId: string, command: ReviewCommand, target?: string): Promise<ReviewAuthorization> {
    return authorizeReviewer(this.core, userId, command, target);
  }

  /** `/delegate policy test <mailbox> [@requester]`: what would happen, creating nothing. */
  testPolicy(permit: AdminPermit, mailbox: string, requesterId?: string): Promise<PolicyTest> {
    return testPolicy(this.core, permit, mailbox, requesterId);
  }

  /** At start: records a first or changed policy file in the audit log. */
  recordPolicyAtStart(): Promise<string | undefined> {
    return recordPolicyAtStart(this.core);
  }

  // The bot's own work

  /** One pass over everything due (reminders, expiry, removals, retries, notice pruning). */
  sweep(): Promise<SweepReport> {
    return this.core.work.track(sweep(this.core));
  }

  /** The scheduled reconciliation, if its interval has passed since the last run (by any process). */
  reconcileIfDue(intervalMs: number): Promise<ReconcileResult> {
    return reconcileIfDue(this.core, intervalMs);
  }

  recoverInterrupted(): Promise<RecoveryReport> {
    return recoverInterrupted(this.core);
  }

  /**
   * For an orderly stop (a deploy): no new Mimecast call starts (approvals not started yet stay
   * approved, for another replica's sweep or the next start); calls already claimed finish and record
   * their outcome, instead of being reported as unknown later. After `timeoutMs` the stop goes on
   * without them: their claims are given up, so another replica takes them over at once rather than
   * when their lease runs out. Resolves with whether everything finished, and what was given up.
   */
  async drain(timeoutMs = Number.POSITIVE_INFINITY): Promise<{ finished: boolean; released: string[] }> {
    this.core.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.core.work.idle().then(() => true),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (finished) return { finished, released: [] };
    const released = await releaseClaims(this.core);
    this.core.logger.warn(
      { released, waitedMs: timeoutMs },
      'stopping with Mimecast calls still under way: their claims are given up for another process to take over',
    );
    return { finished, released };
  }

  /** The name this process signs its claims with. */
  get processId(): string {
    return this.core.processId;
  }

  /** Resolves once no work the service started in the background (provisioning, removals, sweeps) runs. */
  idle(): Promise<void> {
    return this.core.work.idle();
  }

  /** True while such work runs. */
  get busy(): boolean {
    return this.core.work.busy;
  }
}
