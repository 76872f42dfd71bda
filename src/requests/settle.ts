import { newClaim, whileClaimed } from './claims.js';
import { type Core, expiryFrom, toFailure } from './deps.js';
import { stopBeforeGrant } from './eligibility.js';
import { type DelegationRequest, type Failure, SYSTEM_ACTOR } from './model.js';
import { everywhere } from './notices.js';
import { ownerNotices } from './owner-notices.js';
import type { TransitionInput } from './ports/index.js';
import { addAndRecord } from './provision.js';
import { isRefusal, rightFor, searchRights } from './rights.js';
import { LAST_ADD_ATTEMPT, SETTLE_CHECKS_AFTER_MS, SETTLE_CLAIM_MS } from './unknown-outcome.js';

/**
 * Settles an add whose outcome is unknown (no answer, a lost connection, a 5xx, an unreadable answer,
 * the bot stopping mid-call) by asking Mimecast instead of an admin. The grantee's rights are searched
 * 30 s, 2 min and 10 min after the add: found, the request is completed with the id Mimecast lists;
 * still absent at the last search, the add is made once more under the same approval. A search
 * Mimecast refuses, no answer at the last one, or a second unknown outcome goes to the admins.
 *
 * Every step is scheduled in the store (`nextSettleAt`, found by the sweep) and each one is claimed
 * with a compare-and-set before Mimecast is asked, so a restart loses nothing and two sweeps (or
 * replicas) never search or add twice for the same step.
 */

export interface SettleReport {
  /** Found in Mimecast: completed. */
  settled: string[];
  /** Still absent at the last search: added once more. */
  retried: string[];
  /** Handed to the admins (a search refused, or no answer at the last one). */
  unresolved: string[];
  /** Searches made. */
  checks: number;
}

/** One pass: every settling request whose next check is due is checked (the sweep calls this). */
export async function settleDue(core: Core): Promise<SettleReport> {
  const report: SettleReport = { settled: [], retried: [], unresolved: [], checks: 0 };
  if (core.stopping) return report;
  const due = await core.store.listRequests({ statuses: ['settling'], settleDueBefore: core.clock() });
  for (const request of due) await settleRequest(core, request.id, report);
  // The next check not due yet (left by this process or an earlier one): a sweep then, not a minute later.
  const waiting = await core.store.listRequests({ statuses: ['settling'] });
  const next = waiting.flatMap((request) => (request.nextSettleAt ? [request.nextSettleAt.getTime()] : []));
  if (next.length) core.wake(new Date(Math.min(...next)));
  return report;
}

/** Checks one request until it is no longer due: after a restart that missed checks, one after the other. */
async function settleRequest(core: Core, id: string, report: SettleReport): Promise<void> {
  for (;;) {
    if (core.stopping) return;
    const request = await core.store.getRequest(id);
    if (request?.status !== 'settling' || !request.nextSettleAt) return;
    if (request.nextSettleAt > core.clock()) {
      core.wake(request.nextSettleAt);
      return;
    }
    if (!(await checkOnce(core, request, report))) return;
  }
}

/** One search and what follows from it; true when the request may be due again at once. */
async function checkOnce(core: Core, request: DelegationRequest, report: SettleReport): Promise<boolean> {
  const { store } = core;
  const { id } = request;
  const check = (request.settleChecks ?? 0) + 1;
  // Background work: Slack's acks first (see Turns).
  await core.turns.next();
  const claimedAt = core.clock();
  const claimed = await store.transition({
    id,
    name: 'settleStep',
    at: claimedAt,
    expectedVersion: request.version,
    patch: { nextSettleAt: new Date(claimedAt.getTime() + SETTLE_CLAIM_MS) },
    audit: { actor: SYSTEM_ACTOR, action: 'outcome_check_started', details: { check } },
  });
  // Another sweep (or replica) took this check, or the request moved on.
  if (!claimed.ok) return false;
  const held = claimed.request;
  report.checks += 1;

  const search = await searchRights(core, request.granteeEmail, id);
  const now = core.clock();
  const since = request.settleSince ?? request.updatedAt;
  const last = check >= SETTLE_CHECKS_AFTER_MS.length;
  const record = (input: Omit<TransitionInput, 'id' | 'at' | 'expectedVersion'>) =>
    store.transition({ ...input, id, at: now, expectedVersion: held.version });

  if (search.ok) {
    const right = rightFor(search.rights, request.mailbox);
    if (right) {
      const expiresAt = expiryFrom(since, request.durationHours);
      const done = await record({
        name: 'settledPresent',
        patch: {
          mimecastId: right.id,
          grantedAt: since,
          ...(expiresAt ? { expiresAt } : {}),
          settleChecks: check,
          nextSettleAt: undefined,
          failure: undefined,
        },
        audit: {
          actor: SYSTEM_ACTOR,
          action: 'outcome_settled',
          details: { check, found: true, mimecastId: right.id },
        },
        notices: [...everywhere('settled'), ...ownerNotices(request, { event: 'granted' })],
      });
      if (done.ok) {
        report.settled.push(id);
        core.logger.info({ requestId: id, check }, 'unknown outcome settled: the access was granted');
        core.notify();
      }
      return false;
    }
    if (last) return retry(core, held, check, report, now);
    return reschedule(core, held, check, now, 'outcome_check_absent');
  }

  const problem = toFailure(search.failure);
  if (isRefusal(search.failure) || last) {
    const gaveUp = await record({
      name: 'settleFailed',
      patch: { settleProblem: problem, settleChecks: check, nextSettleAt: undefined },
      audit: {
        actor: SYSTEM_ACTOR,
        action: isRefusal(search.failure) ? 'outcome_check_refused' : 'outcome_check_failed',
        details: { check, ...problem },
      },
      notices: everywhere('outcome_unknown'),
    });
    if (gaveUp.ok) {
      report.unresolved.push(id);
      core.logger.warn(
        { requestId: id, check, kind: problem.kind },
        'unknown outcome not settled; admins told',
      );
      core.notify();
    }
    return false;
  }
  return reschedule(core, held, check, now, 'outcome_check_failed', problem);
}

/** The next search, at its time counted from when the outcome became unknown. */
async function reschedule(
  core: Core,
  held: DelegationRequest,
  check: number,
  now: Date,
  action: 'outcome_check_absent' | 'outcome_check_failed',
  problem?: Failure,
): Promise<boolean> {
  const since = held.settleSince ?? held.updatedAt;
  const nextSettleAt = new Date(since.getTime() + (SETTLE_CHECKS_AFTER_MS[check] ?? 0));
  const result = await core.store.transition({
    id: held.id,
    name: 'settleStep',
    at: now,
    expectedVersion: held.version,
    patch: { settleChecks: check, nextSettleAt },
    audit: {
      actor: SYSTEM_ACTOR,
      action,
      details: { check, nextCheckAt: nextSettleAt.toISOString(), ...(problem ? { kind: problem.kind } : {}) },
    },
  });
  if (!result.ok) return false;
  core.wake(nextSettleAt);
  return nextSettleAt <= core.clock();
}

/** Absent at the last search: the add once more, as a new attempt under the same approval. */
async function retry(
  core: Core,
  held: DelegationRequest,
  check: number,
  report: SettleReport,
  now: Date,
): Promise<boolean> {
  const attempt = (held.addAttempt ?? 1) + 1;
  if (attempt > LAST_ADD_ATTEMPT) return false;
  // Just before adding again: the requester may have left, been deactivated or changed email since.
  if (await stopBeforeGrant(core, held.id)) return false;
  // The claim says which process makes the second add, until when; renewed while the call runs.
  const claimed = await core.store.transition({
    id: held.id,
    name: 'retryProvisioning',
    at: now,
    expectedVersion: held.version,
    patch: { addAttempt: attempt, settleChecks: check, nextSettleAt: undefined, claim: newClaim(core) },
    audit: {
      actor: SYSTEM_ACTOR,
      action: 'provisioning_retried',
      details: {
        attempt,
        checks: check,
        approvedBy: held.decidedBy,
        ...(held.decidedAt ? { approvedAt: held.decidedAt.toISOString() } : {}),
        // Under a policy rule that needs several approvers, the approval is all of theirs.
        ...(held.approvals?.length ? { approvals: held.approvals.map((approval) => approval.by) } : {}),
        firstOutcome: held.failure?.kind,
      },
    },
  });
  if (!claimed.ok) return false;
  report.retried.push(held.id);
  core.logger.info({ requestId: held.id, attempt }, 'access still absent after the checks; adding once more');
  await whileClaimed(core, held.id, () => addAndRecord(core, claimed.request));
  return false;
}
