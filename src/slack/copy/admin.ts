/** Words for admins: the admin commands, their refusals, and `/delegate help`. */
import type { RemoveFindingResult } from '../../requests/drift.js';
import type { DriftFinding } from '../../requests/findings.js';
import type { AuditEvent, DelegationRequest } from '../../requests/model.js';
import type { AdminCommand } from '../../requests/permissions.js';
import type { ApprovalPolicy } from '../../requests/policy.js';
import type { PolicyWarning } from '../../requests/policy-review.js';
import type { ReconcileResult } from '../../requests/reconcile.js';
import type { CardProblem, MimecastCheck } from '../../requests/view.js';
import { isChannelProblem, NO_ANSWER } from '../errors.js';
import { channelLink, escapeMrkdwn, mentionUser, slackDate } from '../mrkdwn.js';
import { ruleNote } from './approver.js';
import { removalFailureExplanation, searchProblem } from './common.js';
import { policyHealth } from './policy.js';
import { requestLine, requestList } from './requests.js';

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
  '• `/delegate reconcile` checks every grant against Mimecast now (it also runs on a schedule)',
  '• `/delegate drift` lists delegate access in Mimecast that the bot did not grant',
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

/** What the command and the buttons that are for admins only say next, the same words for both. */
const NOT_AN_ADMIN_NEXT = 'Nothing was changed. Ask an admin if this needs doing.';

/** An admin command from someone who is not an admin. */
export const adminOnly = (command: AdminCommand) =>
  `\`/delegate ${command}\` is for admins only, and you are not in an admin group. ${NOT_AN_ADMIN_NEXT}`;

/** The card's Revoke button pressed by someone who is not an admin. */
export const REVOKE_ADMINS_ONLY = `Only admins can revoke access, and you are not in an admin group. ${NOT_AN_ADMIN_NEXT}`;

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
  cardProblems: readonly CardProblem[];
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
function approvalChannelHealth(problems: readonly CardProblem[]): string {
  if (problems.length === 0) return ':white_check_mark: no waiting request is missing its card';
  const said = [...new Set(problems.map((p) => p.error))].map((code) =>
    code === NO_ANSWER ? 'Slack did not answer' : `Slack said \`${code}\``,
  );
  const channelFixes = [
    ...new Map(
      problems
        .filter((p) => isChannelProblem(p.error))
        .map((p) => [
          p.channelId,
          p.rule === undefined
            ? 'invite the bot to the channel, or set APPROVAL_CHANNEL_ID to one it is in'
            : `invite the bot to ${channelLink(p.channelId)}, or set the \`channel\` of rule ${escapeMrkdwn(p.rule)} in the policy file to one it is in`,
        ]),
    ).values(),
  ];
  const fix = channelFixes.length > 0 ? channelFixes.join('; ') : 'the error log names the requests';
  return (
    `:x: ${problems.length} waiting request${problems.length === 1 ? ' has' : 's have'} no card (${said.join('; ')}): ` +
    `${fix}. Until then approvers can decide on the App Home.`
  );
}

function mimecastHealth(check: MimecastCheck): string {
  if (!check.ok) return `:x: ${mimecastProblem(check.kind)}`;
  const detail =
    check.answered === undefined
      ? 'credentials accepted'
      : `credentials accepted (lookup answered: ${check.answered})`;
  return `:white_check_mark: ${escapeMrkdwn(detail)}`;
}

/** Why the health check's call to Mimecast failed, and what to do about it, by failure kind. */
function mimecastProblem(kind: string): string {
  switch (kind) {
    case 'authentication':
      return "Mimecast refused the bot's API credentials: check MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET (or the API 1.0 keys).";
    case 'binding_expired':
      return "The bot's Mimecast API 1.0 keys have expired: re-issue them in Mimecast and set MIMECAST_ACCESS_KEY and MIMECAST_SECRET_KEY.";
    case 'permission':
      return "Mimecast accepted the credentials but refused the delegate search: give the bot's Mimecast API user a role that may read delegates and has Directories | Internal | Create Alternate Address.";
    case 'rate_limited':
      return 'Mimecast is limiting how fast the bot may call it: run `/delegate health` again in a few minutes.';
    case 'server_error':
      return 'Mimecast answered with an error of its own: run `/delegate health` again later, and check the Mimecast status page if it persists.';
    case 'unexpected_response':
      return 'Mimecast answered in a way the bot could not read: check MIMECAST_BASE_URL (a region or URL of the right API version).';
    default:
      return 'Mimecast did not answer (a timeout or a lost connection): check MIMECAST_BASE_URL and that this host can reach it, then run `/delegate health` again.';
  }
}

// Reconciliation with Mimecast, and what it found

/** `/delegate reconcile`: what the check found, or why it did not run. */
export function reconcileAnswer(result: ReconcileResult, approvalChannelId: string): string {
  if (!result.ok) {
    const since =
      result.reason === 'already_running' && result.since ? ` (started ${slackDate(result.since)})` : '';
    return `A check against Mimecast is already running${since}. What it finds is posted in ${channelLink(approvalChannelId)}; \`/delegate drift\` lists it once it ends.`;
  }
  const { report } = result;
  const people = (n: number) => (n === 1 ? '1 person' : `${n} people`);
  const ids = (list: readonly string[]) => list.map((id) => `\`${id}\``).join(', ');
  const lines = [`*Checked against Mimecast*: the delegate access of ${people(report.searched)}.`];
  if (report.removedOutside.length) {
    lines.push(
      `• Removed outside the bot, now marked as ended (the grantee and ${channelLink(approvalChannelId)} are told): ${ids(report.removedOutside)}`,
    );
  }
  if (report.endsConfirmed.length) {
    lines.push(
      `• Revoked, ended or expired, and no longer in Mimecast: the removal the bot was retrying is done (the grantee and ${channelLink(approvalChannelId)} are told): ${ids(report.endsConfirmed)}`,
    );
  }
  if (report.removedAgain.length) {
    lines.push(`• Still in Mimecast after the grant ended, removed again: ${ids(report.removedAgain)}`);
  }
  if (report.removalFailed.length) {
    lines.push(
      `• Still in Mimecast after the grant ended, and Mimecast did not remove it this time either (tried again at the next check): ${ids(report.removalFailed)}`,
    );
  }
  if (report.newFindings.length) {
    const n = report.newFindings.length;
    lines.push(
      `• ${n === 1 ? '1 right' : `${n} rights`} the bot did not grant, posted in ${channelLink(approvalChannelId)} with a Remove button`,
    );
  }
  if (report.resolvedFindings.length) {
    lines.push(`• No longer in Mimecast, closed: ${ids(report.resolvedFindings)}`);
  }
  if (report.managedFindings.length) {
    lines.push(
      `• Now held by a grant of the bot (its request completed), so not drift after all, closed: ${ids(report.managedFindings)}`,
    );
  }
  for (const problem of report.problems) {
    lines.push(
      `• ${people(problem.count)} could not be checked: ${searchProblem({ kind: problem.kind, message: '' })}`,
    );
  }
  const changed =
    report.removedOutside.length +
    report.endsConfirmed.length +
    report.removedAgain.length +
    report.removalFailed.length +
    report.newFindings.length +
    report.resolvedFindings.length +
    report.managedFindings.length;
  if (changed === 0 && report.problems.length === 0) {
    lines.push(report.standingFindings ? '• Nothing new since the last check.' : '• Everything matches.');
  }
  lines.push(
    report.standingFindings
      ? `${report.standingFindings} right${report.standingFindings === 1 ? '' : 's'} the bot did not grant ${report.standingFindings === 1 ? 'is' : 'are'} waiting for an admin: \`/delegate drift\`.`
      : 'No right the bot did not grant is waiting for an admin.',
  );
  return lines.join('\n');
}

/** One finding in a list: its id, who can open what, and what Mimecast said of it. */
export function findingLine(finding: DriftFinding): string {
  const source = finding.source ? ` · source ${escapeMrkdwn(finding.source)}` : '';
  const removing = finding.status === 'removing' ? ' · being removed' : '';
  return `\`${finding.id}\` ${escapeMrkdwn(finding.granteeEmail)} → ${escapeMrkdwn(finding.mailbox)}${source} · found ${slackDate(finding.foundAt)}${removing}`;
}

/** `/delegate drift`. */
export function driftList(findings: readonly DriftFinding[], max = 30): string {
  if (findings.length === 0) {
    return '*Delegate access the bot did not grant*\nNone: every right the last check found in Mimecast is one the bot granted (or knew of). `/delegate reconcile` checks again now.';
  }
  const more = findings.length > max ? `\n…and ${findings.length - max} more.` : '';
  return (
    `*Delegate access the bot did not grant* (${findings.length})\n` +
    `${findings.slice(0, max).map(findingLine).join('\n')}${more}\n` +
    "Each one is posted in the approvers' channel with a Remove button (admins only). Nothing is removed unless an admin presses it."
  );
}

/** The message in the approvers' channel about a finding, as it stands. */
export const findingMessage = {
  summary: (finding: DriftFinding) =>
    `Mimecast lists delegate access the bot did not grant: ${finding.granteeEmail} can open ${finding.mailbox} (${finding.id})`,
  open: (finding: DriftFinding, admins: string) => {
    const said = [
      `Mimecast id \`${escapeMrkdwn(finding.mimecastId)}\``,
      ...(finding.source ? [`source ${escapeMrkdwn(finding.source)}`] : []),
    ].join(', ');
    return (
      `:mag: ${admins} A check against Mimecast found delegate access that this bot did not grant: ` +
      `*${escapeMrkdwn(finding.granteeEmail)}* can open *${escapeMrkdwn(finding.mailbox)}* (${said}). ` +
      `Nothing was changed. If it should not be there, an admin can press Remove; otherwise leave it. Finding \`${finding.id}\`.`
    );
  },
  removing: (finding: DriftFinding) =>
    `:hourglass_flowing_sand: ${mentionUser(finding.resolvedBy ?? '')} is removing *${escapeMrkdwn(finding.granteeEmail)}*'s delegate access to *${escapeMrkdwn(finding.mailbox)}* from Mimecast… (\`${finding.id}\`)`,
  removed: (finding: DriftFinding) =>
    `:lock: Removed from Mimecast by ${mentionUser(finding.resolvedBy ?? '')}${finding.resolvedAt ? ` on ${slackDate(finding.resolvedAt)}` : ''}: *${escapeMrkdwn(finding.granteeEmail)}* can no longer open *${escapeMrkdwn(finding.mailbox)}*. (\`${finding.id}\`)`,
  managed: (finding: DriftFinding) =>
    `:white_check_mark: Not drift after all${finding.resolvedAt ? ` (checked ${slackDate(finding.resolvedAt)})` : ''}: *${escapeMrkdwn(finding.granteeEmail)}*'s access to *${escapeMrkdwn(finding.mailbox)}* is now held by a grant of this bot (its request completed), which ends it when the grant ends. Nothing to do. (\`${finding.id}\`)`,
  gone: (finding: DriftFinding) =>
    `:information_source: No longer listed in Mimecast${finding.resolvedAt ? ` (checked ${slackDate(finding.resolvedAt)})` : ''}: *${escapeMrkdwn(finding.granteeEmail)}* can no longer open *${escapeMrkdwn(finding.mailbox)}*. Nothing to do. (\`${finding.id}\`)`,
};

export const removeFindingButton = {
  label: 'Remove from Mimecast',
  title: 'Remove this access?',
  text: (finding: DriftFinding) =>
    `*${escapeMrkdwn(finding.granteeEmail)}* will no longer have delegate access to *${escapeMrkdwn(finding.mailbox)}* in Mimecast.`,
  short: 'The delegate access shown above will be removed from Mimecast.',
  confirm: 'Remove',
};

/** The Remove button pressed by someone who is not an admin. */
export const REMOVE_FINDING_ADMINS_ONLY = `Only admins can remove delegate access the bot did not grant. ${NOT_AN_ADMIN_NEXT}`;

/** A Remove button whose value names no finding (forged, or from a version of the bot that is gone). */
export const BUTTON_WITHOUT_FINDING = 'That button does not name a valid finding. Nothing was changed.';

/** A finding whose right a grant of the bot holds: not removed, and how to end that access instead. */
function managedAnswer(finding: DriftFinding, id: string, requestId?: string): string {
  const grant = requestId ? `the bot's grant ${requestId}` : 'a grant of this bot';
  const revoke = requestId
    ? ` To end that access, revoke the grant: \`/delegate revoke ${requestId}\`.`
    : ` To end that access, revoke the grant (\`/delegate audit ${escapeMrkdwn(finding.granteeEmail)}\` shows its id).`;
  return `Not removed: ${escapeMrkdwn(finding.granteeEmail)}'s access to ${escapeMrkdwn(finding.mailbox)} is now held by ${grant}, so ${id} is not drift and is closed. Nothing was changed in Mimecast.${revoke}`;
}

/** What the admin who pressed Remove is told. */
export function removeFindingAnswer(result: RemoveFindingResult, id: string): string {
  if (result.ok) {
    const { finding } = result;
    const done = result.alreadyGone ? 'It was already gone from Mimecast' : 'Removed from Mimecast';
    return `${done}: ${escapeMrkdwn(finding.granteeEmail)} can no longer open ${escapeMrkdwn(finding.mailbox)} (${id}). The message in the channel says so.`;
  }
  switch (result.reason) {
    case 'not_found':
      return `There is no finding ${id}. Nothing was changed.`;
    case 'not_open': {
      const { finding } = result;
      if (finding.status === 'removing')
        return `${id} is already being removed by ${mentionUser(finding.resolvedBy ?? '')}. Nothing else was done.`;
      if (finding.status === 'removed')
        return `${id} was already removed by ${mentionUser(finding.resolvedBy ?? '')}. Nothing else was done.`;
      if (finding.status === 'managed') return managedAnswer(finding, id);
      return `${id} is no longer listed in Mimecast, so there is nothing to remove.`;
    }
    case 'managed_by_grant': {
      const { finding, request } = result;
      if (finding.status === 'managed') return managedAnswer(finding, id, request.id);
      const access = `${escapeMrkdwn(finding.granteeEmail)}'s access to ${escapeMrkdwn(finding.mailbox)}`;
      return `Not removed: a request of this bot for the same access is under way (${request.id}), and ${access} may be its grant, landed. Nothing was changed. The next check against Mimecast closes ${id} if that request completes; if it does not, the finding stays and you can remove it then.`;
    }
    case 'removal_failed':
      return `Mimecast did not remove it: ${removalFailureExplanation(result.failure)} The finding stays open, so you can press Remove again later.`;
  }
}
