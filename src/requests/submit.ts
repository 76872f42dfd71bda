import { isOwnMailbox, showsAsTyped, taggedFormOf } from './addresses.js';
import type { Core } from './deps.js';
import { type GranteeProblem, granteeProblem } from './eligibility.js';
import { type OpenRequestsFull, openRequestsFull } from './limits.js';
import {
  type DelegationRequest,
  domainOf,
  isEmailAddress,
  normalizeEmail,
  OPEN_STATUSES,
  type OwnerMode,
} from './model.js';
import { hasRole } from './permissions.js';
import { type PolicyRule, ruleFor } from './policy.js';
import { DuplicateIdError, DuplicateViewError } from './ports/index.js';
import { findReplay, type Replay } from './replays.js';
import { approveByRule, routeDetails, routeFor, ruleRefusal, submittedNotices } from './routing.js';

export const REASON_MAX_LENGTH = 1000;
export const REASON_MIN_LENGTH = 3;
const MAILBOX_MAX_LENGTH = 254;

export interface SubmissionInput {
  requesterId: string;
  mailbox: string;
  reason: string;
  durationHours?: number;
  /** The Slack form it comes from: a form already turned into a request makes no second one. */
  viewId?: string;
}

/** What is wrong with the mailbox field, and what the words need to say so. */
export type MailboxProblem =
  | { code: 'missing' }
  | { code: 'invalid' }
  /** Characters Slack would show as formatting, so the card would not show the address granted. */
  | { code: 'formatting_characters' }
  /** A sub-addressed form (`ceo+x@`) of `plain`: asked for as itself, so that its rule applies. */
  | { code: 'sub_addressed'; mailbox: string; plain: string }
  | { code: 'domain_not_allowed'; allowedDomains: readonly string[] }
  | { code: 'not_requester' }
  | { code: 'no_profile_email' }
  | { code: 'own_mailbox' }
  | { code: 'duplicate'; mailbox: string; pendingId: string }
  /** The policy rule for this mailbox refuses every request, with this text. */
  | { code: 'denied_by_rule'; text: string }
  /** The policy rule takes requests for this mailbox only from members of these groups (as people know them). */
  | { code: 'needs_group'; groups: readonly string[] }
  /** The address that would get access (the requester's profile email) is not allowed. */
  | GranteeProblem
  | ({ code: 'too_many_open' } & OpenRequestsFull)
  /** Someone else's form, sent again: nothing to do with this person. */
  | { code: 'form_already_used' };
export type ReasonProblem =
  | { code: 'too_short'; min: number }
  | { code: 'too_long'; max: number; length: number };
/** `offeredHours` is set when a policy rule chose the durations this mailbox allows. */
export type DurationProblem = { code: 'not_offered'; offeredHours?: readonly number[] };

/** Everything the requester can fix, by field of the form. */
export interface SubmissionErrors {
  mailbox?: MailboxProblem;
  reason?: ReasonProblem;
  duration?: DurationProblem;
}
export type SubmissionField = keyof SubmissionErrors;

export type SubmitResult =
  /** `replayed`: the form had already made this request, and made no other. */
  { ok: true; request: DelegationRequest; replayed?: true } | { ok: false; errors: SubmissionErrors };

/** What the request form needs to open for this person, or why it does not open. */
export type RequestFormResult =
  | {
      ok: true;
      /** Who would get access: the person's own profile email. */
      granteeEmail: string;
      /** The mailbox's rule's choices (the defaults' until a mailbox is entered). */
      durationChoicesHours: readonly number[];
      defaultDurationHours: number;
      /**
       * With policy rules: the defaults' choices, which the form offers until a mailbox is entered
       * (then the mailbox's rule's). Absent without rules: every mailbox offers the same.
       */
      baseDurationChoicesHours?: readonly number[];
      /** How a request for the mailbox entered (or any mailbox) would be decided, for the form to say. */
      path: FormPath;
    }
  | { ok: false; reason: 'not_requester' | 'no_profile_email' }
  | { ok: false; reason: 'grantee_not_allowed'; problem: GranteeProblem };

/** What the form tells the requester about who decides. */
export interface FormPath {
  channelId: string;
  approvals: number;
  owner: OwnerMode;
  /** Granted at once for this person. */
  autoApprove: boolean;
  /** The rule will not take this request (deny, or a group the person is not in). */
  refusal?: MailboxProblem;
}

/**
 * Whether this person may open the request form, and with what in it; with a mailbox (typed after
 * /delegate, or entered in the form), what that mailbox's policy rule offers.
 *
 * It does not read the store: the form must open while Slack's trigger_id lives (about 3 s), and a
 * store under load must not hold it up. Whether the person already has MAX_OPEN_REQUESTS open is
 * `openRequestsFull` (limits.ts), which the caller asks alongside; `submit` checks it again.
 */
export async function requestForm(
  core: Core,
  userId: string,
  mailboxText?: string,
): Promise<RequestFormResult> {
  const [eligible, granteeEmail] = await Promise.all([
    hasRole(core, userId, 'requester'),
    core.directory.emailOf(userId),
  ]);
  if (!eligible) {
    core.logger.info({ user: userId }, 'ineligible requester');
    return { ok: false, reason: 'not_requester' };
  }
  if (!granteeEmail) return { ok: false, reason: 'no_profile_email' };
  const problem = granteeProblem(core, granteeEmail);
  if (problem) return { ok: false, reason: 'grantee_not_allowed', problem };
  const mailbox = normalizeEmail(mailboxText ?? '');
  const tagged = isEmailAddress(mailbox) ? taggedProblem(mailbox) : undefined;
  const rule = isEmailAddress(mailbox) && !tagged ? ruleFor(core.approval, mailbox) : core.approval.defaults;
  const refusal = tagged ?? (await ruleRefusal(core, rule, userId));
  return {
    ok: true,
    granteeEmail,
    durationChoicesHours: rule.durationChoicesHours,
    defaultDurationHours: rule.defaultDurationHours,
    ...(core.approval.rules.length > 0
      ? { baseDurationChoicesHours: core.approval.defaults.durationChoicesHours }
      : {}),
    path: {
      channelId: rule.channelId,
      approvals: rule.approvals,
      owner: rule.owner,
      autoApprove: rule.autoApprove && !refusal,
      ...(refusal ? { refusal } : {}),
    },
  };
}

/**
 * Validates and records a new request. Everything the requester can fix comes back as a problem per
 * field of the form, with what its words need.
 */
export async function submit(core: Core, input: SubmissionInput): Promise<SubmitResult> {
  const { policy, directory, store } = core;
  const errors: SubmissionErrors = {};

  const replay = await findReplay(core, input);
  if (replay) return answerReplay(replay);

  const mailbox = normalizeEmail(input.mailbox);
  const reason = cleanText(input.reason);
  let rule: PolicyRule = core.approval.defaults;

  if (!mailbox) errors.mailbox = { code: 'missing' };
  else if (mailbox.length > MAILBOX_MAX_LENGTH || !isEmailAddress(mailbox)) {
    errors.mailbox = { code: 'invalid' };
  } else if (!showsAsTyped(mailbox)) {
    errors.mailbox = { code: 'formatting_characters' };
  } else if (
    policy.allowedEmailDomains.length > 0 &&
    !policy.allowedEmailDomains.includes(domainOf(mailbox))
  ) {
    errors.mailbox = { code: 'domain_not_allowed', allowedDomains: policy.allowedEmailDomains };
  } else {
    const tagged = taggedProblem(mailbox);
    if (tagged) errors.mailbox = tagged;
    else rule = ruleFor(core.approval, mailbox);
  }
  // Checked against the rule's choices whatever the form showed.
  const durationHours = input.durationHours ?? rule.defaultDurationHours;

  if (reason.length < REASON_MIN_LENGTH) {
    errors.reason = { code: 'too_short', min: REASON_MIN_LENGTH };
  } else if (reason.length > REASON_MAX_LENGTH) {
    errors.reason = { code: 'too_long', max: REASON_MAX_LENGTH, length: reason.length };
  }

  if (!rule.durationChoicesHours.includes(durationHours)) {
    errors.duration = core.approval.file
      ? { code: 'not_offered', offeredHours: rule.durationChoicesHours }
      : { code: 'not_offered' };
  }

  if (!(await hasRole(core, input.requesterId, 'requester'))) {
    errors.mailbox = { code: 'not_requester' };
    return { ok: false, errors };
  }

  const granteeEmail = await directory.emailOf(input.requesterId);
  const grantee = granteeEmail ? granteeProblem(core, granteeEmail) : undefined;
  if (!granteeEmail) {
    errors.mailbox = { code: 'no_profile_email' };
  } else if (grantee) {
    errors.mailbox = grantee;
  } else if (
    (!errors.mailbox || errors.mailbox.code === 'sub_addressed') &&
    isOwnMailbox(granteeEmail, mailbox)
  ) {
    // `alice+x@` is Alice's own: that says more than "a tagged form".
    errors.mailbox = { code: 'own_mailbox' };
  }

  if (!errors.mailbox) {
    const refusal = await ruleRefusal(core, rule, input.requesterId);
    if (refusal) errors.mailbox = refusal;
  }

  if (!errors.mailbox) {
    const [pending] = await store.listRequests({
      requesterId: input.requesterId,
      mailbox,
      statuses: OPEN_STATUSES,
      limit: 1,
    });
    if (pending) errors.mailbox = { code: 'duplicate', mailbox, pendingId: pending.id };
  }
  if (!errors.mailbox) {
    const full = await openRequestsFull(core, input.requesterId);
    if (full) errors.mailbox = { code: 'too_many_open', ...full };
  }

  if (Object.keys(errors).length > 0 || !granteeEmail) {
    // The same form, sent twice at once: the other delivery may have made its request meanwhile.
    const replayed = await findReplay(core, input);
    return replayed ? answerReplay(replayed) : { ok: false, errors };
  }

  // The decision path is fixed now: the request is decided by this rule even if the policy changes.
  const route = await routeFor(core, rule, mailbox);
  const now = core.clock();
  for (let attempt = 0; ; attempt += 1) {
    const request: DelegationRequest = {
      id: core.newId(),
      status: 'pending',
      requesterId: input.requesterId,
      granteeEmail,
      mailbox,
      reason,
      durationHours,
      createdAt: now,
      updatedAt: now,
      ...(input.viewId ? { viewId: input.viewId } : {}),
      ...(route ? { route } : {}),
      version: 1,
    };
    try {
      await store.createRequest(
        request,
        {
          requestId: request.id,
          actor: input.requesterId,
          action: 'submitted',
          toStatus: 'pending',
          details: { granteeEmail, mailbox, durationHours, ...routeDetails(route) },
        },
        submittedNotices(request),
      );
      core.logger.info({ requestId: request.id, requester: request.requesterId }, 'request submitted');
      core.notify();
      if (route?.autoApproved) return { ok: true, request: await approveByRule(core, request) };
      return { ok: true, request };
    } catch (error) {
      if (error instanceof DuplicateIdError && attempt < 5) continue;
      // The same form, sent twice at the same moment (or to two processes): the first made the request.
      if (error instanceof DuplicateViewError) {
        const replayed = await findReplay(core, input);
        if (replayed) return answerReplay(replayed);
      }
      throw error;
    }
  }
}

/** A sub-addressed mailbox, refused: its plain address is the one to ask for (see taggedFormOf). */
export function taggedProblem(mailbox: string): MailboxProblem | undefined {
  const plain = taggedFormOf(mailbox);
  return plain ? { code: 'sub_addressed', mailbox: normalizeEmail(mailbox), plain } : undefined;
}

/** A form that already made a request: its request again for its requester, a refusal for anyone else. */
function answerReplay(replay: Replay): SubmitResult {
  if (replay.sameRequester) return { ok: true, request: replay.request, replayed: true };
  return { ok: false, errors: { mailbox: { code: 'form_already_used' } } };
}

/** Trims, and drops control and bidirectional-override characters other than line breaks and tabs. */
export function cleanText(text: string): string {
  return Array.from(text)
    .filter((char) => !isInvisibleControl(char.codePointAt(0) ?? 0))
    .join('')
    .trim();
}

function isInvisibleControl(code: number): boolean {
  if (code === 0x09 || code === 0x0a || code === 0x0d) return false;
  return (
    code < 0x20 ||
    code === 0x7f ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}
