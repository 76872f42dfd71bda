import { type Core, HOUR_MS } from './deps.js';
import type { DelegationRequest } from './model.js';
import { ownerNotices } from './owner-notices.js';
import { isApproverOf, missingRequest, type Refusal } from './permissions.js';
import { decisionPath } from './policy.js';
import { isEnding, pendingEnd } from './remove.js';

export type ExtendResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: Extract<Refusal, 'not_found' | 'not_approver' | 'own_request'> | 'bad_duration' }
  /** Not active, time-bound access (any more): never extended, however the race went. */
  | { ok: false; reason: 'not_extendable'; request: DelegationRequest }
  /** Revoked or ended by the grantee, its removal in Mimecast still being retried: it is ending. */
  | { ok: false; reason: 'ending'; request: DelegationRequest }
  /** The grant kept changing under this extension (EXTEND_ATTEMPTS reads): nothing was changed. */
  | { ok: false; reason: 'changed_meanwhile' };

/** How often an extension is computed again after another change of the grant won the race. */
export const EXTEND_ATTEMPTS = 10;

/**
 * Gives more time to a time-bound grant: the approvers of its rule only, never on their own request,
 * and only by one of the durations its rule offers. The new end is computed from the grant as read, so
 * it is written as a compare-and-set on that version: when another change lands in between (another
 * extension, a card recorded), the grant is read again and the extension computed again, so two
 * extensions at once both count. A grant being removed or already removed meanwhile is never extended, nor one
 * revoked or ended by its grantee whose removal is still being retried.
 */
export async function extend(
  core: Core,
  id: string,
  approverId: string,
  hours: number,
): Promise<ExtendResult> {
  for (let attempt = 1; ; attempt += 1) {
    const request = await core.store.getRequest(id);
    // Anyone who does not see every request hears the same for no request as for one not theirs.
    if (!request) return { ok: false, reason: await missingRequest(core, approverId, 'not_approver') };
    if (request.requesterId === approverId) return { ok: false, reason: 'own_request' };
    if (!(await isApproverOf(core, request, approverId))) return { ok: false, reason: 'not_approver' };
    if (isEnding(request)) return { ok: false, reason: 'ending', request };
    if (!isExtendable(request)) return { ok: false, reason: 'not_extendable', request };
    if (!decisionPath(request, core.policy).durationChoicesHours.includes(hours) || hours <= 0)
      return { ok: false, reason: 'bad_duration' };
    const now = core.clock();
    // Extending access that has already run out starts from now, not from the past.
    const base = Math.max(request.expiresAt.getTime(), now.getTime());
    const expiresAt = new Date(base + hours * HOUR_MS);
    const result = await core.store.transition({
      id,
      name: 'extend',
      at: now,
      expectedVersion: request.version,
      // An expiry whose removal failed is called off: the grant is no longer due, nothing to retry.
      patch: {
        expiresAt,
        ...(pendingEnd(request)
          ? { endReason: undefined, endedBy: undefined, nextRemovalAt: undefined, removalAttempts: undefined }
          : {}),
      },
      audit: {
        actor: approverId,
        action: 'extended',
        details: { hours, from: request.expiresAt.toISOString(), to: expiresAt.toISOString() },
      },
      notices: [
        { target: 'card', event: 'extended' },
        { target: 'thread', event: 'extended', data: { by: approverId, hours } },
        { target: 'dm', event: 'extended', data: { by: approverId, hours } },
        ...ownerNotices(request, { event: 'extended', data: { by: approverId, hours } }),
      ],
    });
    if (result.ok) {
      core.notify();
      return { ok: true, request: result.request };
    }
    const current = result.current ?? request;
    if (isEnding(current)) return { ok: false, reason: 'ending', request: current };
    if (!isExtendable(current)) return { ok: false, reason: 'not_extendable', request: current };
    if (attempt >= EXTEND_ATTEMPTS) {
      core.logger.warn({ requestId: id, attempts: attempt }, 'extension gave up: the grant kept changing');
      return { ok: false, reason: 'changed_meanwhile' };
    }
  }
}

function isExtendable(request: DelegationRequest): request is DelegationRequest & { expiresAt: Date } {
  return request.status === 'completed' && request.expiresAt !== undefined;
}
