import { type Core, HOUR_MS } from './deps.js';
import { announceFindings } from './drift.js';
import { SYSTEM_ACTOR } from './model.js';
import { consentClosed, consentReminder } from './owner-notices.js';
import { type TakeoverReport, takeOverAbandoned } from './recover.js';
import { isDueForRemoval, removeDue } from './remove.js';
import { type SettleReport, settleDue } from './settle.js';

export interface SweepReport extends TakeoverReport {
  expired: string[];
  reminded: string[];
  removed: string[];
  removalFailed: string[];
  /** Unknown outcomes checked in Mimecast (settle.ts). */
  settle: SettleReport;
  /** Drift findings whose message to the admins went out in this pass (posting failed before). */
  findingsAnnounced: number;
  /** Finished notices deleted after NOTICE_RETENTION_DAYS. */
  noticesPruned: number;
}

/** Finished notices are kept this long for troubleshooting, then deleted; the audit log keeps the history. */
export const NOTICE_RETENTION_DAYS = 7;
/** Deleted per statement, so that one sweep never holds the write lock for long. */
const PRUNE_BATCH = 500;
const PRUNE_BATCHES_PER_SWEEP = 20;

/**
 * One pass over everything that is due: Mimecast work another process left (see
 * `takeOverAbandoned`), pending requests to remind or expire, grants to remove, removals to retry,
 * unknown outcomes to check in Mimecast, drift findings still to announce. Every replica sweeps; each
 * step is a claim or a compare-and-set, so a pass after a restart, or several replicas sweeping at
 * once, act once.
 */
export async function sweep(core: Core): Promise<SweepReport> {
  const { store, policy } = core;
  const taken = await takeOverAbandoned(core, { everything: false });
  const now = core.clock();
  const report: SweepReport = {
    ...taken,
    expired: [],
    reminded: [],
    removed: [],
    removalFailed: [],
    settle: { settled: [], retried: [], unresolved: [], checks: 0 },
    findingsAnnounced: 0,
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
        ...consentClosed(request),
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
      // The owner is asked again too while their consent is missing: once per round, as the approvers.
      notices: [{ target: 'thread', event: 'reminder' }, ...consentReminder(request)],
      // pending → pending: the status alone would let two replicas both remind.
      expectedVersion: request.version,
    });
    if (result.ok) report.reminded.push(request.id);
  }

  // Grants whose time is up, and removals due again: a failed or interrupted one, whatever ended the
  // grant (a revoke or "I'm done" of access that is permanent or has time left is due by its retry
  // time alone, not by its expiry).
  const expired = await store.listRequests({ statuses: ['completed'], expiresBefore: now });
  const retries = await store.listRequests({ statuses: ['completed'], removalDueBefore: now });
  const due = [...expired, ...retries.filter((grant) => !expired.some((other) => other.id === grant.id))];
  for (const grant of due) {
    // An orderly stop starts no new Mimecast call; another replica, or the next start, removes it.
    if (core.stopping) break;
    if (!isDueForRemoval(grant, now)) continue;
    const result = await removeDue(core, grant);
    if (result.ok) report.removed.push(grant.id);
    else if (result.reason === 'removal_failed') report.removalFailed.push(grant.id);
  }

  if (report.expired.length || report.reminded.length) core.notify();

  report.settle = await settleDue(core);
  report.findingsAnnounced = await announceFindings(core);

  const retainedSince = new Date(now.getTime() - NOTICE_RETENTION_DAYS * 24 * HOUR_MS);
  for (let batch = 0; batch < PRUNE_BATCHES_PER_SWEEP; batch++) {
    const pruned = await store.pruneNotices(retainedSince, PRUNE_BATCH);
    report.noticesPruned += pruned;
    if (pruned < PRUNE_BATCH) break;
  }
  return report;
}
