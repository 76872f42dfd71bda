/** Words for approvers: the card and its thread, the decision buttons and forms, and their refusals. */
import type { ApproveResult } from '../../requests/decide.js';
import type { ExtendResult } from '../../requests/extend.js';
import type { DelegationRequest } from '../../requests/model.js';
import type { NoticeEvent, ThreadEventName } from '../../requests/notices.js';
import { type Awaited, awaitedOf, type Progress } from '../../requests/policy.js';
import { escapeMrkdwn, escapeWithin, mentionUser, quote, slackDate } from '../mrkdwn.js';
import {
  describeDuration,
  endSentence,
  failureExplanation,
  grantSentence,
  ineligibleBecause,
  mentionList,
  REMOVAL_RETRIED,
  removalFailureExplanation,
  supportLine,
  unknownOutcomeExplanation,
  whyUnconfirmed,
} from './common.js';
import { pendingEndWords, requestLine, stateWords } from './requests.js';

// The card

export const card = {
  title: (request: DelegationRequest) => `Mailbox access request ${request.id}`,
  /** The notification text, and what screen readers and old clients show. */
  summary: (request: DelegationRequest) => `Mailbox access request ${request.id}: ${stateWords(request)}`,
  requestedBy: (request: DelegationRequest) => `*Requested by*\n${mentionUser(request.requesterId)}`,
  duration: (request: DelegationRequest) => `*Duration*\n${describeDuration(request.durationHours)}`,
  grantee: (request: DelegationRequest) => `*Gets access*\n${escapeMrkdwn(request.granteeEmail)}`,
  mailbox: (request: DelegationRequest) => `*Mailbox*\n${escapeMrkdwn(request.mailbox)}`,
  ifApproved: (request: DelegationRequest) =>
    `If approved, ${grantSentence(request)} in Mimecast's apps (archive, held messages, sender lists) for ${describeDuration(request.durationHours)}.`,
  reason: (request: DelegationRequest) => `*Reason*\n${quote(request.reason)}`,
  extendPlaceholder: 'Extend by…',
  /** The policy rule the request was made under. */
  rule: (rule: string) => `*Rule*\n${escapeMrkdwn(rule)}`,
};

/**
 * What the request's rule asks beyond one approval, each as a line of the card: the approvals so far,
 * the owner's part, a grant made at once by the rule. Nothing without a policy file.
 */
export function pathLines(request: DelegationRequest, progress: Progress): string[] {
  const route = request.route;
  if (!route) return [];
  if (route.autoApproved) {
    return [
      `:robot_face: Granted at once by the policy rule *${escapeMrkdwn(route.rule)}* for its requesters: this card is for information. An admin can revoke the access.`,
    ];
  }
  const lines: string[] = [];
  if (progress.needed > 1 || progress.approvals > 1) {
    const who = progress.approvers.length > 0 ? ` (${mentionList(progress.approvers)})` : '';
    lines.push(`*Approvals:* ${progress.approvals} of ${progress.needed}${who}`);
  }
  if (route.owner !== 'none' && !route.ownerId) {
    lines.push(
      ":bust_in_silhouette: No Slack user has this mailbox's address (a shared mailbox, or someone who has left), so the approvers decide alone.",
    );
  } else if (route.owner === 'consent' && route.ownerId) {
    const answer = request.ownerAnswer;
    const state = !answer
      ? 'must allow it too: waiting for their answer'
      : answer.answer === 'allowed'
        ? `allowed it on ${slackDate(answer.at)}`
        : `refused it on ${slackDate(answer.at)}`;
    lines.push(`*Owner:* ${mentionUser(route.ownerId)} ${state}`);
  } else if (route.owner === 'notify' && route.ownerId) {
    lines.push(`*Owner:* ${mentionUser(route.ownerId)} is told of every grant, extension and removal`);
  }
  return lines;
}

/** Who approved: the rule for a grant made at once, else every approver. */
function approvedBy(request: DelegationRequest): string {
  if (request.route?.autoApproved) return `the policy rule *${escapeMrkdwn(request.route.rule)}*`;
  const approvers = request.approvals?.map((approval) => approval.by) ?? [];
  const who = approvers.length > 1 ? mentionList(approvers) : mentionUser(request.decidedBy ?? '');
  return request.decidedAt ? `${who} on ${slackDate(request.decidedAt)}` : who;
}

/** The line under the card that says where the request stands. */
export function cardStatusLine(request: DelegationRequest, progress?: Progress): string {
  const decided = request.decidedBy && request.decidedAt;
  const by = decided ? approvedBy(request) : '';
  switch (request.status) {
    case 'pending':
      if (
        progress &&
        request.route &&
        progress.approvals >= progress.needed &&
        progress.owner === 'waiting'
      ) {
        return `:hourglass_flowing_sand: Approved by ${mentionList(progress.approvers)}; waiting for the mailbox owner's consent · requested ${slackDate(request.createdAt)}`;
      }
      if (progress && request.route && progress.needed > 1) {
        return `:hourglass_flowing_sand: Waiting for approvers (${progress.approvals} of ${progress.needed}) · requested ${slackDate(request.createdAt)}`;
      }
      return `:hourglass_flowing_sand: Waiting for an approver · requested ${slackDate(request.createdAt)}`;
    case 'approved':
    case 'provisioning':
      return `:white_check_mark: Approved by ${by} · granting access in Mimecast…`;
    case 'settling':
      return `:mag: Approved by ${by} · checking in Mimecast whether the access was granted; nobody needs to retry (see thread)`;
    case 'completed': {
      const ending = pendingEndWords(request);
      if (ending) return `:lock: Approved by ${by} · ${ending}`;
      return `:white_check_mark: Approved by ${by} · access granted${request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ''}`;
    }
    case 'failed':
      return `:warning: Approved by ${by} · Mimecast refused it (see thread)`;
    case 'outcome_unknown':
      return `:warning: Approved by ${by} · outcome unknown, an admin must check Mimecast (see thread)`;
    case 'denied': {
      if (request.ineligible) {
        return `:no_entry: Denied by the bot: ${ineligibleBecause(request.ineligible, request, mentionUser(request.requesterId))}`;
      }
      const reason = request.denyReason ? `: ${escapeWithin(request.denyReason, 2000)}` : '';
      if (request.ownerAnswer?.answer === 'refused') {
        return `:no_entry: Refused by the mailbox's owner ${mentionUser(request.ownerAnswer.by)} on ${slackDate(request.ownerAnswer.at)}${reason}`;
      }
      return `:no_entry: Denied by ${by}${reason}`;
    }
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

// Buttons, and what they ask first

export const approveButton = {
  label: 'Approve',
  title: 'Approve this request?',
  text: (request: DelegationRequest) =>
    `${grantSentence(request)} for ${describeDuration(request.durationHours)}.`,
  short: (request: DelegationRequest) =>
    `The person shown above gets delegate access to the mailbox shown above for ${describeDuration(request.durationHours)}.`,
  confirm: 'Approve',
};

export const denyButton = { label: 'Deny' };

export const revokeButton = {
  label: 'Revoke now',
  title: 'Revoke this access?',
  text: (request: DelegationRequest) => `${grantSentence(request, 'no longer')} once Mimecast confirms.`,
  short: 'The delegate access shown above ends once Mimecast confirms.',
  confirm: 'Revoke',
};

/** Deny asks for an optional reason, which the requester will see. */
export const denyForm = {
  title: (request: DelegationRequest) => `Deny ${request.id}`,
  submit: 'Deny request',
  close: 'Back',
  question: (request: DelegationRequest) =>
    `Deny <@${request.requesterId}>'s request for delegate access to *${escapeMrkdwn(request.mailbox)}*?`,
  reasonLabel: 'Reason (the requester sees it)',
};

// The thread

/** A reply in the card's thread for each event the thread shows: a missing or misspelt event does not compile. */
export function threadText(
  notice: NoticeEvent<ThreadEventName>,
  request: DelegationRequest,
  /** The admin groups, as mentions. */
  admins: string,
): string {
  switch (notice.event) {
    case 'already_had_access':
      return `:information_source: ${escapeMrkdwn(request.granteeEmail)} already had delegate access to ${escapeMrkdwn(request.mailbox)} in Mimecast, so nothing was added.${request.preexisting ? ' That access was not granted by this bot, so it will not be removed when this request ends.' : ''}`;
    case 'denied_ineligible': {
      const because = ineligibleBecause(notice.data.reason, request, mentionUser(request.requesterId));
      const approver = notice.data.approver ? mentionUser(notice.data.approver) : 'An approver';
      const when =
        notice.data.stage === 'approval'
          ? `${approver} approved this, but ${because}`
          : `${approver} approved this, but before access was granted ${because}`;
      return `:no_entry: ${when}, so the bot denied the request. Nothing was changed in Mimecast; the requester has been told.`;
    }
    case 'reminder':
      return `:bell: This request has been waiting since ${slackDate(request.createdAt)}. ${awaitedWords(awaitedOf(request))}`;
    case 'extended':
      return `:hourglass_flowing_sand: ${mentionUser(notice.data.by)} extended the access until ${request.expiresAt ? slackDate(request.expiresAt) : 'revoked'}.`;
    case 'removed':
      // Access gone without the bot doing it is for the admins to know about.
      return `:lock: ${notice.data.why === 'removed_outside_bot' ? `${admins} ` : ''}${endSentence(request, notice.data)}`;
    case 'removal_failing':
      return `:rotating_light: ${admins} Removing ${escapeMrkdwn(request.granteeEmail)}'s delegate access to ${escapeMrkdwn(request.mailbox)} has failed ${notice.data.attempts} times. ${removalFailureExplanation(request.failure)} ${REMOVAL_RETRIED} If this persists, remove it by hand in the Mimecast Administration Console.`;
    case 'provisioned': {
      const until = request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ' until revoked';
      const second =
        (request.addAttempt ?? 1) > 1
          ? ' The access was still not in Mimecast after three checks, so the bot added it once more under the same approval.'
          : '';
      return `:white_check_mark: Done: ${grantSentence(request, 'has')}${until}. Mimecast id: \`${escapeMrkdwn(request.mimecastId ?? '')}\`${second}`;
    }
    case 'checking':
      return (
        `:mag: Mimecast did not confirm the grant: ${whyUnconfirmed(request.failure)}. ` +
        `The bot is checking in Mimecast whether ${escapeMrkdwn(request.granteeEmail)} has delegate access to ${escapeMrkdwn(request.mailbox)}: ` +
        'it looks 30 seconds, 2 minutes and 10 minutes after the call, and if the access is still not there it asks Mimecast once more under this approval. ' +
        'This thread will say how it ends. Nobody needs to do anything: please do not add the access by hand or approve a new request for it.' +
        supportLine(request.failure)
      );
    case 'settled': {
      const until = request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ' until revoked';
      return `:white_check_mark: Checked in Mimecast: it went through after all. ${grantSentence(request, 'has')}${until}. Mimecast id: \`${escapeMrkdwn(request.mimecastId ?? '')}\``;
    }
    case 'provisioning_failed':
      return `:warning: Mimecast did not grant the access. ${failureExplanation(request.failure)}${supportLine(request.failure)}`;
    case 'outcome_unknown':
      return `:rotating_light: ${admins} ${unknownOutcomeExplanation(request)}${supportLine(request.failure)}\nCheck whether ${escapeMrkdwn(request.granteeEmail)} has delegate access to ${escapeMrkdwn(request.mailbox)} in the Mimecast Administration Console.`;
    default:
      return unworded(notice);
  }
}

/** Who a reminder asks: the approvers while approvals are missing, the owner alone once they are all in. */
function awaitedWords(awaited: Awaited): string {
  const owner = awaited.ownerId
    ? `the consent of the mailbox's owner, ${mentionUser(awaited.ownerId)}, who was asked by direct message`
    : '';
  if (awaited.approvals === 0) {
    return owner
      ? `Every approval is in: it waits only for ${owner}. Approvers need do nothing more.`
      : 'Approvers, please approve or deny it.';
  }
  const needs =
    awaited.needed > 1 || owner
      ? `It needs ${awaited.approvals} more approval${awaited.approvals === 1 ? '' : 's'}${owner ? ` and ${owner}` : ''}. `
      : '';
  return `${needs}Approvers, please approve or deny it.`;
}

function unworded(notice: never): never {
  throw new Error(`no words for notice ${JSON.stringify(notice)}`);
}

// Answers

/** What the approver hears when their approval is counted but the request still waits. */
export function approvalRecorded(id: string, progress: Progress): string {
  return `Your approval of ${id} is recorded: ${progress.approvals} of ${progress.needed}. ${stillNeeded(progress)}`;
}

function stillNeeded(progress: Progress): string {
  const missing = progress.needed - progress.approvals;
  if (missing > 0) {
    return `It needs ${missing} more approval${missing === 1 ? '' : 's'} from another approver${progress.owner === 'waiting' ? ", and the mailbox owner's consent" : ''}.`;
  }
  return progress.owner === 'waiting'
    ? "Every approval is in: it now waits for the mailbox owner's consent."
    : 'Every approval is in.';
}

/** A private answer after an approve or deny could not be acted on. */
export function decisionRefusal(
  refusal: Extract<ApproveResult, { ok: false }>,
  format: 'mrkdwn' | 'plain' = 'mrkdwn',
): string {
  const plain = format === 'plain';
  switch (refusal.reason) {
    case 'ineligible': {
      const { request } = refusal;
      const requester = plain ? 'the requester' : mentionUser(request.requesterId);
      return `${request.id} was not approved: ${ineligibleBecause(refusal.why, request, requester)}. The bot denied the request instead and told the requester. Nothing was changed in Mimecast.`;
    }
    case 'not_found':
      return 'That request no longer exists. Nothing was changed.';
    case 'not_approver':
      return 'Only members of the approver groups can approve or deny delegate access requests. Nothing was changed.';
    case 'already_approved':
      return `You already approved ${refusal.request.id}: it has ${refusal.progress.approvals} of ${refusal.progress.needed} approvals. ${stillNeeded(refusal.progress)} Nothing was changed.`;
    case 'own_request':
      return 'You cannot decide your own request: another approver has to. Nothing was changed.';
    case 'already_decided': {
      const { request } = refusal;
      // Modal errors are plain text, where mentions and dates would show as raw markup.
      const by = request.decidedBy
        ? ` by ${plain ? 'another approver' : mentionUser(request.decidedBy)}`
        : '';
      const when = request.decidedAt && !plain ? ` on ${slackDate(request.decidedAt)}` : '';
      if (request.status === 'denied' && request.ineligible) {
        const requester = plain ? 'the requester' : mentionUser(request.requesterId);
        return `${request.id} was already denied by the bot: ${ineligibleBecause(request.ineligible, request, requester)}. Nothing was changed.`;
      }
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

/** After a fault of the bot's own while it granted access an approver had approved: the approval stands. */
export const approvedButBroken = (id: string) =>
  `Your approval of *${id}* is recorded, but the bot hit an error of its own while granting the access. ` +
  `Do not approve it again. Check \`/delegate status ${id}\` in a few minutes; if it is not granted by then, tell your IT team.`;

export function extendRefusal(
  reason: Extract<ExtendResult, { ok: false }>['reason'],
  request?: DelegationRequest,
): string {
  switch (reason) {
    case 'not_found':
      return 'That request no longer exists.';
    case 'not_approver':
      return 'Only approvers can extend access. Nothing was changed.';
    case 'own_request':
      return 'You cannot extend your own access: another approver has to.';
    case 'bad_duration':
      return 'That is not one of the offered durations. Nothing was changed.';
    case 'not_extendable':
      // Removed or being removed meanwhile (a revoke, the expiry, "I'm done"): never brought back.
      if (request?.status === 'removing')
        return `${request.id} can no longer be extended: its access is being removed. Nothing was changed.`;
      if (request?.status === 'removed')
        return `${request.id} can no longer be extended: its access has ended. Nothing was changed.`;
      return 'Only active, time-bound access can be extended. Nothing was changed.';
    case 'ending': {
      const how = request?.endReason === 'revoked' ? 'was revoked' : 'was ended by the grantee';
      return `${request?.id ?? 'This access'} can no longer be extended: it ${how}, and the bot keeps retrying its removal in Mimecast. Nothing was changed; if access is still needed, the grantee can request it again.`;
    }
    case 'changed_meanwhile':
      return 'The access changed while you extended it, so nothing was changed. Look at the card and try again.';
  }
}

// App Home

/** `· rule executives, 1 of 2 approvals` for a request made under a policy rule. */
export function ruleNote(request: DelegationRequest): string {
  if (!request.route) return '';
  const count = request.approvals?.length ?? 0;
  const approvals = request.route.approvals > 1 ? `, ${count} of ${request.route.approvals} approvals` : '';
  return ` · rule *${escapeMrkdwn(request.route.rule)}*${approvals}`;
}

export const queue = {
  title: 'Waiting for your decision',
  empty: 'Nothing is waiting. :tada:',
  line: (request: DelegationRequest) =>
    `${requestLine(request)}\nRequested by ${mentionUser(request.requesterId)} for ${describeDuration(request.durationHours)}: _${escapeWithin(request.reason, 300)}_${ruleNote(request)}`,
  /** The queue lists the newest requests first (the store's order); the older ones are left off. */
  more: (count: number) =>
    `…and ${count} more, older than these: the newest are shown first. Decide the older ones from their cards in the approvers' channel, or decide these to see them here.`,
};
