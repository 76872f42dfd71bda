import { claimRanOut } from './claims.js';
import type { Core } from './deps.js';
import { type DelegationRequest, type Failure, SYSTEM_ACTOR } from './model.js';
import { everywhere } from './notices.js';
import { provision } from './provision.js';
import { LAST_ADD_ATTEMPT, startSettling } from './unknown-outcome.js';

export interface RecoveryReport {
  /** Approved requests that never reached Mimecast: provisioned now. */
  resumed: string[];
  /** Requests caught mid-call: settled by searching Mimecast (a second add: handed to the admins). */
  interrupted: string[];
  /** Removals caught mid-call: due again, retried by the sweep for the reason they were made. */
  removalsInterrupted: string[];
  /** Notices the previous process was sending: sent again now. */
  noticesReleased: number;
}

export interface TakeoverReport {
  /** Approved requests nobody claimed: provisioned now. */
  resumed: string[];
  /** Provisioning whose claim ran out: handed to an admin. */
  interrupted: string[];
  /**
   * Removals whose claim ran out: due again at once, keeping why the grant ends and who ended it, so
   * the sweep retries a revoke or "I'm done" of permanent or not-yet-expired access too.
   */
  removalsInterrupted: string[];
}

/**
 * At start-up. On a store one process uses at a time (SQLite), everything claimed in it, and every
 * approval not yet claimed, was left by this bot's previous process, so it is all taken up now; the
 * notices it was sending go out now too. On a store replicas share (PostgreSQL), a live replica may
 * hold any of it: only claims whose lease has run out are taken over, and approvals waiting longer
 * than a lease; the sweep does the same on every replica from then on (see `takeOverAbandoned`).
 */
export async function recoverInterrupted(core: Core): Promise<RecoveryReport> {
  const { store } = core;
  // SQLite: messages the previous process was sending when it stopped go out now rather than when
  // their lease runs out a minute later (Slack may show one of them twice). PostgreSQL: none.
  const noticesReleased = await store.releaseNoticeLeases();
  const taken = await takeOverAbandoned(core, { everything: store.singleProcess });
  if (noticesReleased) core.notify();
  return {
    resumed: taken.resumed,
    interrupted: taken.interrupted,
    removalsInterrupted: taken.removalsInterrupted,
    noticesReleased,
  };
}

/**
 * Mimecast work left by a process that stopped, on any replica, every sweep:
 * - a request being provisioned whose claim ran out may or may not have been granted, so it goes to
 *   an admin instead of being repeated;
 * - a removal whose claim ran out is due again, for the same reason (removing a right that is already
 *   gone changes nothing);
 * - an approval nobody claimed for longer than a lease (the approving process stopped before its
 *   Mimecast call) is provisioned, through the same claim, so only one replica makes the call.
 * Each step is a compare-and-set on the version read, so a renewal in between (the holder is alive)
 * or another replica taking it over first makes this one step aside. `everything` treats every claim
 * and every approval as left (a single-process store at start-up).
 */
export async function takeOverAbandoned(
  core: Core,
  options: { everything: boolean },
): Promise<TakeoverReport> {
  const report: TakeoverReport = { resumed: [], interrupted: [], removalsInterrupted: [] };
  if (core.stopping) return report;
  const { store } = core;
  const now = core.clock();
  const left = (request: DelegationRequest) =>
    !core.held.has(request.id) && (options.everything || claimRanOut(core, request, now));

  for (const request of await store.listRequests({ statuses: ['provisioning'] })) {
    if (!left(request)) continue;
    const failure: Failure = {
      kind: 'interrupted',
      message:
        'The bot stopped while Mimecast was being called, so the access may or may not have been granted.',
    };
    const attempt = request.addAttempt ?? 1;
    const claimedBy = request.claim ? { claimedBy: request.claim.owner } : {};
    // Not repeated but settled (settle.ts: Mimecast is searched, counted from when the add began, the
    // request's last change: renewals of its claim change only its version), or, when it was the
    // second add, handed to the admins.
    const settle = startSettling(core, request, failure, request.updatedAt, 'provisioning_interrupted');
    const result = await store.transition(
      attempt < LAST_ADD_ATTEMPT
        ? {
            ...settle,
            patch: { ...settle.patch, claim: undefined },
            audit: { ...settle.audit, details: { ...settle.audit.details, ...claimedBy } },
            expectedVersion: request.version,
          }
        : {
            id: request.id,
            name: 'provisioningUnknown',
            at: now,
            patch: { failure, claim: undefined },
            audit: {
              actor: SYSTEM_ACTOR,
              action: 'provisioning_interrupted',
              details: { ...failure, attempt, ...claimedBy },
            },
            notices: everywhere('outcome_unknown'),
            expectedVersion: request.version,
          },
    );
    if (!result.ok) continue;
    report.interrupted.push(request.id);
    if (result.request.nextSettleAt) core.wake(result.request.nextSettleAt);
  }

  for (const request of await store.listRequests({ statuses: ['removing'] })) {
    if (!left(request)) continue;
    const result = await store.transition({
      id: request.id,
      name: 'removalFailed',
      at: now,
      patch: { nextRemovalAt: now, claim: undefined },
      audit: {
        actor: SYSTEM_ACTOR,
        action: 'removal_interrupted',
        ...(request.claim ? { details: { claimedBy: request.claim.owner } } : {}),
      },
      expectedVersion: request.version,
    });
    if (result.ok) report.removalsInterrupted.push(request.id);
  }

  const unclaimedSince = now.getTime() - core.claimLeaseMs;
  for (const request of await store.listRequests({ statuses: ['approved'] })) {
    if (core.provisioning.has(request.id)) continue;
    if (options.everything || request.updatedAt.getTime() <= unclaimedSince) report.resumed.push(request.id);
  }

  if (report.interrupted.length) core.notify();
  await Promise.all(report.resumed.map((id) => provision(core, id)));
  return report;
}
