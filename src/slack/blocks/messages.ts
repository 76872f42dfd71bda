import type { ActionsBlockElement, KnownBlock } from '@slack/types';
import type { DriftFinding } from '../../requests/findings.js';
import type { DelegationRequest } from '../../requests/model.js';
import type { DmEventName, NoticeEvent, OwnerEventName, ThreadEventName } from '../../requests/notices.js';
import { progressOf } from '../../requests/policy.js';
import { isEnding } from '../../requests/remove.js';
import * as admin from '../copy/admin.js';
import * as approver from '../copy/approver.js';
import { BACK, describeDuration } from '../copy/common.js';
import * as owner from '../copy/owner.js';
import * as requester from '../copy/requester.js';
import { mentionGroup } from '../mrkdwn.js';
import { IDS } from './ids.js';

export interface SlackMessage {
  /** Always set: it is the notification text and what screen readers and old clients show. */
  text: string;
  blocks?: KnownBlock[];
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
    deny: { type: 'plain_text', text: BACK },
    ...(danger ? { style: 'danger' as const } : {}),
  };
}

/**
 * Approve (behind a dialog that says who gets what, for how long) and Deny: the same pair on the card
 * and on the App Home, so a decision asks the same of an approver wherever it is made.
 */
export function decisionButtons(request: DelegationRequest): Button[] {
  const words = approver.approveButton;
  return [
    {
      type: 'button',
      action_id: IDS.approveAction,
      style: 'primary',
      text: { type: 'plain_text', text: words.label },
      value: request.id,
      confirm: askFirst(
        words.title,
        { full: words.text(request), short: words.short(request) },
        words.confirm,
      ),
    },
    {
      type: 'button',
      action_id: IDS.denyAction,
      style: 'danger',
      text: { type: 'plain_text', text: approver.denyButton.label },
      value: request.id,
    },
  ];
}

/** The requester's "I'm done", in their DM and on their App Home: it removes access, so it asks first. */
export function endAccessButton(request: DelegationRequest): Button {
  const words = requester.endAccessButton;
  return {
    type: 'button',
    action_id: IDS.endAccessAction,
    text: { type: 'plain_text', text: words.label },
    value: request.id,
    confirm: askFirst(words.title, { full: words.text(request), short: words.short }, words.confirm, true),
  };
}

/** The requester's "Cancel request" while it waits; no dialog, since a new request undoes it. */
export function cancelButton(request: DelegationRequest): Button {
  return {
    type: 'button',
    action_id: IDS.cancelAction,
    text: { type: 'plain_text', text: requester.cancelButton.label },
    value: request.id,
  };
}

/**
 * The approvers' card in the approval channel; decision buttons while pending, extend/revoke while
 * granted (neither once a revoke or "I'm done" is waiting for its removal to be retried).
 */
export function requestCard(
  request: DelegationRequest,
  extendChoicesHours: readonly number[] = [],
): SlackMessage {
  const words = approver.card;
  // A request made under a policy rule: its approvals so far and the owner's part.
  const progress = request.route ? progressOf(request, request.route) : undefined;
  const path = progress ? approver.pathLines(request, progress) : [];
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: words.title(request) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: words.requestedBy(request) },
        { type: 'mrkdwn', text: words.duration(request) },
        { type: 'mrkdwn', text: words.grantee(request) },
        { type: 'mrkdwn', text: words.mailbox(request) },
        ...(request.route ? [{ type: 'mrkdwn' as const, text: words.rule(request.route.rule) }] : []),
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: words.ifApproved(request) } },
    { type: 'section', text: { type: 'mrkdwn', text: words.reason(request) } },
    ...(path.length
      ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: path.join('\n') } }]
      : []),
  ];

  if (request.status === 'pending') {
    blocks.push({ type: 'actions', block_id: IDS.decisionBlock, elements: decisionButtons(request) });
  }

  const extendable = extendChoicesHours.filter((hours) => hours > 0);
  // A revoke or "I'm done" being retried is ending: nothing left to extend or revoke.
  if (request.status === 'completed' && !request.preexisting && !isEnding(request)) {
    const revoke = approver.revokeButton;
    blocks.push({
      type: 'actions',
      block_id: IDS.grantBlock,
      elements: [
        ...(request.expiresAt && extendable.length
          ? [
              {
                type: 'static_select' as const,
                action_id: IDS.extendAction,
                placeholder: { type: 'plain_text' as const, text: words.extendPlaceholder },
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
          text: { type: 'plain_text' as const, text: revoke.label },
          value: request.id,
          confirm: askFirst(
            revoke.title,
            { full: revoke.text(request), short: revoke.short },
            revoke.confirm,
            true,
          ),
        },
      ],
    });
  }

  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: approver.cardStatusLine(request, progress) }],
  });
  return { text: words.summary(request), blocks };
}

/** A message's text with one button under it. */
function withButton(text: string, button: Button): KnownBlock[] {
  return [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'actions', elements: [button] },
  ];
}

/** A reply in the card's thread. */
export function threadMessage(
  notice: NoticeEvent<ThreadEventName>,
  request: DelegationRequest,
  adminGroupIds: readonly string[],
): SlackMessage {
  return { text: approver.threadText(notice, request, adminGroupIds.map(mentionGroup).join(' ')) };
}

/** A direct message to the requester; the confirmation carries Cancel, the grant "I'm done". */
export function requesterMessage(notice: NoticeEvent<DmEventName>, request: DelegationRequest): SlackMessage {
  const text = requester.dmText(notice, request);
  if (notice.event === 'submitted') return { text, blocks: withButton(text, cancelButton(request)) };
  if (notice.event === 'provisioned' || notice.event === 'settled') {
    return { text, blocks: withButton(text, endAccessButton(request)) };
  }
  return { text };
}

/**
 * Instead of "with the approvers" when their card could not be posted (`problem` is Slack's error):
 * the request waits all the same, and approvers can still find it.
 */
export function unseenRequestMessage(request: DelegationRequest, problem: string): SlackMessage {
  const text = requester.unseenRequestText(request, problem);
  return { text, blocks: withButton(text, cancelButton(request)) };
}

/**
 * A drift finding in the approvers' channel: who can open what, with a Remove button (admins only,
 * behind a dialog) while it is open; afterwards, what became of it.
 */
export function findingMessage(finding: DriftFinding, adminGroupIds: readonly string[]): SlackMessage {
  const words = admin.findingMessage;
  const summary = words.summary(finding);
  switch (finding.status) {
    case 'open': {
      const text = words.open(finding, adminGroupIds.map(mentionGroup).join(' '));
      const remove = admin.removeFindingButton;
      const button: Button = {
        type: 'button',
        action_id: IDS.removeFindingAction,
        style: 'danger',
        text: { type: 'plain_text', text: remove.label },
        value: finding.id,
        confirm: askFirst(
          remove.title,
          { full: remove.text(finding), short: remove.short },
          remove.confirm,
          true,
        ),
      };
      return {
        text: summary,
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text } },
          { type: 'actions', block_id: IDS.findingBlock, elements: [button] },
        ],
      };
    }
    case 'removing':
      return {
        text: summary,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: words.removing(finding) } }],
      };
    case 'removed':
      return {
        text: summary,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: words.removed(finding) } }],
      };
    case 'gone':
      return {
        text: summary,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: words.gone(finding) } }],
      };
    case 'managed':
      return {
        text: summary,
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: words.managed(finding) } }],
      };
  }
}

/** A direct message to the mailbox's owner; the consent request carries Allow and Refuse. */
export function ownerMessage(notice: NoticeEvent<OwnerEventName>, request: DelegationRequest): SlackMessage {
  const text = owner.ownerText(notice, request);
  if (notice.event !== 'consent_requested') return { text };
  const allow = owner.allowButton;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        block_id: IDS.ownerAnswerBlock,
        elements: [
          {
            type: 'button',
            action_id: IDS.ownerAllowAction,
            style: 'primary',
            text: { type: 'plain_text', text: allow.label },
            value: request.id,
            confirm: askFirst(allow.title, { full: allow.text(request), short: allow.short }, allow.confirm),
          },
          {
            type: 'button',
            action_id: IDS.ownerRefuseAction,
            style: 'danger',
            text: { type: 'plain_text', text: owner.refuseButton.label },
            value: request.id,
          },
        ],
      },
    ],
  };
}

/** The consent request once the owner answered: the same words, the buttons replaced by the answer. */
export function ownerAnsweredMessage(request: DelegationRequest, answer: string): SlackMessage {
  const text = owner.ownerText({ event: 'consent_requested' }, request);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: answer }] },
    ],
  };
}
