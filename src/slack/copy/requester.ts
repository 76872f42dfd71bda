/** Words for the person asking: the form, its errors, their DMs, and answers to their own commands. */
import type { CancelResult } from '../../requests/cancel.js';
import type { GranteeProblem } from '../../requests/eligibility.js';
import type { OpenRequestsFull } from '../../requests/limits.js';
import type { DelegationRequest, IneligibleReason } from '../../requests/model.js';
import type { DmEventName, NoticeEvent } from '../../requests/notices.js';
import type {
  FormPath,
  MailboxProblem,
  RequestFormResult,
  SubmissionErrors,
  SubmissionField,
} from '../../requests/submit.js';
import { isChannelProblem, NO_ANSWER } from '../errors.js';
import { channelLink, escapeMrkdwn, mentionUser, slackDate } from '../mrkdwn.js';
import {
  describeDuration,
  durationChoice,
  endSentence,
  FORMATTING_CHARACTERS,
  failureExplanation,
  grantSentence,
  listWords,
  openRequestLines,
  openRequestsInline,
  ruleGroupsWords,
  statusWords,
} from './common.js';
import { requestList } from './requests.js';

// The request form

export const requestForm = {
  title: 'Request mailbox access',
  submit: 'Submit request',
  close: 'Cancel',
  /** Says plainly who gets access to what, and what it does and does not change. */
  intro: (granteeEmail: string, mailbox: string | undefined) =>
    `You (*${escapeMrkdwn(granteeEmail)}*) will get delegate access to ${mailbox ? `*${escapeMrkdwn(mailbox)}*` : 'the mailbox you enter below'} in Mimecast's apps ` +
    '(Personal Portal, Mimecast for Outlook, Mimecast Mobile): its archived mail, held messages and sender lists. ' +
    'It does not change Outlook or Exchange permissions.',
  mailboxLabel: 'Mailbox you need access to',
  mailboxHint: 'The email address of the mailbox, like sales@example.com.',
  mailboxPlaceholder: 'sales@example.com',
  reasonLabel: 'Why do you need access?',
  reasonHint: 'The approver sees this. Mention a ticket if there is one.',
  durationLabel: 'For how long?',
  /** Under the form: who decides a request for the mailbox entered (its policy rule's path). */
  whoDecides: (path: FormPath) => {
    if (path.refusal) return `:no_entry: ${mailboxProblemText(path.refusal)}`;
    if (path.autoApprove) {
      return "This mailbox's policy grants your request at once, without waiting for an approver. You will get a direct message when it is done.";
    }
    const approvers =
      path.approvals === 1
        ? `An approver in ${channelLink(path.channelId)} decides.`
        : `${path.approvals} approvers in ${channelLink(path.channelId)} must approve.`;
    const owner =
      path.owner === 'consent'
        ? " The mailbox's owner is asked too, and must allow it."
        : path.owner === 'notify'
          ? " The mailbox's owner is told when access is granted."
          : '';
    return `${approvers}${owner} You will get a direct message with the outcome.`;
  },
  /** Pressing Enter in the mailbox field shows what its rule offers. */
  mailboxDispatchHint:
    'The address of the mailbox, like sales@example.com. Press Enter to see what it allows.',
};

/** Why `/delegate` did not open the form. */
export function requestFormRefusal(refusal: Extract<RequestFormResult, { ok: false }>): string {
  switch (refusal.reason) {
    case 'grantee_not_allowed':
      return `${granteeProblemText(refusal.problem, 'mrkdwn')} No request was started.`;
    case 'not_requester':
      return (
        'You are not in a group that may request mailbox delegate access, so no request was started. ' +
        'If you need access, ask your IT team to add you to the requesters group.'
      );
    case 'no_profile_email':
      return (
        'Your Slack profile has no email address, so Mimecast cannot know who you are. ' +
        'Ask your Slack admin to add your email to your profile, then try again.'
      );
  }
}

/**
 * What the request form turns into when the person already has as many open requests as they may
 * (checked while it opened); the same words answer `/delegate` when the form could not open.
 */
export const openRequestsFull = {
  title: 'Too many open requests',
  close: 'Close',
  text: (full: OpenRequestsFull) =>
    `You already have ${full.open.length} open requests, the most one person may have (${full.limit}), so no request was started:\n` +
    `${openRequestLines(full.open)}\n` +
    'Cancel one you no longer need with `/delegate cancel DR-…`, or wait until one is decided, then run `/delegate` again.',
};

/** Why the address that would get access (the person's own profile email) cannot. */
function granteeProblemText(problem: GranteeProblem, format: 'mrkdwn' | 'plain'): string {
  const email = format === 'mrkdwn' ? `*${escapeMrkdwn(problem.granteeEmail)}*` : problem.granteeEmail;
  if (problem.code === 'grantee_domain_not_allowed') {
    return (
      `Access would go to your Slack profile email, ${email}, and only addresses in ` +
      `${listWords(problem.allowedDomains.map((d) => `@${d}`))} can be given access here. ` +
      'Ask your Slack admin to put your work email on your Slack profile, then try again.'
    );
  }
  return (
    `Access would go to your Slack profile email, ${email}, which Slack would show differently from the address granted ` +
    `(it has ${FORMATTING_CHARACTERS}). Ask your IT team to help: the bot cannot show approvers exactly who would get access.`
  );
}

/** What the form shows under each field the requester has to fix. */
export function submissionErrorText(errors: SubmissionErrors): Partial<Record<SubmissionField, string>> {
  const text: Partial<Record<SubmissionField, string>> = {};
  if (errors.mailbox) text.mailbox = mailboxProblemText(errors.mailbox);
  if (errors.reason) {
    const problem = errors.reason;
    text.reason =
      problem.code === 'too_short'
        ? 'Say why you need access, so the approver can decide.'
        : `Keep the reason under ${problem.max} characters (it has ${problem.length}).`;
  }
  if (errors.duration) {
    const offered = errors.duration.offeredHours;
    text.duration = offered
      ? `Choose one of the offered durations. For this mailbox: ${listWords(offered.map(durationChoice))}.`
      : 'Choose one of the offered durations.';
  }
  return text;
}

/** What is wrong with the mailbox field, in words for the form (plain text: no mentions). */
export function mailboxProblemText(problem: MailboxProblem): string {
  switch (problem.code) {
    case 'missing':
      return 'Enter the address of the mailbox you need access to.';
    case 'invalid':
      return 'That is not a valid email address. Enter it like sales@example.com.';
    case 'domain_not_allowed':
      return `Only mailboxes in ${listWords(problem.allowedDomains.map((d) => `@${d}`))} can be requested here.`;
    case 'not_requester':
      return 'You are not in a group that may request delegate access. Ask your IT team to add you if you need it.';
    case 'no_profile_email':
      return 'Your Slack profile has no email address, so we cannot tell Mimecast who you are. Ask your Slack admin to add it.';
    case 'own_mailbox':
      return 'That is your own mailbox: you already have access to it.';
    case 'sub_addressed':
      return subAddressedText(problem.mailbox, problem.plain);
    case 'duplicate':
      return `You already have a request for ${problem.mailbox} waiting (${problem.pendingId}). Use /delegate status ${problem.pendingId} to follow it.`;
    case 'denied_by_rule':
      return problem.text;
    case 'needs_group':
      return `Requests for this mailbox are taken only from members of ${listWords(problem.groups)}. Ask to join that group if you need this access.`;
    case 'formatting_characters':
      return (
        `Slack would show this address differently from the one that gets access (it has ${FORMATTING_CHARACTERS}), ` +
        'so it cannot be requested here. Check the address; if it is right, ask your IT team to grant it in Mimecast.'
      );
    case 'grantee_domain_not_allowed':
    case 'grantee_formatting':
      return granteeProblemText(problem, 'plain');
    case 'too_many_open':
      return (
        `You already have ${problem.open.length} open requests, the most one person may have (${problem.limit}): ` +
        `${openRequestsInline(problem.open)}. Cancel one you no longer need with /delegate cancel, or wait until one is decided.`
      );
    case 'form_already_used':
      return 'This form was already submitted. Close it and run /delegate to make a new request.';
  }
}

/** What the form turns into once the request is recorded. */
export const requestSent = {
  title: 'Request sent',
  close: 'Done',
  text: (request: DelegationRequest) =>
    request.route?.autoApproved
      ? `Your request *${request.id}* was approved at once by this mailbox's policy: *${escapeMrkdwn(request.granteeEmail)}* will get ` +
        `delegate access to *${escapeMrkdwn(request.mailbox)}* for ${describeDuration(request.durationHours)}.\n` +
        `You will get a direct message when it is granted. Follow it with \`/delegate status ${request.id}\`.`
      : `Your request *${request.id}* is with the approvers${pathNote(request)}: *${escapeMrkdwn(request.granteeEmail)}* will get ` +
        `delegate access to *${escapeMrkdwn(request.mailbox)}* for ${describeDuration(request.durationHours)} if approved.\n` +
        `You will get a direct message when it is decided. Follow it with \`/delegate status ${request.id}\`.`,
};

/** " (2 approvals needed; the mailbox's owner is asked too)", for a request whose rule asks more than one approval. */
function pathNote(request: DelegationRequest): string {
  const route = request.route;
  if (!route) return '';
  const parts = [
    ...(route.approvals > 1 ? [`${route.approvals} approvals needed`] : []),
    ...(route.owner === 'consent' && route.ownerId ? ["the mailbox's owner is asked too"] : []),
  ];
  return parts.length ? ` (${parts.join('; ')})` : '';
}

// Direct messages

/** The requester's DM for each event the DM shows: a missing or misspelt event does not compile. */
export function dmText(notice: NoticeEvent<DmEventName>, request: DelegationRequest): string {
  const id = `*${request.id}*`;
  switch (notice.event) {
    case 'already_had_access':
      return `Your request ${id} was approved. You already had delegate access to *${escapeMrkdwn(request.mailbox)}* in Mimecast, so nothing needed to change.`;
    case 'expired':
      return `Your request ${id} for delegate access to *${escapeMrkdwn(request.mailbox)}* expired after nobody decided it. Submit a new one with /delegate if you still need access.`;
    case 'extended':
      return `Your delegate access to *${escapeMrkdwn(request.mailbox)}* (${id}) was extended by ${mentionUser(notice.data.by)} until ${request.expiresAt ? slackDate(request.expiresAt) : 'revoked'}.`;
    case 'removed':
      return `${endSentence(request, notice.data)} (${id})${notice.data.why === 'removed_outside_bot' ? ' If you still need it, submit a new request with /delegate.' : ''}`;
    case 'submitted':
      return `Your request ${id} is with the approvers${pathNote(request)}: if approved, ${grantSentence(request)} for ${describeDuration(request.durationHours)}. I will tell you here when it is decided.`;
    case 'denied': {
      const reason = request.denyReason ? `\nReason: ${escapeMrkdwn(request.denyReason)}` : '';
      if (request.ownerAnswer?.answer === 'refused') {
        return `Your request ${id} for delegate access to *${escapeMrkdwn(request.mailbox)}* was refused by the mailbox's owner, ${mentionUser(request.ownerAnswer.by)}.${reason}`;
      }
      return `Your request ${id} for delegate access to *${escapeMrkdwn(request.mailbox)}* was denied by ${mentionUser(request.decidedBy ?? '')}.${reason}`;
    }
    case 'denied_ineligible': {
      const { because, todo } = ineligibleForYou(notice.data.reason, request);
      return `Your request ${id} for delegate access to *${escapeMrkdwn(request.mailbox)}* was not granted: ${because}. Nothing was changed in Mimecast. ${todo}`;
    }
    case 'provisioned': {
      const until = request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ' until it is revoked';
      return `:white_check_mark: Your request ${id} was approved: ${grantSentence(request, 'has')}${until}. Switch to that account in the Mimecast Personal Portal, Mimecast for Outlook or Mimecast Mobile. When you no longer need it, press "I'm done".`;
    }
    case 'provisioning_failed':
      return `Your request ${id} was approved, but Mimecast did not grant the access. ${failureExplanation(request.failure)}`;
    case 'outcome_unknown':
      return `Your request ${id} was approved, but we could not confirm it in Mimecast. An admin has been asked to check; you do not need to submit it again.`;
    case 'checking':
      return `Your request ${id} was approved, but Mimecast did not confirm the grant straight away. The bot is checking whether it went through and will tell you here within about a quarter of an hour. You do not need to do anything; please do not submit the request again.`;
    case 'settled': {
      const until = request.expiresAt ? ` until ${slackDate(request.expiresAt)}` : ' until it is revoked';
      return `:white_check_mark: Your request ${id} went through after all: ${grantSentence(request, 'has')}${until}. Switch to that account in the Mimecast Personal Portal, Mimecast for Outlook or Mimecast Mobile. When you no longer need it, press "I'm done".`;
    }
    default:
      return unworded(notice);
  }
}

/** Why the bot denied the request, told to its requester, and what they can do. */
function ineligibleForYou(
  reason: IneligibleReason,
  request: DelegationRequest,
): { because: string; todo: string } {
  const grantee = `*${escapeMrkdwn(request.granteeEmail)}*`;
  switch (reason) {
    case 'not_requester':
      return {
        because: 'you are no longer in a group that may request delegate access',
        todo: 'If you still need access, ask your IT team to add you to the requesters group, then make a new request with /delegate.',
      };
    case 'not_rule_requester':
      return {
        because: `you are no longer in ${ruleGroupsWords(request)}`,
        todo: 'If you still need access, ask to join that group, then make a new request with /delegate.',
      };
    case 'deactivated':
      return {
        because: 'your Slack account has been deactivated',
        todo: 'If that is a mistake, ask your Slack admin.',
      };
    case 'email_changed':
      return {
        because: `your Slack profile email is no longer ${grantee}, the address this request would have given access to`,
        todo: 'If you still need access, make a new request with /delegate: it will be for your current address.',
      };
    case 'grantee_not_allowed':
      return {
        because: `your Slack profile email ${grantee} is not in an email domain this bot may grant access to`,
        todo: 'Ask your Slack admin to put your work email on your Slack profile, then make a new request with /delegate.',
      };
    case 'unconfirmed':
      return {
        because: 'the bot could not confirm with Slack that you may still get this access',
        todo: 'Make the request again with /delegate in a few minutes.',
      };
  }
}

function unworded(notice: never): never {
  throw new Error(`no words for notice ${JSON.stringify(notice)}`);
}

/**
 * Instead of "with the approvers" when their card could not be posted (`problem` is Slack's error):
 * the request waits all the same, and approvers can still find it.
 */
export function unseenRequestText(request: DelegationRequest, problem: string): string {
  const why = isChannelProblem(problem)
    ? `the bot cannot post in the approvers' channel (Slack said \`${problem}\`)`
    : problem === NO_ANSWER
      ? 'Slack did not answer, however often the bot tried'
      : `Slack refused it (\`${escapeMrkdwn(problem)}\`)`;
  return (
    `Your request *${request.id}* is saved and waiting, but I could not show it to the approvers: ${why}. ` +
    'Please tell your Slack admin or IT team. ' +
    "Until it is fixed, approvers can still decide it from this app's Home tab. I will tell you here when it is decided."
  );
}

// Buttons

export const cancelButton = { label: 'Cancel request' };

export const endAccessButton = {
  label: "I'm done",
  title: 'End your access?',
  text: (request: DelegationRequest) => `${grantSentence(request, 'no longer')} once Mimecast confirms.`,
  short: 'Your delegate access to the mailbox shown above ends once Mimecast confirms.',
  confirm: 'End access',
};

// Answers

/**
 * What cancelling said, from the button and from `/delegate cancel` alike (`id` is the request the
 * button or the command named). A typed id that names no request is answered before this (noSuchRequest)
 * for approvers and admins; anyone else hears `not_yours` for it, as for someone else's request.
 */
export function cancelAnswer(result: CancelResult, id: string): string {
  if (result.ok) return `Cancelled ${id}. The approvers' card shows it as cancelled.`;
  switch (result.reason) {
    case 'not_yours':
      // To those who see only their own requests, the same words whether the id exists or not.
      return result.seesAll
        ? `Only the person who asked can cancel ${id}.`
        : `You have no request ${id} to cancel. You can cancel only your own requests: check the id in your confirmation message, or see yours with \`/delegate list\`. Nothing was changed.`;
    case 'not_pending':
      return result.request.status === 'cancelled'
        ? `${id} is already cancelled.`
        : `${id} can no longer be cancelled: it is no longer waiting (status: ${statusWords(result.request.status)}). Nothing was changed.`;
    case 'not_found':
      return 'That request no longer exists. Nothing was changed.';
  }
}

/** "I'm done" from someone who is not the grantee. */
export const NOT_THE_GRANTEE = 'Only the person who has the access can end it this way. Nothing was changed.';

/** `/delegate list`. */
export function myRequestsText(lists: {
  access: readonly DelegationRequest[];
  waiting: readonly DelegationRequest[];
  earlier: readonly DelegationRequest[];
}): string {
  return [
    requestList('Your access', lists.access, 'You have no delegate access through this bot.'),
    requestList('Waiting', lists.waiting, 'No requests waiting.'),
    requestList('Earlier requests', lists.earlier, 'None.', 10),
  ].join('\n\n');
}

// App Home

export const home = {
  title: 'Mailbox delegate access',
  intro: 'Use `/delegate` to ask for access to a mailbox in Mimecast. `/delegate help` lists every command.',
  mineTitle: 'Your requests and access',
  mineEmpty: 'You have no requests yet.',
};

/** A sub-addressed mailbox (`ceo+x@`), refused at submit, in the form and in `/delegate policy test`. */
export function subAddressedText(mailbox: string, plain: string): string {
  return `${mailbox} is a tagged form of ${plain}: ask for ${plain} itself.`;
}
