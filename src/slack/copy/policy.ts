/** Words about the approval policy: `/delegate policy`, `/delegate policy test`, and its part of health. */
import type { ApprovalPolicy, PolicyRule } from '../../requests/policy.js';
import type { PolicyTest, PolicyWarning, RequesterVerdict } from '../../requests/policy-review.js';
import { channelLink, escapeMrkdwn, mentionGroup, mentionUser } from '../mrkdwn.js';
import { durationChoice, listWords } from './common.js';
import { mailboxProblemText, subAddressedText } from './requester.js';

/** Rules shown by `/delegate policy`; the file has the rest. */
const RULES_SHOWN = 40;

const groupList = (ids: readonly string[]) => listWords(ids.map(mentionGroup));

/** A mailbox pattern as code, so its `*` is not read as bold. */
const pattern = (text: string) => `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;

/** What a rule does, one bullet per point. */
function ruleLines(rule: PolicyRule): string[] {
  if (rule.deny !== undefined) return [`• refused, with: _${escapeMrkdwn(rule.deny)}_`];
  const lines: string[] = [];
  if (rule.requesterGroupIds) lines.push(`• only members of ${groupList(rule.requesterGroupIds)} may ask`);
  if (rule.autoApprove) {
    lines.push(
      `• granted at once, with no approver (auto-approval); the card goes to ${channelLink(rule.channelId)} for information`,
    );
  } else {
    lines.push(
      `• ${rule.approvals === 1 ? '1 approval' : `${rule.approvals} approvals from different people`} from ${groupList(rule.approverGroupIds)}; the card goes to ${channelLink(rule.channelId)}`,
    );
  }
  if (rule.owner === 'consent') lines.push("• the mailbox's owner must allow it too");
  if (rule.owner === 'notify')
    lines.push("• the mailbox's owner is told of every grant, extension and removal");
  lines.push(`• durations: ${listWords(rule.durationChoicesHours.map(durationChoice))}`);
  return lines;
}

/** `/delegate policy`: every rule in plain words, in order, then the defaults, and the policy's hash. */
export function policyDescription(policy: ApprovalPolicy): string {
  if (!policy.file) {
    return [
      '*Approval policy*: no policy file (POLICY_PATH is not set), so every mailbox follows the settings:',
      ...ruleLines(policy.defaults),
    ].join('\n');
  }
  const rules = policy.rules
    .slice(0, RULES_SHOWN)
    .flatMap((rule, index) => [
      `*${index + 1}. ${escapeMrkdwn(rule.name)}*: ${rule.mailboxes.map(pattern).join(', ')}`,
      ...ruleLines(rule),
    ]);
  const more =
    policy.rules.length > RULES_SHOWN
      ? [`…and ${policy.rules.length - RULES_SHOWN} more rules: see the file.`]
      : [];
  return [
    `*Approval policy* from \`${escapeMrkdwn(policy.file.path)}\` · sha256 \`${policy.file.sha256}\``,
    'Rules are tried in order: the first whose mailboxes match wins (ignoring case; `*` stands for any characters).',
    ...rules,
    ...more,
    '*Every other mailbox* (defaults)',
    ...ruleLines(policy.defaults),
  ].join('\n');
}

/** `/delegate policy test`: which rule applies, and what would happen. */
export function policyTestAnswer(test: PolicyTest): string {
  if (!test.ok) {
    switch (test.reason) {
      case 'invalid_mailbox':
        return 'Give a mailbox address, and optionally who would ask: `/delegate policy test ceo@example.com @alice` (or their email address). Nothing was created.';
      case 'unknown_requester':
        return POLICY_TEST_WHO;
      case 'sub_addressed':
        return `*${escapeMrkdwn(test.mailbox)}* is a tagged form of *${escapeMrkdwn(test.plain)}*, so no rule applies: the form refuses it ("${escapeMrkdwn(subAddressedText(test.mailbox, test.plain))}"). Test the plain address: \`/delegate policy test ${escapeMrkdwn(test.plain)}\`. Nothing was created.`;
      case 'own_mailbox':
        return `*${escapeMrkdwn(test.mailbox)}* is ${mentionUser(test.userId)}'s own mailbox (their address with a +tag), so no rule applies: the form refuses it ("${escapeMrkdwn(mailboxProblemText({ code: 'own_mailbox' }))}"). Nothing was created.`;
      case 'domain_not_allowed':
        return `Only mailboxes in ${listWords(test.allowedDomains.map((d) => `@${d}`))} can be requested here (ALLOWED_EMAIL_DOMAINS), so no rule applies. Nothing was created.`;
    }
  }
  const { rule } = test;
  const which =
    rule.name === 'defaults' && !test.policyHash
      ? `*${escapeMrkdwn(test.mailbox)}* follows the settings (no policy file).`
      : rule.name === 'defaults'
        ? `No rule matches *${escapeMrkdwn(test.mailbox)}*, so the policy's defaults apply (sha256 \`${test.policyHash?.slice(0, 12)}…\`).`
        : `*${escapeMrkdwn(test.mailbox)}* falls under the rule *${escapeMrkdwn(rule.name)}* (sha256 \`${test.policyHash?.slice(0, 12)}…\`).`;
  const lines = [which, ...ruleLines(rule)];
  if (rule.owner !== 'none' && rule.deny === undefined) {
    lines.push(
      test.ownerId
        ? `• the owner is ${mentionUser(test.ownerId)}`
        : '• no Slack user has this address (a shared mailbox, or someone who has left), so the approvers would decide alone',
    );
  }
  if (test.requester)
    lines.push(`If ${mentionUser(test.requester.userId)} asks: ${verdictWords(test.requester.verdict)}`);
  lines.push('_Nothing was created._');
  return lines.join('\n');
}

function verdictWords(verdict: RequesterVerdict): string {
  switch (verdict.kind) {
    case 'not_requester':
      return 'they may not ask: they are in no requester group (REQUESTER_GROUP_IDS).';
    case 'own_mailbox':
      return 'it is their own mailbox, so there is nothing to ask for.';
    case 'refused':
      return `refused in the form: "${escapeMrkdwn(mailboxProblemText(verdict.problem))}"`;
    case 'auto_approved':
      return 'granted at once, with no approver.';
    case 'to_approvers':
      return 'it goes to the approvers, as above.';
  }
}

/** The usage of `/delegate policy test` when the requester named cannot be read. */
export const POLICY_TEST_WHO =
  'I cannot tell who would ask. Name them with a mention picked from the list, their user id (U…) or the email address on their Slack profile, like `/delegate policy test ceo@example.com alice@example.com`. Nothing was created.';

/** `/delegate policy test` from someone who is neither an admin nor an approver. */
export const POLICY_TEST_REFUSED =
  '`/delegate policy test` is for admins and approvers, and you are neither. Nothing was done.';

/** The policy's part of `/delegate health`. */
export function policyHealth(policy: ApprovalPolicy, warnings: readonly PolicyWarning[]): string {
  if (!policy.file) return '';
  const head = `*Approval policy*: \`${escapeMrkdwn(policy.file.path)}\` · sha256 \`${policy.file.sha256.slice(0, 12)}…\` · ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}`;
  if (warnings.length === 0)
    return `${head}\n:white_check_mark: every rule that needs approvers has enough of them`;
  const lines = warnings.map((warning) => {
    const rule = warning.rule === 'defaults' ? 'The defaults' : `Rule *${escapeMrkdwn(warning.rule)}*`;
    const groups = groupList(warning.groupIds);
    if (warning.members === undefined) {
      return `:warning: ${rule}: its approver groups (${groups}) could not be read (${escapeMrkdwn(warning.error ?? 'no answer')}).`;
    }
    return (
      `:warning: ${rule} needs ${warning.approvals} approval${warning.approvals === 1 ? '' : 's'}, but its approver groups (${groups}) have ` +
      `${warning.members} member${warning.members === 1 ? '' : 's'}: its requests could never be approved. Add approvers to the groups, or lower \`approvals\`.`
    );
  });
  return [head, ...lines].join('\n');
}
