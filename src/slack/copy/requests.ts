/**
 * Where a request stands, in words everyone may read: its status, an end still being retried, one
 * line for lists, and everything about it for `/delegate status`.
 */
import type { DelegationRequest } from '../../requests/model.js';
import { pendingEnd } from '../../requests/remove.js';
import { escapeMrkdwn, mentionUser, slackDate } from '../mrkdwn.js';
import {
  describeDuration,
  failureExplanation,
  ineligibleBecause,
  mentionList,
  statusWords,
  unknownOutcomeExplanation,
  whyUnconfirmed,
} from './common.js';

/**
 * An end that was asked for and has not happened yet (a revoke, "I'm done" or the expiry whose removal
 * from Mimecast failed or was interrupted; the bot retries it): who ended it, and that the bot is
 * retrying. Undefined for anything else.
 */
export function pendingEndWords(request: DelegationRequest): string | undefined {
  const end = pendingEnd(request);
  if (!end) return undefined;
  const what =
    end.why === 'revoked'
      ? `Revoked by ${mentionUser(end.by)}`
      : end.why === 'ended_by_grantee'
        ? 'Ended by the grantee'
        : 'Its time is up';
  const how = request.removalAttempts
    ? 'removal from Mimecast failed'
    : 'removal from Mimecast was interrupted';
  const next = request.nextRemovalAt ? ` (next try ${slackDate(request.nextRemovalAt)})` : '';
  return `${what}; ${how}, the bot is retrying${next}. The access works until Mimecast removes it.`;
}

/** Where a request stands, in a few words: its status, or an end still being retried. */
export function stateWords(request: DelegationRequest): string {
  return pendingEnd(request) ? 'Access being removed: the bot is retrying' : statusWords(request.status);
}

/** One line per request, for lists: id, who gets what, and where it stands. */
export function requestLine(request: DelegationRequest): string {
  const what = `${escapeMrkdwn(request.granteeEmail)} → ${escapeMrkdwn(request.mailbox)}`;
  let state = statusWords(request.status);
  const ending = pendingEndWords(request);
  if (ending) {
    state = `Being removed: ${ending}`;
  } else if (request.status === 'completed') {
    state = request.expiresAt
      ? `Access granted until ${slackDate(request.expiresAt)}`
      : 'Access granted until revoked';
  }
  return `\`${request.id}\` ${what} · ${state}`;
}

/** A titled list of requests, at most `max` of them. */
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

/** Everything about one request, for `/delegate status` (its requester, approvers and admins). */
export function requestDetails(request: DelegationRequest): string {
  const lines = [
    `*${request.id}*: ${stateWords(request)}`,
    `• ${escapeMrkdwn(request.granteeEmail)} → delegate access to ${escapeMrkdwn(request.mailbox)}, ${describeDuration(request.durationHours)}`,
    `• Requested by ${mentionUser(request.requesterId)} on ${slackDate(request.createdAt)}`,
  ];
  if (request.route) {
    const approvals = request.approvals ?? [];
    lines.push(
      `• Policy rule *${escapeMrkdwn(request.route.rule)}*: ${approvals.length} of ${request.route.approvals} approval${request.route.approvals === 1 ? '' : 's'}${approvals.length ? ` (${mentionList(approvals.map((a) => a.by))})` : ''}`,
    );
  }
  if (request.decidedBy && request.decidedAt) {
    // A request the bot denied as ineligible after an approval keeps its approver.
    const verb = request.status === 'denied' && !request.ineligible ? 'Denied' : 'Approved';
    const who = request.decidedBy.startsWith('policy:')
      ? `the policy rule *${escapeMrkdwn(request.decidedBy.slice('policy:'.length))}*`
      : mentionUser(request.decidedBy);
    lines.push(`• ${verb} by ${who} on ${slackDate(request.decidedAt)}`);
  }
  if (request.ineligible) {
    lines.push(
      `• Denied by the bot: ${ineligibleBecause(request.ineligible, request, mentionUser(request.requesterId))}`,
    );
  }
  if (request.grantedAt) lines.push(`• Granted on ${slackDate(request.grantedAt)}`);
  if (request.expiresAt && (request.status === 'completed' || request.status === 'removing')) {
    lines.push(`• Ends on ${slackDate(request.expiresAt)}`);
  }
  if (request.endedAt && request.status === 'removed') lines.push(`• Ended on ${slackDate(request.endedAt)}`);
  const ending = pendingEndWords(request);
  if (ending) lines.push(`• ${ending}`);
  if (request.status === 'settling') {
    lines.push(
      `• Mimecast did not confirm the grant (${whyUnconfirmed(request.failure)}); the bot is checking whether it went through. Nobody needs to retry.`,
    );
  }
  if (request.failure && request.status === 'failed') lines.push(`• ${failureExplanation(request.failure)}`);
  if (request.status === 'outcome_unknown') {
    lines.push(`• ${unknownOutcomeExplanation(request).replaceAll('\n', '\n• ')}`);
  }
  return lines.join('\n');
}
