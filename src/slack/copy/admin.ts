/** Words for admins: the admin commands, their refusals, and `/delegate help`. */
import type { AuditEvent, DelegationRequest } from '../../requests/model.js';
import type { AdminCommand } from '../../requests/permissions.js';
import type { ApprovalPolicy } from '../../requests/policy.js';
import type { PolicyWarning } from '../../requests/policy-review.js';
import type { MimecastCheck } from '../../requests/view.js';
import { isChannelProblem, NO_ANSWER } from '../errors.js';
import { channelLink, escapeMrkdwn, mentionUser, slackDate } from '../mrkdwn.js';
import { ruleNote } from './approver.js';
import { requestLine, requestList } from './common.js';
import { policyHealth } from './policy.js';

const EVERYONE_HELP = [
  '*/delegate* asks for delegate access to a mailbox in Mimecast.',
  '• `/delegate` opens the request form; `/delegate sales@example.com` fills in the mailbox',
  '• `/delegate status DR-XXXXXX` shows where a request stands',
  '• `/delegate list` shows your requests and access',
  '• `/delegate cancel DR-XXXXXX` cancels your request while it waits',
  '• `/delegate help` shows this',
];
const POLICY_TEST_HELP =
  '• `/delegate policy test someone@example.com [@requester]` shows which policy rule applies and what would happen, creating nothing';
const ADMIN_HELP = [
  '*Admin commands*',
  '• `/delegate pending` lists requests waiting for a decision',
  '• `/delegate active` lists current access and when it ends',
  '• `/delegate revoke DR-XXXXXX` removes access now',
  '• `/delegate audit DR-XXXXXX` or `/delegate audit someone@example.com` shows the audit trail',
  '• `/delegate health` checks the settings, Slack and Mimecast',
  '• `/delegate policy` shows the approval policy, rule by rule, and its sha256',
  POLICY_TEST_HELP,
];
const APPROVER_HELP = ['*Approver commands*', POLICY_TEST_HELP];

/** `/delegate help`: the admin commands only for admins, the approvers' one for approvers. */
export function help(roles: { admin: boolean; approver: boolean }): string {
  const more = roles.admin ? ADMIN_HELP : roles.approver ? APPROVER_HELP : [];
  return [...EVERYONE_HELP, ...(more.length ? ['', ...more] : [])].join('\n');
}

/** A subcommand the bot does not know (`echoed` is escaped and cut by the caller), then the help. */
export const unknownCommand = (echoed: string, helpText: string) =>
  `I do not know \`${echoed}\`.\n${helpText}`;

/** An admin command from someone who is not an admin. */
export const adminOnly = (command: AdminCommand) =>
  `\`/delegate ${command}\` is for admins only, and you are not in an admin group. Nothing was done.`;

/** The card's Revoke button pressed by someone who is not an admin. */
export const REVOKE_ADMINS_ONLY = 'Only admins can revoke access. Nothing was changed.';

/** `/delegate pending`: each request with the policy rule it was made under (and its approvals so far). */
export function pendingList(requests: readonly DelegationRequest[]): string {
  if (!requests.some((request) => request.route)) {
    return requestList('Waiting for a decision', requests, 'Nothing is waiting.');
  }
  const max = 30;
  const lines = requests.slice(0, max).map((request) => `${requestLine(request)}${ruleNote(request)}`);
  const more = requests.length > max ? `\n…and ${requests.length - max} more.` : '';
  return `*Waiting for a decision* (${requests.length})\n${lines.join('\n')}${more}`;
}

export const activeList = (requests: readonly DelegationRequest[]) =>
  requestList('Current access', requests, 'Nobody has delegate access through this bot right now.');

/** `/delegate revoke` done. */
export function revoked(request: DelegationRequest, coveredBy: string | undefined): string {
  const covered = coveredBy ? ` Access continues under ${coveredBy}.` : '';
  return `Revoked ${request.id}: ${escapeMrkdwn(request.granteeEmail)} no longer has access to ${escapeMrkdwn(request.mailbox)} through it.${covered}`;
}

export const AUDIT_USAGE = 'Give a request id or an email address, like `/delegate audit DR-7KQ2M9`.';

export function auditTrail(about: { requestId: string } | { email: string }, events: readonly AuditEvent[]) {
  const title =
    'requestId' in about
      ? `*Audit trail of ${about.requestId}*`
      : `*Audit trail for ${escapeMrkdwn(about.email)}*`;
  return `${title}\n${auditLines(events)}`;
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

// /delegate health

export interface HealthWords {
  /** The settings as `describeConfig` lists them. */
  settings: Record<string, unknown>;
  slack:
    | { ok: true; user: string; scopes: readonly string[] | undefined; missing: readonly string[] }
    | {
        ok: false;
        error: string;
      };
  approvalChannelId: string;
  cardProblems: readonly string[];
  mimecast: MimecastCheck;
  /** The approval policy and rules no request could pass; empty without a policy file. */
  policy?: { approval: ApprovalPolicy; warnings: readonly PolicyWarning[] };
}

export function healthReport(report: HealthWords): string {
  const settings = Object.entries(report.settings)
    .map(
      ([key, value]) => `• ${key}: ${escapeMrkdwn(Array.isArray(value) ? value.join(', ') : String(value))}`,
    )
    .join('\n');
  return [
    '*Settings* (secrets are not shown)',
    settings,
    `*Slack*: ${slackHealth(report.slack)}`,
    `*Approvers' channel* ${channelLink(report.approvalChannelId)}: ${approvalChannelHealth(report.cardProblems)}`,
    `*Mimecast*: ${mimecastHealth(report.mimecast)}`,
    ...(report.policy ? [policyHealth(report.policy.approval, report.policy.warnings)].filter(Boolean) : []),
  ].join('\n');
}

function slackHealth(slack: HealthWords['slack']): string {
  if (!slack.ok) return `:x: ${escapeMrkdwn(slack.error)}`;
  let line = `:white_check_mark: connected as ${escapeMrkdwn(slack.user)}${slack.scopes?.length ? `; scopes: ${slack.scopes.join(', ')}` : ''}`;
  if (slack.missing.length)
    line += `\n:warning: missing scopes: ${slack.missing.join(', ')} (reinstall the app from manifest.yml)`;
  return line;
}

/** Waiting requests whose card Slack refused to post, and what to do about it. */
function approvalChannelHealth(problems: readonly string[]): string {
  if (problems.length === 0) return ':white_check_mark: no waiting request is missing its card';
  const said = [...new Set(problems)].map((code) =>
    code === NO_ANSWER ? 'Slack did not answer' : `Slack said \`${code}\``,
  );
  const fix = problems.some(isChannelProblem)
    ? 'invite the bot to the channel, or set APPROVAL_CHANNEL_ID to one it is in'
    : 'the error log names the requests';
  return (
    `:x: ${problems.length} waiting request${problems.length === 1 ? ' has' : 's have'} no card (${said.join('; ')}): ` +
    `${fix}. Until then approvers can decide on the App Home.`
  );
}

function mimecastHealth(check: MimecastCheck): string {
  if (!check.ok) return `:x: ${escapeMrkdwn(`${check.kind}: ${check.message}`)}`;
  const detail =
    check.answered === undefined
      ? 'credentials accepted'
      : `credentials accepted (lookup answered: ${check.answered})`;
  return `:white_check_mark: ${escapeMrkdwn(detail)}`;
}
