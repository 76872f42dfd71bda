/**
 * Words everyone may read: statuses, durations, the grant sentence, failures explained, and the
 * answers every surface shares. All user-facing text of the bot lives in this folder, by audience
 * (requester.ts, approver.ts, admin.ts); the block builders and listeners take their words from here.
 */
import type { OpenRequestRef } from '../../requests/limits.js';
import type { DelegationRequest, Failure, IneligibleReason, RequestStatus } from '../../requests/model.js';
import type { NoticeData } from '../../requests/notices.js';
import type { EndResult } from '../../requests/remove.js';
import { escapeMrkdwn, mentionGroup, mentionUser } from '../mrkdwn.js';

export const SOMETHING_WENT_WRONG =
  'Something went wrong on our side and nothing was changed. Please try again in a minute; if it keeps happening, tell your IT team.';

/** When a modal could not open because its trigger ran out (see isLateTrigger). */
export const lateTrigger = (again: string) =>
  `Slack gives an app 3 seconds to open a form, and the bot was slower than that this time, so nothing opened and nothing was changed. Please ${again} again.`;

/** A button whose value is not a request id (forged, or from a version of the bot that is gone). */
export const BUTTON_WITHOUT_REQUEST =
  'That button does not name a valid request. Nothing was changed. Use the buttons on the latest message, or `/delegate status DR-…`.';

/** A request id typed in a command that names no request (said to those who may see every request). */
export const noSuchRequest = (id: string) =>
  `There is no request ${id}. Check the id in your confirmation message.`;

/**
 * A request id typed by someone who may see only their own requests, and that is not one of theirs:
 * the same words whether the id exists or not, so trying ids tells nobody which exist.
 */
export const noRequestOfYours = (id: string) =>
  `You have no request ${id}. You can see only your own requests: check the id in your confirmation message, or see them all with \`/delegate list\`.`;

/** Characters that Slack would show as formatting, said in words for the form's errors. */
export const FORMATTING_CHARACTERS = '*, ~, ` or an _ that is not between two letters or digits';

/** A person's open requests, one per line, for the refusal at MAX_OPEN_REQUESTS. */
export function openRequestLines(open: readonly OpenRequestRef[]): string {
  return open.map((request) => `• ${request.id}: ${escapeMrkdwn(request.mailbox)}`).join('\n');
}

/** The same, on one line, for the form's plain-text errors. */
export function openRequestsInline(open: readonly OpenRequestRef[]): string {
  return open.map((request) => `${request.id} (${request.mailbox})`).join(', ');
}

/**
 * Why the bot denied a request itself, in the approvers' words (`requester` names the requester as a
 * mention, or in words where mentions do not show).
 */
export function ineligibleBecause(
  reason: IneligibleReason,
  request: DelegationRequest,
  requester: string,
): string {
  const grantee = escapeMrkdwn(request.granteeEmail);
  switch (reason) {
    case 'not_requester':
      return `${requester} is no longer in a group that may request delegate access`;
    case 'not_rule_requester':
      return `${requester} is no longer in ${ruleGroupsWords(request)}`;
    case 'deactivated':
      return `${requester}'s Slack account has been deactivated`;
    case 'email_changed':
      return `${requester}'s Slack profile email is no longer ${grantee}, the address this request grants access to`;
    case 'grantee_not_allowed':
      return `${grantee} is no longer in an email domain this bot may grant access to`;
    case 'unconfirmed':
      return `the bot could not confirm with Slack that ${requester} may still get this access (Slack did not answer)`;
  }
}

/**
 * The groups a request's policy rule takes requests from, named: "<!subteam^S…>, the group the policy
 * rule *x* takes these requests from" (Slack shows each group's handle).
 */
export function ruleGroupsWords(request: DelegationRequest): string {
  const groups = request.route?.requesterGroupIds ?? [];
  const rule = `the policy rule *${escapeMrkdwn(request.route?.rule ?? '')}*`;
  if (groups.length === 1)
    return `${mentionGroup(groups[0] ?? '')}, the group ${rule} takes these requests from`;
  return `any of ${listWords(groups.map(mentionGroup))}, the groups ${rule} takes these requests from`;
}

/** A command that needs a request id and got none that reads as one. */
export const giveRequestId = (usage: string) => `Give a request id, like \`/delegate ${usage} DR-7KQ2M9\`.`;

/** The "Back" of every confirmation dialog. */
export const BACK = 'Back';

export function describeDuration(hours: number): string {
  if (hours === 0) return 'until revoked';
  if (hours % 24 === 0) {
    const days = hours / 24;
    return days === 1 ? '1 day' : `${days} days`;
  }
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

/** A duration as a choice in a menu. */
export function durationChoice(hours: number): string {
  return hours === 0 ? 'Until revoked' : describeDuration(hours);
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
  settling: 'Approved: checking in Mimecast whether the access was granted…',
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

/** What a person can do about a failed Mimecast add, in plain words (removals: removalFailureExplanation). */
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

/** Why an add's outcome is unknown, in a few words: "Mimecast did not confirm the grant: …". */
export function whyUnconfirmed(failure: Failure | undefined): string {
  switch (failure?.kind) {
    case 'interrupted':
      return 'the bot stopped while Mimecast was being called';
    case 'unexpected_response':
      return 'Mimecast answered in a way the bot could not read';
    case 'server_error':
      return 'Mimecast answered with an error of its own after it had received the request';
    default:
      return 'no answer came back (a timeout or a lost connection)';
  }
}

/**
 * The final word on an unknown outcome, for the admins: what happened to the add, then why the bot
 * could not settle it itself (a refused search, or a second add as unclear as the first).
 */
export function unknownOutcomeExplanation(request: DelegationRequest): string {
  const { failure } = request;
  const first =
    failure?.kind === 'server_error'
      ? 'Outcome unknown: Mimecast answered with an error of its own after it had received the request, so the access may or may not exist. An admin must check in Mimecast before anyone retries.'
      : failureExplanation(failure);
  const lines = [first];
  if (request.settleProblem)
    lines.push(`The bot could not check it itself: ${searchProblem(request.settleProblem)}`);
  if ((request.addAttempt ?? 1) > 1) {
    lines.push(
      'The bot had checked three times without finding the access, so it asked Mimecast once more under the same approval; that answer could not be confirmed either.',
    );
  }
  return lines.join('\n');
}

/** Why a search of Mimecast did not answer the question. */
export function searchProblem(problem: Failure): string {
  switch (problem.kind) {
    case 'permission':
      return "Mimecast refused the search: the bot's Mimecast account may not read delegates.";
    case 'not_found':
      return 'Mimecast\'s delegate search is not available for this account (it answered "not found").';
    case 'authentication':
      return "Mimecast refused the bot's credentials for the search.";
    case 'binding_expired':
      return "the bot's Mimecast API keys have expired; an admin must re-issue them.";
    case 'validation':
      return `Mimecast refused the search${problem.message ? `: ${escapeMrkdwn(problem.message)}` : ' (the address may no longer exist in Mimecast)'}.`;
    case 'unexpected_response':
      return 'Mimecast answered the search in a way the bot could not read.';
    default:
      return 'Mimecast did not answer the last search (it was busy or out of reach).';
  }
}

/**
 * What went wrong when Mimecast did not remove a right, and whether the access is still there; the
 * caller says what happens next (REMOVAL_RETRIED).
 */
export function removalFailureExplanation(failure: Failure | undefined): string {
  switch (failure?.kind) {
    case 'validation':
      return `Mimecast refused the removal${failure.message ? `: ${escapeMrkdwn(failure.message)}` : ''}. The access is still there.`;
    case 'authentication':
      return "Mimecast refused the bot's API credentials, so the access is still there. An admin must check MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET (or the API 1.0 keys).";
    case 'permission':
      return "The bot's Mimecast account may not remove delegates. An admin must give it the Directories | Internal | Create Alternate Address permission.";
    case 'binding_expired':
      return "The bot's Mimecast API keys have expired, so the access is still there. An admin must re-issue them.";
    case 'rate_limited':
      return 'Mimecast is limiting how fast the bot may call it; the access is still there.';
    case 'not_found':
      return 'Mimecast answered "not found", but the bot could not confirm that the access is gone; it may still be there.';
    default:
      return 'Mimecast did not confirm the removal; the access may still be there.';
  }
}

/** What happens next to a grant whose removal failed: the sweep retries every failed removal until it is done. */
export const REMOVAL_RETRIED = 'The bot keeps retrying.';

/** Mimecast's own request id, for a support case. */
export function supportLine(failure: Failure | undefined): string {
  return failure?.requestId
    ? `\nMimecast request id for support: \`${escapeMrkdwn(failure.requestId)}\``
    : '';
}

/** How a grant ended, for the thread and the grantee's DM. */
export function endSentence(request: DelegationRequest, data: NoticeData<'removed'>): string {
  const grantee = `*${escapeMrkdwn(request.granteeEmail)}*`;
  const mailbox = `*${escapeMrkdwn(request.mailbox)}*`;
  if (data.why === 'removed_outside_bot') {
    return `${grantSentence(request, 'no longer')}: it was removed in Mimecast outside this bot (a check against Mimecast no longer found it), so this grant is marked as ended.`;
  }
  const why =
    data.why === 'expired'
      ? 'it expired'
      : data.why === 'revoked'
        ? `${mentionUser(request.endedBy ?? '')} revoked it`
        : 'the grantee ended it';
  if (typeof data.coveredBy === 'string') {
    return `This grant ended (${why}), but ${grantee} keeps delegate access to ${mailbox} under ${data.coveredBy}.`;
  }
  if (request.preexisting) {
    return `This grant ended (${why}). ${grantee} had delegate access to ${mailbox} before this request, so it was left in place in Mimecast.`;
  }
  return `${grantSentence(request, 'no longer')}: ${why}.`;
}

/** What the person who ended or revoked access is told when it did not happen. */
export function removalProblem(
  result: Extract<EndResult, { ok: false }>,
  id: string,
  verb: 'end' | 'revoke',
): string {
  switch (result.reason) {
    case 'removal_failed':
      return `Mimecast did not remove the access for ${id} yet: ${removalFailureExplanation(result.failure)} ${REMOVAL_RETRIED}`;
    case 'not_active':
      if (result.request.status === 'removing')
        return `${id}'s access is already being removed. Nothing else was done.`;
      return `${id} has no active access to ${verb} (status: ${statusWords(result.request.status)}). Nothing was changed.`;
    case 'not_found':
      return `There is no request ${id}.`;
  }
}

/** "<@A>, <@B> and <@C>". */
export function mentionList(userIds: readonly string[]): string {
  const mentions = userIds.map(mentionUser);
  if (mentions.length <= 1) return mentions.join('');
  return `${mentions.slice(0, -1).join(', ')} and ${mentions.at(-1)}`;
}

/** "a, b or c". */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
