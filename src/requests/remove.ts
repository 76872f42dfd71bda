import { newClaim, whileClaimed } from './claims.js';
import { type Core, HOUR_MS, otherGrants, toFailure } from './deps.js';
import {
  type Actor,
  type DelegationRequest,
  END_REASONS,
  type EndReason,
  type Failure,
  SYSTEM_ACTOR,
} from './model.js';
import { removedNotices } from './owner-notices.js';
import type { AdminPermit, Refusal } from './permissions.js';
import type { MimecastFailure } from './ports/index.js';
import { removeRight } from './rights.js';

/** Waits between failed removal attempts; the last repeats. */
const REMOVAL_BACKOFF_MS = [60_000, 5 * 60_000, 15 * 60_000, HOUR_MS];
/** Admins are told after this many failed removal attempts. */
export const REMOVAL_ALERT_AFTER = 3;

export type EndResult =
  | { ok: true; request: DelegationRequest; coveredBy?: string }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_active'; request: DelegationRequest }
  | { ok: false; reason: 'removal_failed'; failure: Failure; request: DelegationRequest };

/** The grantee's "I'm done": also refused to anyone but the grantee (a missing request has none). */
export type EndAccessResult = EndResult | { ok: false; reason: Extract<Refusal, 'not_grantee'> };

/** The grantee ends their own access early. Nobody else may, this way. */
export async function endAccess(core: Core, id: string, userId: string): Promise<EndAccessResult> {
  const request = await core.store.getRequest(id);
  if (!request || request.requesterId !== userId) return { ok: false, reason: 'not_grantee' };
  return removeAccess(core, id, userId, 'ended_by_grantee');
}

/** An admin removes access now; the permit shows the command was checked and audited. */
export function revoke(core: Core, permit: AdminPermit, id: string): Promise<EndResult> {
  return removeAccess(core, id, permit.actor, 'revoked');
}

/** How often the sweep reads a grant again when it changed between its read and its removal. */
const EXPIRY_ATTEMPTS = 10;

/**
 * The bot removes access whose time is up (the sweep), and retries removals that failed or were
 * interrupted, for the reason recorded when the end was asked for (a revoke, "I'm done", the expiry).
 * The removal is a compare-and-set on the version the sweep read: an extension that landed in between
 * wins (the grant is no longer due), and a grant still due after some other change is read and tried again.
 */
export async function removeDue(core: Core, grant: DelegationRequest): Promise<EndResult> {
  let read = grant;
  for (let attempt = 1; ; attempt += 1) {
    const end = pendingEnd(read) ?? { why: 'expired', by: SYSTEM_ACTOR };
    const result = await removeAccess(core, read.id, SYSTEM_ACTOR, end.why, read.version, end.by);
    if (result.ok || result.reason !== 'not_active') return result;
    if (!isDueForRemoval(result.request, core.clock()) || attempt >= EXPIRY_ATTEMPTS) return result;
    read = result.request;
  }
}

/**
 * An end that was asked for and has not happened yet: a revoke, an "I'm done" or the expiry whose
 * removal failed or was interrupted. The grant stays active (`completed`) with the reason and who
 * asked kept, and the sweep retries it at `nextRemovalAt` until Mimecast removes the access.
 */
export function pendingEnd(request: DelegationRequest): { why: EndReason; by: Actor } | undefined {
  if (request.status !== 'completed') return undefined;
  const why = END_REASONS.find((reason) => reason === request.endReason);
  if (!why || why === 'removed_outside_bot') return undefined;
  return { why, by: request.endedBy ?? SYSTEM_ACTOR };
}

/** A revoke or "I'm done" still waiting for its removal: the grant is ending, whatever its expiry. */
export function isEnding(request: DelegationRequest): boolean {
  const end = pendingEnd(request);
  return end !== undefined && end.why !== 'expired';
}

/**
 * Active access that is to be removed now: its time is up, or a revoke or "I'm done" is waiting for
 * its removal; in both cases no failed removal waiting for its next try.
 */
export function isDueForRemoval(request: DelegationRequest, now: Date): boolean {
  return (
    request.status === 'completed' &&
    ((request.expiresAt !== undefined && request.expiresAt <= now) || isEnding(request)) &&
    !(request.nextRemovalAt && request.nextRemovalAt > now)
  );
}

/**
 * Ends a grant. Access that another, still-valid grant also gives is left in place in Mimecast, as is
 * access that existed before the request. With `expectedVersion`, only if the grant is still as read.
 */
function removeAccess(
  core: Core,
  id: string,
  actor: Actor,
  why: EndReason,
  expectedVersion?: number,
  endedBy: Actor = actor,
): Promise<EndResult> {
  return core.work.track(removeNow(core, id, actor, why, expectedVersion, endedBy));
}

async function removeNow(
  core: Core,
  id: string,
  actor: Actor,
  why: EndReason,
  expectedVersion: number | undefined,
  endedBy: Actor,
): Promise<EndResult> {
  const { store } = core;
  const now = core.clock();
  const claimed = await store.transition({
    id,
    name: 'startRemoval',
    at: now,
    ...(expectedVersion === undefined ? {} : { expectedVersion }),
    // The claim says which process makes the call, until when; it is renewed while the call runs.
    // Who asked and why are kept through a failed removal: the sweep retries it for the same reason.
    patch: { endedBy, endReason: why, claim: newClaim(core) },
    audit: {
      actor,
      action: `removal_started`,
      details: { why, ...(endedBy === actor ? {} : { endedBy }) },
    },
  });
  if (!claimed.ok) {
    return claimed.current
      ? { ok: false, reason: 'not_active', request: claimed.current }
      : { ok: false, reason: 'not_found' };
  }
  return whileClaimed(core, id, () => removeClaimed(core, claimed.request, actor, why, now));
}

/** The Mimecast call of a claimed removal, and the record of its outcome (which ends the claim). */
async function removeClaimed(
  core: Core,
  request: DelegationRequest,
  actor: Actor,
  why: EndReason,
  now: Date,
): Promise<EndResult> {
  const { store, logger } = core;
  const { id } = request;
  // A grant that is itself ending (a revoke or "I'm done" waiting for its retry) covers nothing.
  const coveredBy = (await otherGrants(core, request)).find(
    (grant) => !pendingEnd(grant) && (!grant.expiresAt || grant.expiresAt > now),
  );

  let leaveInMimecast: string | undefined;
  if (coveredBy) leaveInMimecast = `still covered by ${coveredBy.id}`;
  else if (request.preexisting) leaveInMimecast = 'the access existed before this request';
  else if (!request.mimecastId) leaveInMimecast = 'no Mimecast id was recorded';

  let alreadyGone = false;
  if (!leaveInMimecast && request.mimecastId) {
    // Idempotent: a right Mimecast no longer has (checked with a search) counts as removed.
    const removal = await removeRight(
      core,
      { id: request.mimecastId, granteeEmail: request.granteeEmail, mailbox: request.mailbox },
      id,
    );
    if (!removal.ok) return removalFailed(core, request, actor, removal.failure);
    alreadyGone = removal.how === 'already_gone';
  }

  const ended = core.clock();
  const data = { why, ...(coveredBy ? { coveredBy: coveredBy.id } : {}) };
  const result = await store.transition({
    id,
    name: 'removed',
    at: ended,
    patch: { endedAt: ended, claim: undefined },
    audit: {
      actor,
      action: 'removed',
      details: {
        why,
        ...(leaveInMimecast ? { leftInMimecast: leaveInMimecast } : { mimecastId: request.mimecastId }),
        ...(alreadyGone ? { alreadyGone: true } : {}),
      },
    },
    notices: removedNotices(request, data),
  });
  core.notify();
  if (!result.ok) return { ok: false, reason: 'not_found' };
  logger.info({ requestId: id, why }, 'access ended');
  return { ok: true, request: result.request, ...(coveredBy ? { coveredBy: coveredBy.id } : {}) };
}

/**
 * Back to active, the end still asked for (its reason and who asked are kept), with the next attempt
 * scheduled; admins hear of it once it has failed a few times.
 */
async function removalFailed(
  core: Core,
  request: DelegationRequest,
  actor: Actor,
  failure: MimecastFailure,
): Promise<EndResult> {
  const attempts = (request.removalAttempts ?? 0) + 1;
  const now = core.clock();
  const delay = REMOVAL_BACKOFF_MS[Math.min(attempts - 1, REMOVAL_BACKOFF_MS.length - 1)] ?? HOUR_MS;
  const alert = attempts === REMOVAL_ALERT_AFTER;
  const result = await core.store.transition({
    id: request.id,
    name: 'removalFailed',
    at: now,
    patch: {
      removalAttempts: attempts,
      nextRemovalAt: new Date(now.getTime() + delay),
      failure: toFailure(failure),
      claim: undefined,
    },
    audit: { actor, action: 'removal_failed', details: { attempts, ...toFailure(failure) } },
    // Every attempt is in the audit log. The card shows the end still asked for and the next try
    // (without Extend or Revoke for a revoke or "I'm done"); the thread hears of it once it persists.
    notices: [
      { target: 'card', event: 'removal_failing' },
      ...(alert
        ? [{ target: 'thread' as const, event: 'removal_failing' as const, data: { attempts } }]
        : []),
    ],
  });
  core.notify();
  if (result.ok && result.request.nextRemovalAt) core.wake(result.request.nextRemovalAt);
  core.logger.warn({ requestId: request.id, attempts, kind: failure.kind }, 'removal failed; will retry');
  return {
    ok: false,
    reason: 'removal_failed',
    failure: toFailure(failure),
    request: result.ok ? result.request : request,
  };
}
