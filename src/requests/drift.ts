import type { Core } from './deps.js';
import { toFailure } from './deps.js';
import type { DriftFinding } from './findings.js';
import { type DelegationRequest, type Failure, normalizeEmail, type RequestStatus } from './model.js';
import type { AdminPermit, Refusal } from './permissions.js';
import { removeRight } from './rights.js';

/**
 * Drift findings after a check against Mimecast (reconcile.ts records them): told to the admins,
 * listed by `/delegate drift`, and removed from Mimecast by an admin's Remove button.
 */

export type RemoveFindingResult =
  | { ok: true; finding: DriftFinding; alreadyGone: boolean }
  | { ok: false; reason: Extract<Refusal, 'not_found'> }
  | { ok: false; reason: 'not_open'; finding: DriftFinding }
  /**
   * A grant of the bot holds (or is about to hold) this right: removing it would end legitimate
   * access. `request` is that grant; when it is active, the finding was closed as `managed`.
   */
  | { ok: false; reason: 'managed_by_grant'; finding: DriftFinding; request: DelegationRequest }
  | { ok: false; reason: 'removal_failed'; failure: Failure; finding: DriftFinding };

/** `/delegate drift`: the findings that still stand, oldest first. */
export function standingFindings(core: Core, _permit: AdminPermit): Promise<DriftFinding[]> {
  return core.store.listFindings({ statuses: ['open', 'removing'] });
}

/**
 * Posts the open findings the admins have not been shown yet; returns how many went out. A failure
 * is logged and left for the next sweep: the finding stays unannounced until its message is posted.
 */
export async function announceFindings(core: Core): Promise<number> {
  const delivery = core.findings;
  if (!delivery) return 0;
  const waiting = await core.store.listFindings({ statuses: ['open'], unannounced: true, limit: 50 });
  let announced = 0;
  for (const finding of waiting) {
    await core.turns.next();
    try {
      const message = await delivery.announce(finding);
      await core.store.patchFinding(finding.id, { message });
      announced += 1;
    } catch (error) {
      core.logger.warn({ findingId: finding.id, err: error }, 'drift finding not posted yet; will retry');
      break;
    }
  }
  return announced;
}

/**
 * An admin removes a right the bot did not grant. Claimed first (open → removing), so two clicks make
 * one Mimecast call; back to open if Mimecast does not remove it. Audited at each step.
 */
export function removeFinding(core: Core, permit: AdminPermit, id: string): Promise<RemoveFindingResult> {
  return core.work.track(removeFindingNow(core, permit.actor, id));
}

async function removeFindingNow(core: Core, actor: string, id: string): Promise<RemoveFindingResult> {
  const { store } = core;
  const current = await store.getFinding(id);
  const grant = current?.status === 'open' ? await grantManaging(core, current) : undefined;
  if (current && grant) {
    // Not drift after all: the right is (or is about to be) a grant of the bot. Nothing is removed.
    const closed = isActive(grant) ? await closeManagedFinding(core, actor, current, grant) : undefined;
    if (!closed) {
      await store.appendAudit(
        {
          requestId: null,
          actor,
          action: 'drift_removal_refused',
          details: { findingId: id, grantId: grant.id, grantStatus: grant.status },
        },
        core.clock(),
      );
    }
    core.logger.info(
      { findingId: id, requestId: grant.id },
      'drift removal refused: a grant holds the right',
    );
    return { ok: false, reason: 'managed_by_grant', finding: closed ?? current, request: grant };
  }
  const startedAt = core.clock();
  const claimed = await store.transitionFinding({
    id,
    from: ['open'],
    to: 'removing',
    at: startedAt,
    patch: { removalStartedAt: startedAt, resolvedBy: actor },
    audit: { actor, action: 'drift_removal_started' },
  });
  if (!claimed.ok) {
    return claimed.current
      ? { ok: false, reason: 'not_open', finding: claimed.current }
      : { ok: false, reason: 'not_found' };
  }
  const finding = claimed.finding;
  const about = {
    granteeEmail: finding.granteeEmail,
    mailbox: finding.mailbox,
    mimecastId: finding.mimecastId,
  };
  const removal = await removeRight(core, { id: finding.mimecastId, ...about });
  const now = core.clock();
  if (!removal.ok) {
    const failure = toFailure(removal.failure);
    const reopened = await store.transitionFinding({
      id,
      from: ['removing'],
      to: 'open',
      at: now,
      patch: { removalStartedAt: undefined, resolvedBy: undefined },
      audit: { actor, action: 'drift_removal_failed', details: { ...about, ...failure } },
    });
    core.logger.warn({ findingId: id, kind: failure.kind }, 'removing a right the bot did not grant failed');
    return {
      ok: false,
      reason: 'removal_failed',
      failure,
      finding: reopened.ok ? reopened.finding : finding,
    };
  }
  const alreadyGone = removal.how === 'already_gone';
  const removed = await store.transitionFinding({
    id,
    from: ['removing'],
    to: 'removed',
    at: now,
    patch: { resolvedAt: now, resolvedBy: actor },
    audit: {
      actor,
      action: 'drift_right_removed',
      details: { ...about, ...(alreadyGone ? { alreadyGone } : {}) },
    },
  });
  const result = removed.ok ? removed.finding : finding;
  core.logger.info({ findingId: id }, 'a right the bot did not grant was removed by an admin');
  await redraw(core, result);
  return { ok: true, finding: result, alreadyGone };
}

/** Updates the admins' message of a finding that changed; a failure only costs the update. */
export async function redraw(core: Core, finding: DriftFinding): Promise<void> {
  const { message } = finding;
  if (!core.findings || !message) return;
  try {
    await core.findings.update({ ...finding, message });
  } catch (error) {
    core.logger.warn(
      { findingId: finding.id, err: error },
      'could not update the message of a drift finding',
    );
  }
}

/**
 * Requests whose grant accounts for a right in Mimecast: active, or under way (approved, its add being
 * made, or its unknown outcome being settled: the right listed may be that add, landed). A request left
 * `outcome_unknown` is not among them: the bot stopped looking after it and will neither expire nor
 * remove the right, so a right it may have made stays a finding for an admin to judge.
 */
export const MANAGING_STATUSES: readonly RequestStatus[] = [
  'approved',
  'provisioning',
  'settling',
  'completed',
  'removing',
];

function isActive(request: DelegationRequest): boolean {
  return request.status === 'completed' || request.status === 'removing';
}

/**
 * The grant of the bot, read now, that holds (or is about to hold) the finding's right: an active one
 * first, else one under way; undefined when none does.
 */
export async function grantManaging(
  core: Core,
  right: { granteeEmail: string; mailbox: string },
): Promise<DelegationRequest | undefined> {
  const mailbox = normalizeEmail(right.mailbox);
  const requests = (
    await core.store.listRequests({ granteeEmail: right.granteeEmail, statuses: MANAGING_STATUSES })
  ).filter((request) => normalizeEmail(request.mailbox) === mailbox);
  return requests.find(isActive) ?? requests[0];
}

/** An open finding whose right an active grant now holds is closed as `managed` (audited, redrawn). */
export async function closeManagedFinding(
  core: Core,
  actor: string,
  finding: DriftFinding,
  grant: DelegationRequest,
): Promise<DriftFinding | undefined> {
  if (!isActive(grant)) return undefined;
  const at = core.clock();
  const closed = await core.store.transitionFinding({
    id: finding.id,
    from: ['open'],
    to: 'managed',
    at,
    patch: { resolvedAt: at, resolvedBy: actor },
    audit: {
      actor,
      action: 'drift_managed',
      details: {
        granteeEmail: finding.granteeEmail,
        mailbox: finding.mailbox,
        mimecastId: finding.mimecastId,
        grantId: grant.id,
      },
    },
  });
  if (!closed.ok) return undefined;
  await redraw(core, closed.finding);
  return closed.finding;
}
