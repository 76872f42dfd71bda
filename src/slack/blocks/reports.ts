import type { KnownBlock } from '@slack/types';
import { type AuditEvent, type DelegationRequest, describeDuration } from '../../requests/model.js';
import { clip, escapeMrkdwn, escapeWithin, mentionUser, slackDate } from '../mrkdwn.js';
import {
  cancelButton,
  decisionButtons,
  endAccessButton,
  failureExplanation,
  statusWords,
} from './messages.js';

/** One line per request, for lists: id, who gets what, and where it stands. */
export function requestLine(request: DelegationRequest): string {
  const what = `${escapeMrkdwn(request.granteeEmail)} → ${escapeMrkdwn(request.mailbox)}`;
  let state = statusWords(request.status);
  if (request.status === 'completed') {
    state = request.expiresAt
      ? `Access granted until ${slackDate(request.expiresAt)}`
      : 'Access granted until revoked';
  }
  return `\`${request.id}\` ${what} · ${state}`;
}

export function requestList(
  title: string,
  requests: readonly DelegationRequest[],
  empty: string,
  max = 30,
): string {
  if (requests.length === 0) return `*${title}*\n${empty}`;
  const lines = requests.slice(0, max).map(requestLine);
  const more = requests.length > max ? `\n…and ${requests.length - max} more.` : '';
  return `*${title}* (${requests.length})\n${lines.join('\n')}${more}`;
}

/** Everything about one request, for /delegate status. */
export function requestDetails(request: DelegationRequest): string {
  const lines = [
    `*${request.id}*: ${statusWords(request.status)}`,
    `• ${escapeMrkdwn(request.granteeEmail)} → delegate access to ${escapeMrkdwn(request.mailbox)}, ${describeDuration(request.durationHours)}`,
    `• Requested by ${mentionUser(request.requesterId)} on ${slackDate(request.createdAt)}`,
  ];
  if (request.decidedBy && request.decidedAt) {
    const verb = request.status === 'denied' ? 'Denied' : 'Approved';
    lines.push(`• ${verb} by ${mentionUser(request.decidedBy)} on ${slackDate(request.decidedAt)}`);
  }
  if (request.grantedAt) lines.push(`• Granted on ${slackDate(request.grantedAt)}`);
  if (request.expiresAt && (request.status === 'completed' || request.status === 'removing')) {
    lines.push(`• Ends on ${slackDate(request.expiresAt)}`);
  }
  if (request.endedAt && request.status === 'removed') lines.push(`• Ended on ${slackDate(request.endedAt)}`);
  if (request.failure && ['failed', 'outcome_unknown'].includes(request.status)) {
    lines.push(`• ${failureExplanation(request.failure)}`);
  }
  return lines.join('\n');
}

export function auditLines(events: readonly AuditEvent[], max = 40): string {
  if (events.length === 0) return 'No audit events match.';
  const shown = events.slice(-max);
  const lines = shown.map((event) => {
    const move =
      event.fromStatus || event.toStatus ? ` (${event.fromStatus ?? '–'} → ${event.toStatus ?? '–'})` : '';
    const who = event.actor === 'system' ? 'the bot' : mentionUser(event.actor);
    const request = event.requestId ? `\`${event.requestId}\` ` : '';
    return `#${event.seq} ${slackDate(event.at)} ${request}${escapeMrkdwn(event.action)}${move} by ${who}`;
  });
  const earlier =
    events.length > max ? `${events.length - max} earlier events not shown; use npm run audit:export.\n` : '';
  return `${earlier}${lines.join('\n')}`;
}

export interface HomeInput {
  userId: string;
  mine: readonly DelegationRequest[];
  /** Pending requests the user may decide, when they are an approver. */
  queue?: readonly DelegationRequest[];
}

const HOME_LIST_MAX = 15;

/** The App Home tab: your requests and grants, and for approvers the queue with the card's buttons. */
export function homeView(input: HomeInput): { type: 'home'; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Mailbox delegate access' } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: 'Use `/delegate` to ask for access to a mailbox in Mimecast. `/delegate help` lists every command.',
      },
    },
    { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: 'Your requests and access' } },
  ];
  if (input.mine.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'You have no requests yet.' } });
  }
  for (const request of input.mine.slice(0, HOME_LIST_MAX)) {
    const section: KnownBlock = {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(requestLine(request), 3000) },
    };
    if (request.status === 'pending') {
      section.accessory = cancelButton(request);
    } else if (request.status === 'completed' && !request.preexisting) {
      section.accessory = endAccessButton(request);
    }
    blocks.push({ ...section, block_id: `mine:${request.id}` });
  }

  if (input.queue) {
    blocks.push(
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: 'Waiting for your decision' } },
    );
    if (input.queue.length === 0) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'Nothing is waiting. :tada:' } });
    }
    for (const request of input.queue.slice(0, HOME_LIST_MAX)) {
      blocks.push(
        {
          type: 'section',
          block_id: `queue:${request.id}`,
          text: {
            type: 'mrkdwn',
            text: clip(
              `${requestLine(request)}\nRequested by ${mentionUser(request.requesterId)} for ${describeDuration(request.durationHours)}: _${escapeWithin(request.reason, 300)}_`,
              3000,
            ),
          },
        },
        { type: 'actions', block_id: `decide:${request.id}`, elements: decisionButtons(request) },
      );
    }
    if (input.queue.length > HOME_LIST_MAX) {
      blocks.push({
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `…and ${input.queue.length - HOME_LIST_MAX} more: see \`/delegate pending\`.`,
          },
        ],
      });
    }
  }
  return { type: 'home', blocks };
}
