import { type Core, HOUR_MS } from './deps.js';
import type { DelegationRequest } from './model.js';
import { ownerNotices } from './owner-notices.js';
import { isApproverOf, missingRequest, type Refusal } from './permissions.js';
import { decisionPath } from './policy.js';

export type ExtendResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: Extract<Refusal, 'not_found' | 'not_approver' | 'own_request'> | 'bad_duration' }
  | { ok: false; reason: 'not_extendable'; request: DelegationRequest };

/**
 * Gives more time to a time-bound grant: the approvers of its rule only, never on their own request,
 * and only by one of the durations its rule offers.
 */
export async function extend(
  core: Core,
  id: string,
  approverId: string,
  hours: number,
): Promise<ExtendResult> {
  const request = await core.store.getRequest(id);
  // Anyone who does not see every request hears the same for no request as for one not theirs.
  if (!request) return { ok: false, reason: await missingRequest(core, approverId, 'not_approver') };
  if (request.requesterId === approverId) return { ok: false, reason: 'own_request' };
  if (!(await isApproverOf(core, request, approverId))) return { ok: false, reason: 'not_approver' };
  if (request.status !== 'completed' || !request.expiresAt)
    return { ok: false, reason: 'not_extendable', request };
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
    patch: { expiresAt },
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
  if (!result.ok) return { ok: false, reason: 'not_extendable', request: result.current ?? request };
  core.notify();
  return { ok: true, request: result.request };
}
