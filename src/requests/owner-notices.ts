import type { DelegationRequest } from './model.js';
import type { NewNotice, Notice, NoticeData, NoticeEvent, OwnerEventName, OwnerNotice } from './notices.js';

/**
 * The update of the owner's consent DM, queued with every change that answers or ends a request whose
 * rule asked for the owner's consent: the DM then says what happened, without its buttons.
 */
export function consentClosed(request: DelegationRequest): OwnerNotice[] {
  const route = request.route;
  if (!route?.ownerId || route.owner !== 'consent') return [];
  return [{ target: 'owner', event: 'consent_closed' }];
}

/**
 * The owner's reminder, queued with the approvers' reminder of a request whose rule asks for the
 * owner's consent, while their answer is still missing.
 */
export function consentReminder(request: DelegationRequest): OwnerNotice[] {
  const route = request.route;
  if (!route?.ownerId || route.owner !== 'consent' || request.ownerAnswer) return [];
  return [{ target: 'owner', event: 'consent_reminder' }];
}

/**
 * A reminder to the owner that is no longer wanted by the time it goes out: they answered, or the
 * request was decided or ended since it was queued.
 */
export function reminderOutdated(notice: Notice, current: DelegationRequest): boolean {
  return (
    notice.target === 'owner' &&
    notice.event === 'consent_reminder' &&
    (current.status !== 'pending' || current.ownerAnswer !== undefined)
  );
}

/**
 * The owner's DM for this event: queued with the change it announces when the request's rule tells
 * its owner anything (notify or consent) and an owner was found; otherwise nothing.
 */
export function ownerNotices(request: DelegationRequest, notice: NoticeEvent<OwnerEventName>): OwnerNotice[] {
  const route = request.route;
  if (!route?.ownerId || route.owner === 'none') return [];
  return [{ target: 'owner', ...notice } as OwnerNotice];
}

/**
 * Everyone told that access has ended, whatever ended it (the bot's removal, or reconciliation finding
 * it gone): the card, the thread, the grantee and, when the rule says so, the mailbox owner.
 */
export function removedNotices(request: DelegationRequest, data: NoticeData<'removed'>): NewNotice[] {
  return [
    { target: 'card', event: 'removed' },
    { target: 'thread', event: 'removed', data },
    { target: 'dm', event: 'removed', data },
    ...ownerNotices(request, { event: 'removed', data }),
  ];
}
