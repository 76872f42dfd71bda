import { z } from 'zod';
import { mailboxOf, taggedFormOf } from '../requests/addresses.js';
import { isEmailAddress, OWNER_MODES } from '../requests/model.js';
import { DEFAULTS_RULE } from '../requests/policy.js';
import { parseDuration, SLACK_CHANNEL_ID, SLACK_GROUP_ID } from '../values.js';

/**
 * The policy file's format (docs/policy.md), as zod schemas: strict objects, so a misspelt key is a
 * problem rather than a silently ignored line, and one message per problem saying what is expected.
 * The checks that look across keys (duplicate names, deny with other keys…) are in `crossCheck`.
 */

/** "is required: …" when the key is missing, "must be …" when its value is wrong. */
const expected = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `is required: ${what}` : `must be ${what}`;

const quoted = (value: unknown) => JSON.stringify(value);

const groupId = z.string({ error: expected('a Slack user group id, like S0123ABCD') }).regex(SLACK_GROUP_ID, {
  error: (issue) => `${quoted(issue.input)} is not a Slack user group id (they look like S0123ABCD)`,
});

const groups = z
  .array(groupId, { error: expected('a list of Slack user group ids, like [S0123ABCD]') })
  .min(1, { error: 'must name at least one user group' });

const channelId = z
  .string({ error: expected('a Slack channel id, like C0123ABCD') })
  .regex(SLACK_CHANNEL_ID, {
    error: (issue) => `${quoted(issue.input)} is not a channel id (they look like C0123ABCD)`,
  });

const approvals = z
  .number({ error: expected('a whole number, 1 or more') })
  .int({ error: 'must be a whole number, 1 or more' })
  .min(1, { error: 'must be at least 1: someone has to approve (use auto_approve to grant at once)' });

const duration = z
  .string({ error: expected('a duration like 4h, 7d or permanent') })
  .refine((text) => parseDuration(text) !== undefined, {
    error: (issue) => `${quoted(issue.input)} is not a duration like 4h, 7d or permanent`,
  });

const durations = z
  .array(duration, { error: expected('a list of durations, like [1d, 7d]') })
  .min(1, { error: 'must offer at least one duration' });

const owner = z.enum(OWNER_MODES, {
  error: (issue) => `must be none, notify or consent (got ${quoted(issue.input)})`,
});

/** A rule's name: shown on cards and in the audit log (`policy:<name>`), so kept to plain words. */
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const ruleName = z
  .string({ error: expected('the rule name, shown on the card and in the audit log') })
  .regex(RULE_NAME, {
    error:
      'must be 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit',
  });

/** An address, or a pattern with `*` for any characters, like "*@help.example.com". */
const PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]+$/;
const isPatternText = (text: string) => PATTERN.test(text) && (text.includes('*') || isEmailAddress(text));
const mailboxPattern = z
  .string({ error: expected('an address or a pattern like "*@example.com"') })
  .trim()
  .refine(isPatternText, {
    error: (issue) =>
      `${quoted(issue.input)} is neither an email address nor a pattern like "*@example.com" (only * is special)`,
  })
  // Submit refuses a sub-addressed (+tag) mailbox, so a pattern with a tag would match no request.
  .refine((text) => !isPatternText(text) || taggedFormOf(text) === undefined, {
    error: (issue) => {
      const text = String(issue.input).trim();
      return `${quoted(text)} has a +tag, and the bot refuses requests for tagged mailboxes (people must ask for the plain address), so it can never match a request: write ${quoted(mailboxOf(text))} instead`;
    },
  });

const mailboxes = z
  .array(mailboxPattern, { error: expected('a list of addresses or patterns, like ["*@example.com"]') })
  .min(1, { error: 'must list at least one address or pattern: a rule without mailboxes matches nothing' });

/** Keys that say how a request is decided, in the defaults and in each rule. */
const routeKeys = {
  approvers: groups.optional(),
  approvals: approvals.optional(),
  channel: channelId.optional(),
  durations: durations.optional(),
  owner: owner.optional(),
};

export const ROUTE_KEYS = Object.keys(routeKeys);
export const RULE_KEYS = ['name', 'mailboxes', 'requesters', 'auto_approve', 'deny', ...ROUTE_KEYS];
export const TOP_KEYS = ['defaults', 'rules'];

/** "a, b and c". */
const and = (keys: readonly string[]) =>
  keys.length <= 1 ? keys.join('') : `${keys.slice(0, -1).join(', ')} and ${keys.at(-1)}`;

const defaults = z.strictObject(routeKeys, {
  error: expected(`a mapping of ${and(ROUTE_KEYS)}`),
});

const rule = z.strictObject(
  {
    name: ruleName,
    mailboxes,
    requesters: groups.optional(),
    auto_approve: z.boolean({ error: 'must be true or false' }).optional(),
    deny: z
      .string({ error: expected('the text people see when refused') })
      .trim()
      .min(1, { error: 'must be the text people see when refused' })
      .max(1000, { error: 'must be at most 1000 characters' })
      .optional(),
    ...routeKeys,
  },
  { error: expected(`a mapping with ${and(RULE_KEYS)}`) },
);

export const policySchema = z.strictObject(
  {
    defaults: defaults.optional(),
    rules: z.array(rule, { error: expected('a list of rules') }).optional(),
  },
  { error: expected('a mapping with defaults and rules') },
);

export type PolicySpec = z.infer<typeof policySchema>;
export type RuleSpec = NonNullable<PolicySpec['rules']>[number];

/** A problem, with where it is: the path of keys and list positions from the top of the file. */
export interface SpecProblem {
  path: (string | number)[];
  message: string;
  /** The key itself is the problem (an unknown key): point at the key rather than its value. */
  atKey?: boolean;
}

/** What the schema found, one problem per unknown key. */
export function schemaProblems(value: unknown): SpecProblem[] {
  const parsed = policySchema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue): SpecProblem[] => {
    const path = issue.path.filter((key) => typeof key !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const allowed = path.length === 0 ? TOP_KEYS : path[0] === 'defaults' ? ROUTE_KEYS : RULE_KEYS;
      return issue.keys.map((key) => ({
        path: [...path, key],
        atKey: true,
        message: `unknown key ${quoted(key)} (${path.length === 0 ? 'the file takes' : path[0] === 'defaults' ? 'defaults take' : 'a rule takes'} ${and(allowed)})`,
      }));
    }
    return [{ path, message: issue.message }];
  });
}

/**
 * The checks across keys, on whatever the file holds (parts the schema refused are skipped): unique
 * rule names, `deny` alone, `auto_approve` without the owner's consent.
 */
export function crossCheck(value: unknown): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (!isRecord(value) || !Array.isArray(value.rules)) return problems;
  const defaultsOwner = isRecord(value.defaults) ? value.defaults.owner : undefined;
  const seen = new Map<string, number>();
  value.rules.forEach((rule: unknown, index) => {
    if (!isRecord(rule)) return;
    if (typeof rule.name === 'string') {
      const key = rule.name.trim().toLowerCase();
      const first = seen.get(key);
      if (key === DEFAULTS_RULE) {
        problems.push({
          path: ['rules', index, 'name'],
          message: `"${DEFAULTS_RULE}" names the mailboxes no rule matches: give this rule another name`,
        });
      } else if (first !== undefined) {
        problems.push({
          path: ['rules', index, 'name'],
          message: `${quoted(rule.name)} is already the name of rules[${first}]: rule names must be unique`,
        });
      } else seen.set(key, index);
    }
    if (rule.deny !== undefined) {
      const others = Object.keys(rule).filter((key) => !['name', 'mailboxes', 'deny'].includes(key));
      if (others.length > 0) {
        problems.push({
          path: ['rules', index, 'deny'],
          message: `deny refuses every request for these mailboxes, so it goes only with name and mailboxes: remove ${others.join(', ')} (or remove deny)`,
        });
      }
    }
    const owner = rule.owner ?? defaultsOwner;
    if (rule.auto_approve === true && owner === 'consent') {
      problems.push({
        path: ['rules', index, 'auto_approve'],
        message: `auto_approve grants at once, but owner: consent${rule.owner === undefined ? ' (from defaults)' : ''} needs the owner to agree first: keep one of them`,
      });
    }
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
