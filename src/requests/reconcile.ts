import { type Core, HOUR_MS, toFailure } from './deps.js';
import { announceFindings, grantManaging, MANAGING_STATUSES } from './drift.js';
import type { DriftFinding } from './findings.js';
import { type DelegationRequest, normalizeEmail, SYSTEM_ACTOR } from './model.js';
import { removedNotices } from './owner-notices.js';
import type { AdminPermit } from './permissions.js';
import type { DelegateRight, MimecastFailureKind } from './ports/index.js';
import { recordFinding, settleFindings } from './reconcile-findings.js';
import { pendingEnd } from './remove.js';
import { removeRight, rightFor, type Search, searchRights } from './rights.js';

/**
 * Reconciliation: the bot's records checked against Mimecast, one grantee at a time. For each person
 * with access the bot manages (or had, recently), their rights are searched and compared:
 * (a) a grant the bot thinks active that Mimecast no longer lists was removed outside the bot: the
 *     request ends with that reason, and the grantee and the admins are told; unless its end was
 *     asked for and its removal is being retried (a revoke, "I'm done", the expiry): that end is done,
 *     recorded and told as if the retried removal had succeeded;
 * (b) a right whose grant ended (not preexisting, not covered by another active grant) but is still
 *     listed is removed again;
 * (c) a right the bot did not create is recorded as a drift finding, reported once to the admins.
 *     A right a request under way may have made (approved, provisioning, settling) is not drift, nor
 *     is one a request granted meanwhile (the records are read again before a finding is recorded);
 *     an open finding whose right an active grant now holds is closed.
 * Every interval (the scheduler) and on `/delegate reconcile`; a run is claimed in the store, so
 * several processes run it once per interval. Within Mimecast's rate limits: two searches at a time,
 * and a 429 pauses every search for as long as Mimecast says.
 */

export const RECONCILE_JOB = 'reconcile';
/** A run holds its claim this long at most (a crashed run frees it then). */
export const RECONCILE_LEASE_MS = 2 * HOUR_MS;
/** Searches in flight at once. */
export const RECONCILE_CONCURRENCY = 2;
/** Grants that ended this recently are checked for rights still listed. */
export const ENDED_LOOKBACK_MS = 30 * 24 * HOUR_MS;
/** A grant this fresh is not judged missing: Mimecast may take a moment to list a new right. */
export const FRESH_GRANT_MS = 15 * 60_000;
/** How often one search waits out a 429 (beyond the client's own waits) before it is given up. */
const RATE_LIMIT_ROUNDS = 3;
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

export interface ReconcileReport {
  startedAt: Date;
  finishedAt: Date;
  /** People whose rights were searched (successfully). */
  searched: number;
  /** (a) Requests ended because Mimecast no longer lists their access. */
  removedOutside: string[];
  /** (a) Ends being retried (revoked, ended by the grantee, expired) that Mimecast no longer lists: done. */
  endsConfirmed: string[];
  /** (b) Requests whose right was still listed after the grant ended, removed again. */
  removedAgain: string[];
  /** (b) Those whose second removal failed too (retried at the next run). */
  removalFailed: string[];
  /** (c) Rights the bot did not create, reported for the first time. */
  newFindings: DriftFinding[];
  /** Findings that still stand after this run (new and earlier). */
  standingFindings: number;
  /** Findings no longer listed in Mimecast (removed elsewhere), closed. */
  resolvedFindings: string[];
  /** Findings whose right a grant of the bot now holds (its request completed), closed. */
  managedFindings: string[];
  /** Searches that failed, by kind: those people were not checked this time. */
  problems: { kind: MimecastFailureKind; count: number }[];
}

export type ReconcileResult =
  | { ok: true; report: ReconcileReport }
  | { ok: false; reason: 'already_running'; since?: Date }
  | { ok: false; reason: 'not_due' };

/** The scheduler's run: only when the last one started at least `intervalMs` ago. */
export function reconcileIfDue(core: Core, intervalMs: number): Promise<ReconcileResult> {
  const now = core.clock();
  return claimAndRun(core, SYSTEM_ACTOR, new Date(now.getTime() - intervalMs), 'not_due');
}

/** `/delegate reconcile`: now, unless a run is under way (here or in another process). */
export function reconcileNow(core: Core, permit: AdminPermit): Promise<ReconcileResult> {
  return claimAndRun(core, permit.actor, core.clock(), 'already_running');
}

async function claimAndRun(
  core: Core,
  actor: string,
  lastStartedBefore: Date,
  refusal: 'not_due' | 'already_running',
): Promise<ReconcileResult> {
  if (core.stopping) return { ok: false, reason: 'not_due' };
  const now = core.clock();
  const claimed = await core.store.claimJob({
    name: RECONCILE_JOB,
    now,
    lastStartedBefore,
    leaseUntil: new Date(now.getTime() + RECONCILE_LEASE_MS),
  });
  if (!claimed) {
    if (refusal === 'not_due') return { ok: false, reason: 'not_due' };
    const job = await core.store.getJob(RECONCILE_JOB);
    return {
      ok: false,
      reason: 'already_running',
      ...(job?.lastStartedAt ? { since: job.lastStartedAt } : {}),
    };
  }
  return core.work.track(
    (async (): Promise<ReconcileResult> => {
      try {
        return { ok: true, report: await run(core, actor, now) };
      } finally {
        await core.store.finishJob(RECONCILE_JOB, core.clock());
      }
    })(),
  );
}

interface Context {
  core: Core;
  actor: string;
  now: Date;
  report: ReconcileReport;
  /** Until when every search waits: the rate limit Mimecast last asked for, shared by the workers. */
  pauseUntil: number;
  problems: Map<MimecastFailureKind, number>;
}

async function run(core: Core, actor: string, startedAt: Date): Promise<ReconcileReport> {
  const { store } = core;
  const report: ReconcileReport = {
    startedAt,
    finishedAt: startedAt,
    searched: 0,
    removedOutside: [],
    endsConfirmed: [],
    removedAgain: [],
    removalFailed: [],
    newFindings: [],
    standingFindings: 0,
    resolvedFindings: [],
    managedFindings: [],
    problems: [],
  };
  const context: Context = { core, actor, now: startedAt, report, pauseUntil: 0, problems: new Map() };
  const grants = await store.listRequests({
    statuses: [...MANAGING_STATUSES, 'removed'],
    limit: 1_000_000,
  });
  const standing = await store.listFindings({ statuses: ['open', 'removing'], limit: 1_000_000 });
  const endedSince = startedAt.getTime() - ENDED_LOOKBACK_MS;
  const grantees = new Set<string>();
  for (const grant of grants) {
    const active = grant.status === 'completed' || grant.status === 'removing';
    const recentlyEnded = grant.mimecastId !== undefined && (grant.endedAt?.getTime() ?? 0) >= endedSince;
    if (active || recentlyEnded) grantees.add(grant.granteeEmail);
  }
  for (const finding of standing) grantees.add(finding.granteeEmail);

  const queue = [...grantees].sort();
  const worker = async () => {
    for (let grantee = queue.shift(); grantee !== undefined && !core.stopping; grantee = queue.shift()) {
      await checkGrantee(
        context,
        grantee,
        grants.filter((grant) => grant.granteeEmail === grantee),
        standing.filter((finding) => finding.granteeEmail === grantee),
      );
    }
  };
  await Promise.all(Array.from({ length: RECONCILE_CONCURRENCY }, worker));

  report.problems = [...context.problems].map(([kind, count]) => ({ kind, count }));
  report.standingFindings = (
    await store.listFindings({ statuses: ['open', 'removing'], limit: 1_000_000 })
  ).length;
  report.finishedAt = core.clock();
  await store.appendAudit(
    {
      requestId: null,
      actor,
      action: 'reconciled',
      details: {
        searched: report.searched,
        removedOutside: report.removedOutside,
        endsConfirmed: report.endsConfirmed,
        removedAgain: report.removedAgain,
        removalFailed: report.removalFailed,
        newFindings: report.newFindings.map((finding) => finding.id),
        resolvedFindings: report.resolvedFindings,
        managedFindings: report.managedFindings,
        problems: report.problems,
      },
    },
    report.finishedAt,
  );
  if (report.removedOutside.length || report.endsConfirmed.length) core.notify();
  await announceFindings(core);
  core.logger.info(
    {
      searched: report.searched,
      removedOutside: report.removedOutside.length,
      removedAgain: report.removedAgain.length,
      newFindings: report.newFindings.length,
      problems: report.problems,
    },
    'reconciled with Mimecast',
  );
  return report;
}

async function checkGrantee(
  context: Context,
  grantee: string,
  grants: DelegationRequest[],
  findings: DriftFinding[],
): Promise<void> {
  const search = await searchPatiently(context, grantee);
  if (!search.ok) {
    const { kind } = search.failure;
    context.problems.set(kind, (context.problems.get(kind) ?? 0) + 1);
    return;
  }
  context.report.searched += 1;
  const listed = search.rights;
  const active = grants.filter((grant) => grant.status === 'completed' || grant.status === 'removing');

  // (a) active for the bot, gone from Mimecast: an end being retried is done, anything else was
  // removed outside the bot.
  for (const grant of active) {
    const fresh = (grant.grantedAt?.getTime() ?? 0) > context.now.getTime() - FRESH_GRANT_MS;
    if (grant.status === 'completed' && !fresh && !rightFor(listed, grant.mailbox)) {
      await (pendingEnd(grant) ? confirmEnd(context, grant) : markRemovedOutside(context, grant));
    }
  }

  const managing = grants.filter((grant) => MANAGING_STATUSES.includes(grant.status));
  const managed = new Set(managing.map((grant) => normalizeEmail(grant.mailbox)));
  for (const right of listed) {
    // Access an active grant accounts for (granted by the bot, or known to predate it), or one under way.
    if (managed.has(normalizeEmail(right.mailbox))) continue;
    const ended = grants.find(
      (grant) => grant.status === 'removed' && grant.mimecastId === right.id && !grant.preexisting,
    );
    if (ended) await removeAgain(context, ended, right);
    // A request granted since the records were read (a run can be long) holds it: not drift.
    else if (!(await grantManaging(context.core, { granteeEmail: grantee, mailbox: right.mailbox }))) {
      await recordFinding(context, grantee, right);
    }
  }

  await settleFindings(context, findings, listed);
}

/** (a) The request ends as removed outside the bot; the grantee and the admins are told. */
async function markRemovedOutside(context: Context, grant: DelegationRequest): Promise<void> {
  const { core, actor } = context;
  const at = core.clock();
  const result = await core.store.transition({
    id: grant.id,
    name: 'removedOutside',
    at,
    // A change meanwhile (an extension, a revoke) was made on what the admin sees: it wins.
    expectedVersion: grant.version,
    patch: { endedAt: at, endedBy: actor, endReason: 'removed_outside_bot' },
    audit: {
      actor,
      action: 'removed_outside_bot',
      details: { mimecastId: grant.mimecastId, found: 'no longer listed in Mimecast' },
    },
    notices: removedNotices(grant, { why: 'removed_outside_bot' }),
  });
  if (result.ok) {
    context.report.removedOutside.push(grant.id);
    core.logger.warn({ requestId: grant.id }, 'access removed outside the bot; the request is ended');
  }
}

/**
 * (a) A revoke, "I'm done" or expiry whose removal failed and is being retried, and Mimecast no longer
 * lists the access: the end is done, with the reason and who asked as recorded, and told as such.
 */
async function confirmEnd(context: Context, grant: DelegationRequest): Promise<void> {
  const { core, actor } = context;
  const why = pendingEnd(grant)?.why ?? 'expired';
  const at = core.clock();
  const result = await core.store.transition({
    id: grant.id,
    name: 'removedOutside',
    at,
    // The retry under way (removing), or an extension of an expiry meanwhile: the grant changed, it wins.
    expectedVersion: grant.version,
    patch: { endedAt: at },
    audit: {
      actor,
      action: 'removed',
      details: {
        why,
        mimecastId: grant.mimecastId,
        confirmedBy: 'reconciliation',
        found: 'no longer listed in Mimecast',
      },
    },
    notices: removedNotices(grant, { why }),
  });
  if (result.ok) {
    context.report.endsConfirmed.push(grant.id);
    core.logger.info(
      { requestId: grant.id, why },
      'access no longer in Mimecast; the end being retried is done',
    );
  }
}

/** (b) A right whose grant ended is still listed: removed again, and the attempt audited. */
async function removeAgain(context: Context, grant: DelegationRequest, right: DelegateRight): Promise<void> {
  const { core, actor } = context;
  await core.turns.next();
  const removal = await removeRight(
    core,
    { id: right.id, granteeEmail: grant.granteeEmail, mailbox: grant.mailbox },
    grant.id,
  );
  const details = {
    mimecastId: right.id,
    why: 'the grant ended but Mimecast still lists the right',
    ...(removal.ok
      ? removal.how === 'already_gone'
        ? { alreadyGone: true }
        : {}
      : toFailure(removal.failure)),
  };
  await core.store.appendAudit(
    { requestId: grant.id, actor, action: removal.ok ? 'removed_again' : 'removal_again_failed', details },
    core.clock(),
  );
  (removal.ok ? context.report.removedAgain : context.report.removalFailed).push(grant.id);
  core.logger.warn({ requestId: grant.id, removed: removal.ok }, 'ended access was still listed in Mimecast');
}

/**
 * One grantee's search, within the rate limit: every worker waits while a 429's pause runs, and a
 * search answered 429 (after the client's own waits) waits as Mimecast said and is asked again.
 */
async function searchPatiently(context: Context, grantee: string): Promise<Search> {
  const { core } = context;
  for (let round = 0; ; round += 1) {
    const pause = context.pauseUntil - core.clock().getTime();
    if (pause > 0) await core.sleep(pause);
    await core.turns.next();
    const search = await searchRights(core, grantee);
    if (search.ok || search.failure.kind !== 'rate_limited' || round >= RATE_LIMIT_ROUNDS) return search;
    const waitMs = search.failure.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    context.pauseUntil = Math.max(context.pauseUntil, core.clock().getTime() + waitMs);
    core.logger.info({ waitMs }, 'Mimecast rate limit reached while reconciling; waiting');
  }
}
