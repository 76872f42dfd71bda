/** Words for the mailbox's owner: the consent request and its answers, and what they are told of grants. */
import type { DelegationRequest } from '../../requests/model.js';
import type { NoticeEvent, OwnerEventName } from '../../requests/notices.js';
import type { OwnerCheck, OwnerRefuseResult } from '../../requests/owner.js';
import { awaitedOf } from '../../requests/policy.js';
import { escapeMrkdwn, mentionUser, quote, slackDate } from '../mrkdwn.js';
import { describeDuration, ineligibleBecause, mentionList } from './common.js';

const grantee = (request: DelegationRequest) =>
  `*${escapeMrkdwn(request.granteeEmail)}* (${mentionUser(request.requesterId)})`;
const yourMailbox = (request: DelegationRequest) => `your mailbox *${escapeMrkdwn(request.mailbox)}*`;
const until = (request: DelegationRequest) =>
  request.expiresAt ? `until ${slackDate(request.expiresAt)}` : 'until it is revoked';

/** Who approved a grant: the approvers, or the rule that grants at once. */
function approvedBy(request: DelegationRequest): string {
  if (request.route?.autoApproved)
    return `granted at once by the policy rule *${escapeMrkdwn(request.route.rule)}*`;
  const approvers = request.approvals?.map((approval) => approval.by) ?? [];
  const people = approvers.length > 0 ? approvers : request.decidedBy ? [request.decidedBy] : [];
  return people.length > 0 ? `approved by ${mentionList(people)}` : 'approved';
}

/** The owner's DM for each event the owner hears of: a missing or misspelt event does not compile. */
export function ownerText(notice: NoticeEvent<OwnerEventName>, request: DelegationRequest): string {
  switch (notice.event) {
    case 'consent_requested':
      return (
        `:raising_hand: ${mentionUser(request.requesterId)} asks for delegate access to ${yourMailbox(request)} (${request.id}). ` +
        `If it is granted, *${escapeMrkdwn(request.granteeEmail)}* can read its archived mail, held messages and sender lists ` +
        `in Mimecast's apps for ${describeDuration(request.durationHours)}.\n*Reason*\n${quote(request.reason, 2000)}\n` +
        'The approvers decide too: access needs their approval *and* yours. Nothing is granted until both are in.'
      );
    case 'granted':
      return (
        `:information_source: ${grantee(request)} now has delegate access to ${yourMailbox(request)} ${until(request)}, ` +
        `${approvedBy(request)} (${request.id}).\n*Reason*\n${quote(request.reason, 2000)}`
      );
    case 'extended':
      return `:information_source: ${grantee(request)}'s delegate access to ${yourMailbox(request)} was extended by ${mentionUser(notice.data.by)}: it now lasts ${until(request)} (${request.id}).`;
    case 'consent_reminder':
      return consentReminderText(request);
    case 'consent_closed':
      return consentClosedLine(request);
    case 'removed': {
      const why =
        notice.data.why === 'expired'
          ? 'it expired'
          : notice.data.why === 'revoked'
            ? `${mentionUser(request.endedBy ?? '')} revoked it`
            : notice.data.why === 'removed_outside_bot'
              ? 'it was removed in Mimecast outside this bot'
              : 'they ended it';
      if (typeof notice.data.coveredBy === 'string') {
        return `:information_source: ${request.id} ended (${why}), but ${grantee(request)} keeps delegate access to ${yourMailbox(request)} under ${notice.data.coveredBy}.`;
      }
      return `:lock: ${grantee(request)} no longer has delegate access to ${yourMailbox(request)} through ${request.id}: ${why}.`;
    }
    default:
      return unworded(notice);
  }
}

/** A reminder round while the owner's answer is missing: who asks, what is still awaited, where to answer. */
function consentReminderText(request: DelegationRequest): string {
  const missing = awaitedOf(request).approvals;
  const awaited =
    missing === 0
      ? 'Every approval is in: only your answer is missing.'
      : `Your answer is still missing, and ${missing} more approval${missing === 1 ? '' : 's'} from the approvers.`;
  return (
    `:bell: ${mentionUser(request.requesterId)} has been waiting since ${slackDate(request.createdAt)} for delegate access to ${yourMailbox(request)} ` +
    `for *${escapeMrkdwn(request.granteeEmail)}* (${request.id}). ${awaited} ` +
    `Please Allow or Refuse it with the buttons on my earlier message about ${request.id}. Nothing is granted without your consent.`
  );
}

function unworded(notice: never): never {
  throw new Error(`no words for notice ${JSON.stringify(notice)}`);
}

export const allowButton = {
  label: 'Allow',
  title: 'Allow this access?',
  text: (request: DelegationRequest) =>
    `*${escapeMrkdwn(request.granteeEmail)}* gets delegate access to your mailbox for ${describeDuration(request.durationHours)} once the approvers agree too.`,
  short: 'The person shown above gets delegate access to your mailbox once the approvers agree too.',
  confirm: 'Allow',
};

export const refuseButton = { label: 'Refuse' };

/** Refuse asks why: the requester is told. */
export const refuseForm = {
  title: (request: DelegationRequest) => `Refuse ${request.id}`,
  submit: 'Refuse',
  close: 'Back',
  question: (request: DelegationRequest) =>
    `Refuse ${mentionUser(request.requesterId)}'s request for delegate access to ${yourMailbox(request)}? The request is denied.`,
  reasonLabel: 'Why? (the requester sees it)',
};

const NOTHING_NEEDED = 'No access was granted; nothing is needed from you.';

/**
 * Under the consent DM, in place of its buttons, once the request no longer waits for the owner: their
 * answer, or what decided, cancelled or expired it (from the request as that change left it).
 */
export function consentClosedLine(request: DelegationRequest): string {
  const { id } = request;
  const answer = request.ownerAnswer;
  if (answer?.answer === 'refused') return refusedLine(request);
  const denier = request.decidedBy ? mentionUser(request.decidedBy) : 'an approver';
  const botDenied = request.ineligible
    ? `the bot denied it: ${ineligibleBecause(request.ineligible, request, mentionUser(request.requesterId))}`
    : undefined;
  if (answer?.answer === 'allowed') {
    switch (request.status) {
      case 'pending': {
        const missing = awaitedOf(request).approvals;
        return `:white_check_mark: You allowed ${id}. It still needs ${missing} more approval${missing === 1 ? '' : 's'}; you will hear here when access is granted.`;
      }
      case 'denied':
        return `:no_entry: You allowed ${id}, but ${botDenied ?? `it was denied by ${denier}`}. ${NOTHING_NEEDED}`;
      case 'cancelled':
        return `:heavy_minus_sign: You allowed ${id}, but ${mentionUser(request.requesterId)} cancelled it. ${NOTHING_NEEDED}`;
      case 'expired':
        return `:hourglass: You allowed ${id}, but it expired without the approvals it needed. ${NOTHING_NEEDED}`;
      default:
        // Approved: by the owner's Allow itself (the approvals were in), or by the last approval.
        return answer.at.getTime() === request.decidedAt?.getTime()
          ? `:white_check_mark: You allowed ${id}. The approvals were already in, so the access is being granted now.`
          : `:white_check_mark: You allowed ${id}, and the approvals are now in: the access is being granted.`;
    }
  }
  switch (request.status) {
    case 'denied':
      return botDenied
        ? `:no_entry: Before you answered, ${botDenied}. ${NOTHING_NEEDED}`
        : `:no_entry: ${id} was denied by ${denier} before you answered. ${NOTHING_NEEDED}`;
    case 'cancelled':
      return `:heavy_minus_sign: ${mentionUser(request.requesterId)} cancelled ${id} before it was decided. ${NOTHING_NEEDED}`;
    case 'expired':
      return `:hourglass: ${id} expired without a decision. ${NOTHING_NEEDED}`;
    default:
      return `${id} no longer waits for your answer. Nothing is needed from you.`;
  }
}

/** Under the consent DM once the owner refused. */
export function refusedLine(request: DelegationRequest): string {
  return `:no_entry: You refused ${request.id}. ${mentionUser(request.requesterId)} has been told, with your reason.`;
}

/**
 * The owner's Allow or Refuse whose value names no request (stale, or from a version of the bot that is
 * gone): the owner may be neither requester nor approver, so `/delegate status` is no help to them.
 */
export const OWNER_BUTTON_WITHOUT_REQUEST =
  'That button no longer names a request you can answer: the request may be gone or already decided. Nothing was changed, and nothing is needed from you. If a newer message asks about your mailbox, answer with its buttons.';

/** Why the owner's answer was not taken (also to someone who is not the owner). Plain text: modals show it. */
export function ownerRefusal(
  refusal: Extract<OwnerCheck | OwnerRefuseResult, { ok: false }>,
  id: string,
): string {
  switch (refusal.reason) {
    case 'no_reason':
      return `Say why you refuse (at least ${refusal.min} characters): the requester is told.`;
    case 'not_found':
      return 'That request no longer exists. Nothing was changed.';
    case 'not_owner':
      return `Only the owner of the mailbox can allow or refuse ${id}. Nothing was changed.`;
    case 'already_answered':
      return `You already ${refusal.request.ownerAnswer?.answer ?? 'answered'} ${id}. Nothing was changed.`;
    case 'already_decided':
      return `${id} is no longer waiting (${decidedWords(refusal.request)}). Nothing was changed.`;
  }
}

function decidedWords(request: DelegationRequest): string {
  switch (request.status) {
    case 'denied':
      return 'it was denied';
    case 'cancelled':
      return 'the requester cancelled it';
    case 'expired':
      return 'it expired without a decision';
    default:
      return 'it was already approved';
  }
}
