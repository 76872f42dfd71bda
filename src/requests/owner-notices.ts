import type { DelegationRequest } from './model.js';
import type { NoticeEvent, OwnerEventName, OwnerNotice } from './notices.js';

/**
 * The owner's DM for this event: queued with the change it announces when the request's rule tells
 * its owner anything (notify or consent) and an owner was found; otherwise nothing.
 */
export function ownerNotices(request: DelegationRequest, notice: NoticeEvent<OwnerEventName>): OwnerNotice[] {
  const route = request.route;
  if (!route?.ownerId || route.owner === 'none') return [];
  return [{ target: 'owner', ...notice } as OwnerNotice];
}
