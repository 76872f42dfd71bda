import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import {
  type ApprovalPolicy,
  DEFAULTS_RULE,
  type PolicyRule,
  type PolicySettings,
  type Route,
  settingsRoute,
} from '../requests/policy.js';
import { parseDuration } from '../values.js';
import {
  crossCheck,
  type PolicySpec,
  policySchema,
  type RuleSpec,
  type SpecProblem,
  schemaProblems,
} from './schema.js';

/**
 * The approval policy file (POLICY_PATH) at the edge: read, parsed as YAML, checked against the format
 * of docs/policy.md, and resolved against the settings into the core's ApprovalPolicy. Every problem
 * is reported at once, each as `file:line: path: what is wrong`, the same from `npm run policy:check`
 * and at start.
 */

export type PolicyCheck =
  | { ok: true; spec: PolicySpec; sha256: string }
  | { ok: false; problems: string[]; sha256?: string };

/** Checks the file's text; `source` names it in the problems (its path). */
export function checkPolicyText(text: string | Buffer, source: string): PolicyCheck {
  const sha256 = createHash('sha256').update(text).digest('hex');
  const lines = new LineCounter();
  const doc = parseDocument(text.toString(), { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? undefined : lines.linePos(offset).line);
  const say = (line: number | undefined, path: string, message: string) =>
    `${source}${line ? `:${line}` : ''}: ${path ? `${path}: ` : ''}${message}`;

  // Broken YAML: only what the parser says, since any check of a half-read file would mislead.
  if (doc.errors.length > 0) {
    return {
      ok: false,
      sha256,
      problems: doc.errors.map((error) =>
        say(at(error.pos[0]), '', `not valid YAML: ${firstLine(error.message)}`),
      ),
    };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 50 });
  if (value === null || value === undefined) {
    return { ok: false, sha256, problems: [say(1, '', 'the file is empty: give defaults, rules or both')] };
  }
  const found = [...schemaProblems(value), ...crossCheck(value)];
  if (found.length > 0) {
    const sorted = found
      .map((problem) => ({ problem, line: at(locate(doc, problem)) }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return {
      ok: false,
      sha256,
      problems: sorted.map(({ problem, line }) =>
        say(line, describePath(value, problem.path), problem.message),
      ),
    };
  }
  return { ok: true, spec: policySchema.parse(value), sha256 };
}

/** Reads and checks the file at `path`. */
export function checkPolicyFile(path: string): PolicyCheck {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : String(code);
    return { ok: false, problems: [`${path}: cannot be read: ${why}`] };
  }
  return checkPolicyText(bytes, path);
}

/**
 * Every key of every rule resolved: a rule's missing keys come from `defaults`, and the defaults'
 * missing keys from the settings (APPROVER_GROUP_IDS, APPROVAL_CHANNEL_ID, ACCESS_DURATIONS, 1
 * approval, owner none).
 */
export function resolvePolicy(
  spec: PolicySpec,
  settings: PolicySettings,
  file: { path: string; sha256: string },
): ApprovalPolicy {
  const base = resolveRoute(spec.defaults ?? {}, settingsRoute(settings));
  const rules = (spec.rules ?? []).map(
    (rule: RuleSpec): PolicyRule => ({
      name: rule.name.trim(),
      mailboxes: rule.mailboxes.map((pattern) => pattern.trim().toLowerCase()),
      ...(rule.requesters ? { requesterGroupIds: rule.requesters } : {}),
      autoApprove: rule.auto_approve ?? false,
      ...(rule.deny ? { deny: rule.deny } : {}),
      ...resolveRoute(rule, base),
    }),
  );
  return { file, defaults: { name: DEFAULTS_RULE, mailboxes: ['*'], autoApprove: false, ...base }, rules };
}

/** Checks the file and resolves it against the settings; the problems are those of checkPolicyFile. */
export function loadPolicyFile(
  path: string,
  settings: PolicySettings,
): { ok: true; policy: ApprovalPolicy } | { ok: false; problems: string[] } {
  const checked = checkPolicyFile(path);
  if (!checked.ok) return checked;
  return { ok: true, policy: resolvePolicy(checked.spec, settings, { path, sha256: checked.sha256 }) };
}

function resolveRoute(keys: NonNullable<PolicySpec['defaults']>, fallback: Route): Route {
  const choices = keys.durations
    ? [...new Set(keys.durations.map((text) => parseDuration(text) ?? 0))]
    : fallback.durationChoicesHours;
  return {
    approverGroupIds: keys.approvers ?? fallback.approverGroupIds,
    approvals: keys.approvals ?? fallback.approvals,
    channelId: keys.channel ?? fallback.channelId,
    durationChoicesHours: choices,
    defaultDurationHours: choices.includes(fallback.defaultDurationHours)
      ? fallback.defaultDurationHours
      : (choices[0] ?? fallback.defaultDurationHours),
    owner: keys.owner ?? fallback.owner,
  };
}

/** The offset in the file of what a problem names: the value at its path, or the key, or the nearest parent. */
function locate(doc: Document, problem: SpecProblem): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const [index, key] of problem.path.entries()) {
    const last = index === problem.path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      if (last && problem.atKey) break;
      node = pair.value;
      offset = rangeStart(node) ?? offset;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      offset = rangeStart(node) ?? offset;
    } else break;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/** `rules[1] (support-inboxes).durations[0]`: the path, with each rule's name when it has one. */
function describePath(value: unknown, path: (string | number)[]): string {
  let text = '';
  path.forEach((key, index) => {
    if (typeof key === 'number') {
      text += `[${key}]`;
      if (index === 1 && path[0] === 'rules') {
        const name = (value as { rules?: { name?: unknown }[] }).rules?.[key]?.name;
        if (typeof name === 'string' && name.trim()) text += ` (${name.trim()})`;
      }
    } else text += text ? `.${key}` : key;
  });
  return text;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
