import type { Core } from './deps.js';
import type { DelegationRequest } from './model.js';
import { consentClosed } from './owner-notices.js';
import { type Refusal, seesEveryRequest } from './permissions.js';

export type CancelResult =
  | { ok: true; request: DelegationRequest }
  | { ok: false; reason: Extract<Refusal, 'not_found'> }
  /**
   * Not theirs to cancel. `seesAll` (approvers and admins) means the request exists and is someone
   * else's; anyone else gets this answer whether the id exists or not (never `not_found`), so that
   * trying ids tells nobody which exist.
   */
  | { ok: false; reason: Extract<Refusal, 'not_yours'>; seesAll: boolean }
  | { ok: false; reason: 'not_pending'; request: DelegationRequest };

/** The requester withdraws their request while it waits; nobody else may. */
export async function cancel(core: Core, id: string, userId: string): Promise<CancelResult> {
  const request = await core.store.getRequest(id);
  if (request?.requesterId !== userId) {
    const seesAll = await seesEveryRequest(core, userId);
    if (!request && seesAll) return { ok: false, reason: 'not_found' };
    return { ok: false, reason: 'not_yours', seesAll };
  }
  const now = core.clock();
  const result = await core.store.transition({
    id,
    name: 'cancel',
    at: now,
    patch: { endedBy: userId, endedAt: now },
    audit: { actor: userId, action: 'cancelled' },
    notices: [{ target: 'card', event: 'cancelled' }, ...consentClosed(request)],
  });
  if (!result.ok) {
    return result.current
      ? { ok: false, reason: 'not_pending', request: result.current }
      : { ok: false, reason: 'not_found' };
  }
  core.notify();
  return { ok: true, request: result.request };
}
