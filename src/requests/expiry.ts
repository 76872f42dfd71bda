import { type Core, HOUR_MS } from './deps.js';
import { type DelegationRequest, SYSTEM_ACTOR } from './model.js';
import { consentClosed } from './owner-notices.js';

/**
 * A pending request expires REQUEST_TTL_HOURS after it was made. The sweep expires such requests in
 * passes; a decision checks the time itself, so a request past it cannot be approved or denied in the
 * window before the next sweep (after downtime, or between sweeps).
 */
export function isOverdue(core: Core, request: DelegationRequest, now: Date = core.clock()): boolean {
  const cutoff = now.getTime() - core.policy.requestTtlHours * HOUR_MS;
  return request.status === 'pending' && request.createdAt.getTime() <= cutoff;
}

/**
 * Expires an overdue request on the spot, as the sweep would (same audit event and notices), noting who
 * tried to decide it. Returns the request as it now is: expired, or decided by someone faster.
 */
export async function expireOnTheSpot(
  core: Core,
  request: DelegationRequest,
  triedBy: string,
): Promise<DelegationRequest> {
  const now = core.clock();
  const result = await core.store.transition({
    id: request.id,
    name: 'expire',
    at: now,
    patch: { endedAt: now },
    audit: {
      actor: SYSTEM_ACTOR,
      action: 'expired',
      details: { afterHours: core.policy.requestTtlHours, when: 'decision', triedBy },
    },
    notices: [
      { target: 'card', event: 'expired' },
      { target: 'dm', event: 'expired' },
      ...consentClosed(request),
    ],
  });
  if (!result.ok) return result.current ?? request;
  core.logger.info({ requestId: request.id, triedBy }, 'request expired when someone tried to decide it');
  core.notify();
  return result.request;
}
