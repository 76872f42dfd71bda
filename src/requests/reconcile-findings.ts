import type { Core } from './deps.js';
import { closeManagedFinding, grantManaging, redraw } from './drift.js';
import { type DriftFinding, newFindingId } from './findings.js';
import { normalizeEmail } from './model.js';
import type { DelegateRight } from './ports/index.js';

/**
 * Reconciliation's part (c), the rights the bot did not create (see reconcile.ts): a right found is
 * recorded as a drift finding, and findings already recorded are closed or opened again by what
 * Mimecast lists now.
 */

/** A removal claimed longer ago than this, with the right still listed, was cut off: open again. */
const STALE_REMOVAL_MS = 10 * 60_000;

/** What a run tells this part: who runs it, when it started, and the report's lists it adds to. */
export interface FindingsContext {
  core: Core;
  actor: string;
  now: Date;
  report: { newFindings: DriftFinding[]; resolvedFindings: string[]; managedFindings: string[] };
}

/** (c) A right the bot did not create: recorded once (and audited once), then told to the admins. */
export async function recordFinding(
  context: FindingsContext,
  grantee: string,
  right: DelegateRight,
): Promise<void> {
  const { core, actor } = context;
  const at = core.clock();
  const finding: DriftFinding = {
    id: newFindingId(),
    kind: 'unmanaged_right',
    granteeEmail: grantee,
    mailbox: normalizeEmail(right.mailbox),
    mimecastId: right.id,
    ...(right.name ? { name: right.name } : {}),
    ...(right.source ? { source: right.source } : {}),
    status: 'open',
    foundAt: at,
    lastSeenAt: at,
    version: 1,
  };
  const recorded = await core.store.recordFinding(finding, {
    requestId: null,
    actor,
    action: 'drift_found',
    details: {
      findingId: finding.id,
      granteeEmail: grantee,
      mailbox: finding.mailbox,
      mimecastId: right.id,
      ...(right.source ? { source: right.source } : {}),
    },
  });
  if (recorded.created) context.report.newFindings.push(recorded.finding);
}

/** Findings of this grantee no longer listed are closed; a removal cut off long ago is opened again. */
export async function settleFindings(
  context: FindingsContext,
  findings: DriftFinding[],
  listed: DelegateRight[],
) {
  const { core, actor, now } = context;
  for (const finding of findings) {
    const stillListed = listed.some((right) => right.id === finding.mimecastId);
    if (!stillListed) {
      const closed = await core.store.transitionFinding({
        id: finding.id,
        from: ['open', 'removing'],
        to: finding.status === 'removing' ? 'removed' : 'gone',
        at: core.clock(),
        patch: { resolvedAt: core.clock(), ...(finding.status === 'removing' ? {} : { resolvedBy: actor }) },
        audit: {
          actor,
          action: 'drift_gone',
          details: {
            granteeEmail: finding.granteeEmail,
            mailbox: finding.mailbox,
            mimecastId: finding.mimecastId,
          },
        },
      });
      if (closed.ok) {
        context.report.resolvedFindings.push(finding.id);
        await redraw(core, closed.finding);
      }
    } else if (finding.status === 'open') {
      const grant = await grantManaging(core, finding);
      const closed = grant && (await closeManagedFinding(core, actor, finding, grant));
      if (closed) context.report.managedFindings.push(finding.id);
    } else if (
      finding.status === 'removing' &&
      (finding.removalStartedAt?.getTime() ?? 0) < now.getTime() - STALE_REMOVAL_MS
    ) {
      await core.store.transitionFinding({
        id: finding.id,
        from: ['removing'],
        to: 'open',
        at: core.clock(),
        patch: { removalStartedAt: undefined, resolvedBy: undefined },
        audit: { actor, action: 'drift_removal_interrupted' },
      });
    }
  }
}
