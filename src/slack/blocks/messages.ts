import type { ActionsBlockElement, KnownBlock } from '@slack/types';
import {
  type DelegationRequest,
  describeDuration,
  type Failure,
  type RequestStatus,
} from '../../requests/model.js';
import type { DmEventName, NoticeData, NoticeEvent, ThreadEventName } from '../../requests/notices.js';
import type { EndResult } from '../../requests/service.js';
import { isChannelProblem, NO_ANSWER } from '../errors.js';
import { escapeMrkdwn, escapeWithin, mentionGroup, mentionUser, quote, slackDate } from '../mrkdwn.js';
import { IDS } from './ids.js';

export interface SlackMessage {
  /** Always set: it is the notification text and what screen readers and old clients show. */
  text: string;
  blocks?: KnownBlock[];
}

/** "alice@example.com will get delegate access to sales@example.com", the sentence people must not misread. */
export function grantSentence(
  request: DelegationRequest,
  tense: 'will' | 'has' | 'no longer' = 'will',
): string {
  const grantee = `*${escapeMrkdwn(request.granteeEmail)}*`;
  const mailbox = `*${escapeMrkdwn(request.mailbox)}*`;
  if (tense === 'has') return `${grantee} now has delegate access to ${mailbox}`;
  if (tense === 'no longer') return `${grantee} no longer has delegate access to ${mailbox}`;
  return `${grantee} will get delegate access to ${mailbox}`;
}

const STATUS_WORDS: Record<RequestStatus, string> = {
  pending: 'Waiting for an approver',
  approved: 'Approved: granting access in Mimecast…',
  provisioning: 'Approved: granting access in Mimecast…',
  completed: 'Access granted',
  removing: 'Removing access…',
  failed: 'Approved, but Mimecast refused it',
  outcome_unknown: 'Approved, outcome unknown: an admin must check Mimecast',
  denied: 'Denied',
  cancelled: 'Cancelled by the requester',
  expired: 'Expired without a decision',
  removed: 'Access ended',
};

export function statusWords(status: RequestStatus): string {
  return STATUS_WORDS[status];
}

type Button = Extract<ActionsBlockElement, { type: 'button' }>;

/** Slack refuses a message whose confirm dialog text is longer than this. */
const DIALOG_TEXT_MAX = 300;

/**
 * "Are you sure?" before a button changes access. Its text names who and what; when two long addresses
 * would push it past Slack's limit, `short` points at the addresses shown above the button instead:
 * an address is never cut short where someone decides on it.
 */
function askFirst(
  title: string,
  text: { full: string; short: string },
  confirm: string,
  danger = false,
): NonNullable<Button['confirm']> {
  return {
    title: { type: 'plain_text', text: title },
    text: { type: 'mrkdwn', text: text.full.length <= DIALOG_TEXT_MAX ? text.full : text.short },
    confirm: { type: 'plain_text', text: confirm },
    deny: { type: 'plain_text', text: 'Back' },
    ...(danger ? { style: 'danger' as const } : {}),
  };
}

/**
 * Approve (behind a dialog that says who gets what, for how long) and Deny: the same pair on the card
 * and on the App Home, so a decision asks the same of an approver wherever it is made.
 */
export function decisionButtons(request: DelegationRequest): Button[] {
  return [
    {
      type: 'button',
      action_id: IDS.approveAction,
      style: 'primary',
      text: { type: 'plain_text', text: 'Approve' },
      value: request.id,
      confirm: askFirst(
        'Approve this request?',
        {
          full: `${grantSentence(request)} for ${describeDuration(request.durationHours)}.`,
          short: `The person shown above gets delegate access to the mailbox shown above for ${describeDuration(request.durationHours)}.`,
        },
        'Approve',
      ),
    },
    {
      type: 'button',
      action_id: IDS.denyAction,
      style: 'danger',
      text: { type: 'plain_text', text: 'Deny' },
      value: request.id,
    },
  ];
}

/** The requester's "I'm done", in their DM and on their App Home: it removes access, so it asks first. */
export function endAccessButton(request: DelegationRequest): Button {
  return {
    type: 'button',
    action_id: IDS.endAccessAction,
    text: { type: 'plain_text', text: "I'm done" },
    value: request.id,
    confirm: askFirst(
      'End your access?',
      {
        full: `${grantSentence(request, 'no longer')} once Mimecast confirms.`,
        short: 'Your delegate access to the mailbox shown above ends once Mimecast confirms.',
      },
      'End access',
      true,
    ),
  };
}

/** The requester's "Cancel request" while it waits; no dialog, since a new request undoes it. */
export function cancelButton(request: DelegationRequest): Button {
  return {
    type: 'button',
    action_id: IDS.cancelAction,
    text: { type: 'plain_text', text: 'Cancel request' },
    value: request.id,
  };
}

/** The approvers' card in the approval channel; decision buttons while pending, extend/revoke while granted. */
export function requestCard(
  request: DelegationRequest,
  extendChoicesHours: readonly number[] = [],
): SlackMessage {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Mailbox access request ${request.id}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n${mentionUser(request.requesterId)}` },
        { type: 'mrkdwn', text: `*Duration*\n${describeDuration(request.durationHours)}` },
        { type: 'mrkdwn', text: `*Gets access*\n${escapeMrkdwn(request.granteeEmail)}` },
        { type: 'mrkdwn', text: `*Mailbox*\n${escapeMrkdwn(request.mailbox)}` },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `If approved, ${grantSentence(request)} in Mimecast's apps (archive, held messages, sender lists) for ${describeDuration(request.durationHours)}.`,
      },
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${quote(request.reason)}` } },
  ];

  if (request.status === 'pending') {
    blocks.push({ type: 'actions', block_id: IDS.decisionBlock, elements: decisionButtons(request) });
  }

  const extendable = extendChoicesHours.filter((hours) => hours > 0);
  if (request.status === 'completed' && !request.preexisting) {
    blocks.push({
      type: 'actions',
      block_id: IDS.grantBlock,
      elements: [
        ...(request.expiresAt && extendable.length
          ? [
              {
                type: 'static_select' as const,
                action_id: IDS.extendAction,
                placeholder: { type: 'plain_text' as const, text: 'Extend by…' },
                options: extendable.map((hours) => ({
                  text: { type: 'plain_text' as const, text: describeDuration(hours) },
                  value: `${request.id}:${hours}`,
                })),
              },
            ]
          : []),
        {
          type: 'button' as const,
          action_id: IDS.revokeAction,
          style: 'danger' as const,
          text: { type: 'plain_text' as const, text: 'Revoke now' },
          value: request.id,
          confirm: askFirst(
            'Revoke this access?',
            {
              full: `${grantSentence(request, 'no longer')} once Mimecast confirms.`,
              short: 'The delegate access shown above ends once Mimecast confirms.',
            },
            'Revoke',
            true,
          ),
        },
      ],
    });
  }

  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cardStatusLine(request) }] });
  return { text: `Mailbox access request ${request.id}: ${statusWords(request.status)}`, blocks };
}

function cardStatusLine(request: DelegationRequest): string {
  const decided = request.decidedBy && request.decidedAt;
  const by = decided
    ? `${mentionUser(request.decidedBy ?? '')} on ${slackDate(request.decidedAt ?? new Date(0))}`
    : '';
  switch (request.status) {
    case 'pending':
      return `:hourglass_flowing_sand: Waiting for an approver · requested ${slackDate(request.createdAt)}`;
    case 'approved':
    case 'provisioning':
      return `:white_check_mark: Approved by ${by} · granting access in Mimecast…`;
    case 'completed':
      return `:white_check_mark: Approved by ${by} · access granted${request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ''}`;
    case 'failed':
      return `:warning: Approved by ${by} · Mimecast refused it (see thread)`;
    case 'outcome_unknown':
      return `:warning: Approved by ${by} · outcome unknown, an admin must check Mimecast (see thread)`;
    case 'denied':
      return `:no_entry: Denied by ${by}${request.denyReason ? `: ${escapeWithin(request.denyReason, 2000)}` : ''}`;
    case 'cancelled':
      return ':heavy_multiplication_x: Cancelled by the requester';
    case 'expired':
      return ':hourglass: Expired without a decision';
    case 'removing':
      return ':lock: Removing access in Mimecast…';
    case 'removed':
      return `:lock: Access ended${request.endedAt ? ` ${slackDate(request.endedAt)}` : ''}`;
  }
}

/** A message's text with one button under it. */
function withButton(text: string, button: Button): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'actions', elements: [button] },
  ];
}

function endSentence(request: DelegationRequest, data: NoticeData<'removed'>): string {
  const why =
    data.why === 'expired'
      ? 'it expired'
      : data.why === 'revoked'
        ? `${mentionUser(request.endedBy ?? '')} revoked it`
        : 'the grantee ended it';
  const grantee = `*${escapeMrkdwn(request.granteeEmail)}*`;
  const mailbox = `*${escapeMrkdwn(request.mailbox)}*`;
  if (typeof data.coveredBy === 'string') {
    return `This grant ended (${why}), but ${grantee} keeps delegate access to ${mailbox} under ${data.coveredBy}.`;
  }
  if (request.preexisting) {
    return `This grant ended (${why}). ${grantee} had delegate access to ${mailbox} before this request, so it was left in place in Mimecast.`;
  }
  return `${grantSentence(request, 'no longer')}: ${why}.`;
}

/** What the person who ended or revoked access is told when it did not happen. */
export function endAccessProblem(
  result: Extract<EndResult, { ok: false }>,
  id: string,
  verb: 'end' | 'revoke',
): string {
  switch (result.reason) {
    case 'removal_failed':
      return `Mimecast did not remove the access for ${id} yet: ${failureExplanation(result.failure)} The bot will keep retrying.`;
    case 'not_active':
      return `${id} has no active access to ${verb} (it is ${result.request.status}). Nothing was changed.`;
    case 'not_found':
      return `There is no request ${id}.`;
  }
}

/** What a person can do about a failed Mimecast call, in plain words. */
export function failureExplanation(failure: Failure | undefined): string {
  const said = failure?.message ? escapeMrkdwn(failure.message) : '';
  switch (failure?.kind) {
    case 'validation':
      return `Mimecast rejected the address: ${said}. Check that both addresses exist in Mimecast, then submit a new request.`;
    case 'authentication':
      return "Mimecast refused the bot's API credentials. An admin must check the bot's Mimecast keys.";
    case 'permission':
      return "The bot's Mimecast account is not allowed to add delegates. An admin must give it the Directories | Internal | Create Alternate Address permission.";
    case 'binding_expired':
      return "The bot's Mimecast API keys have expired: an admin must re-issue them. Nothing was changed in Mimecast.";
    case 'rate_limited':
      return 'Mimecast is limiting how fast the bot may call it. Nothing was changed; submit the request again in a few minutes.';
    case 'not_found':
      return 'Mimecast does not offer delegate management for this account through this API. An admin should check the Mimecast API version and region.';
    case 'server_error':
      return 'Mimecast had a problem of its own and nothing was changed. Submit the request again later.';
    case 'interrupted':
      return 'Outcome unknown: the bot stopped while calling Mimecast, so the access may or may not exist. An admin must check in Mimecast before anyone retries.';
    case 'unexpected_response':
      return 'Outcome unknown: Mimecast answered in a way the bot could not read. An admin must check in Mimecast before anyone retries.';
    default:
      return 'Outcome unknown: the request reached Mimecast but no answer came back (timeout or lost connection), so the access may or may not exist. An admin must check in Mimecast before anyone retries.';
  }
}

function supportLine(failure: Failure | undefined): string {
  return failure?.requestId
    ? `\nMimecast request id for support: \`${escapeMrkdwn(failure.requestId)}\``
    : '';
}

/** Replies in the card's thread: one per event the thread shows, checked by the compiler. */
export function threadMessage(
  notice: NoticeEvent<ThreadEventName>,
  request: DelegationRequest,
  adminGroupIds: readonly string[],
): SlackMessage {
  const admins = adminGroupIds.map(mentionGroup).join(' ');
  switch (notice.event) {
    case 'already_had_access':
      return {
        text: `:information_source: ${escapeMrkdwn(request.granteeEmail)} already had delegate access to ${escapeMrkdwn(request.mailbox)} in Mimecast, so nothing was added.${request.preexisting ? ' That access was not granted by this bot, so it will not be removed when this request ends.' : ''}`,
      };
    case 'reminder':
      return {
        text: `:bell: This request has been waiting since ${slackDate(request.createdAt)}. Approvers, please approve or deny it.`,
      };
    case 'extended':
      return {
        text: `:hourglass_flowing_sand: ${mentionUser(notice.data.by)} extended the access until ${request.expiresAt ? slackDate(request.expiresAt) : 'revoked'}.`,
      };
    case 'removed':
      return { text: `:lock: ${endSentence(request, notice.data)}` };
    case 'removal_failing':
      return {
        text: `:rotating_light: ${admins} Removing ${escapeMrkdwn(request.granteeEmail)}'s delegate access to ${escapeMrkdwn(request.mailbox)} has failed ${notice.data.attempts} times. ${failureExplanation(request.failure)} The bot keeps retrying; remove it by hand in Mimecast if this persists.`,
      };
    case 'provisioned': {
      const until = request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ' until revoked';
      return {
        text: `:white_check_mark: Done: ${grantSentence(request, 'has')}${until}. Mimecast id: \`${escapeMrkdwn(request.mimecastId ?? '')}\``,
      };
    }
    case 'provisioning_failed':
      return {
        text: `:warning: Mimecast did not grant the access. ${failureExplanation(request.failure)}${supportLine(request.failure)}`,
      };
    case 'outcome_unknown': {
      return {
        text: `:rotating_light: ${admins} ${failureExplanation(request.failure)}${supportLine(request.failure)}\nCheck whether ${escapeMrkdwn(request.granteeEmail)} has delegate access to ${escapeMrkdwn(request.mailbox)} in the Mimecast Administration Console.`,
      };
    }
    default:
      return unreachable(notice);
  }
}

/** Direct messages to the requester: one per event the DM shows, checked by the compiler. */
export function requesterMessage(notice: NoticeEvent<DmEventName>, request: DelegationRequest): SlackMessage {
  const id = `*${request.id}*`;
  switch (notice.event) {
    case 'already_had_access':
      return {
        text: `Your request ${id} was approved. You already had delegate access to *${escapeMrkdwn(request.mailbox)}* in Mimecast, so nothing needed to change.`,
      };
    case 'expired':
      return {
        text: `Your request ${id} for delegate access to *${escapeMrkdwn(request.mailbox)}* expired after nobody decided it. Submit a new one with /delegate if you still need access.`,
      };
    case 'extended':
      return {
        text: `Your delegate access to *${escapeMrkdwn(request.mailbox)}* (${id}) was extended by ${mentionUser(notice.data.by)} until ${request.expiresAt ? slackDate(request.expiresAt) : 'revoked'}.`,
      };
    case 'removed':
      return { text: `${endSentence(request, notice.data)} (${id})` };
    case 'submitted': {
      const text = `Your request ${id} is with the approvers: if approved, ${grantSentence(request)} for ${describeDuration(request.durationHours)}. I will tell you here when it is decided.`;
      return { text, blocks: withButton(text, cancelButton(request)) };
    }
    case 'denied':
      return {
        text: `Your request ${id} for delegate access to *${escapeMrkdwn(request.mailbox)}* was denied by ${mentionUser(request.decidedBy ?? '')}.${request.denyReason ? `\nReason: ${escapeMrkdwn(request.denyReason)}` : ''}`,
      };
    case 'provisioned': {
      const until = request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ' until it is revoked';
      const text = `:white_check_mark: Your request ${id} was approved: ${grantSentence(request, 'has')}${until}. Switch to that account in the Mimecast Personal Portal, Mimecast for Outlook or Mimecast Mobile. When you no longer need it, press "I'm done".`;
      return { text, blocks: withButton(text, endAccessButton(request)) };
    }
    case 'provisioning_failed':
      return {
        text: `Your request ${id} was approved, but Mimecast did not grant the access. ${failureExplanation(request.failure)}`,
      };
    case 'outcome_unknown':
      return {
        text: `Your request ${id} was approved, but we could not confirm it in Mimecast. An admin has been asked to check; you do not need to submit it again.`,
      };
    default:
      return unreachable(notice);
  }
}

function unreachable(notice: never): never {
  throw new Error(`no words for notice ${JSON.stringify(notice)}`);
}

/**
 * Instead of "with the approvers" when their card could not be posted (`problem` is Slack's error):
 * the request waits all the same, and approvers can still find it.
 */
export function unseenRequestMessage(request: DelegationRequest, problem: string): SlackMessage {
  const why = isChannelProblem(problem)
    ? `the bot cannot post in the approvers' channel (Slack said \`${problem}\`)`
    : problem === NO_ANSWER
      ? 'Slack did not answer, however often the bot tried'
      : `Slack refused it (\`${escapeMrkdwn(problem)}\`)`;
  const text =
    `Your request *${request.id}* is saved and waiting, but I could not show it to the approvers: ${why}. ` +
    'Please tell your Slack admin or IT team. ' +
    "Until it is fixed, approvers can still decide it from this app's Home tab. I will tell you here when it is decided.";
  return { text, blocks: withButton(text, cancelButton(request)) };
}

/** A private answer after someone's click or command could not be acted on. */
export function decisionRefusal(
  reason: 'not_found' | 'not_approver' | 'own_request' | 'already_decided',
  request?: DelegationRequest,
  format: 'mrkdwn' | 'plain' = 'mrkdwn',
): string {
  const plain = format === 'plain';
  switch (reason) {
    case 'not_found':
      return 'That request no longer exists. Nothing was changed.';
    case 'not_approver':
      return 'Only members of the approver groups can approve or deny delegate access requests. Nothing was changed.';
    case 'own_request':
      return 'You cannot decide your own request: another approver has to. Nothing was changed.';
    case 'already_decided': {
      if (!request) return 'That request has already been decided.';
      // Modal errors are plain text, where mentions and dates would show as raw markup.
      const by = request.decidedBy
        ? ` by ${plain ? 'another approver' : mentionUser(request.decidedBy)}`
        : '';
      const when = request.decidedAt && !plain ? ` on ${slackDate(request.decidedAt)}` : '';
      if (request.status === 'denied')
        return `${request.id} was already denied${by}${when}. Nothing was changed.`;
      if (request.status === 'cancelled')
        return `${request.id} was cancelled by the requester. Nothing was changed.`;
      if (request.status === 'expired')
        return `${request.id} expired without a decision. Nothing was changed.`;
      return `${request.id} was already approved${by}${when}. Nothing was changed.`;
    }
  }
}
