import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPolicyCheck } from '../../src/cli/policy-check.js';
import { describeConfig, formatConfigProblems, loadConfig } from '../../src/config.js';
import { checkPolicyFile, checkPolicyText, loadPolicyFile, resolvePolicy } from '../../src/policy/file.js';
import { validEnv } from '../support/env.js';
import { writePolicy } from '../support/policy.js';

const SETTINGS = {
  approverGroupIds: ['SAPPROVERS'],
  approvalChannelId: 'CAPPROVALS',
  durationChoicesHours: [24, 168, 720],
  defaultDurationHours: 168,
};

function problemsOf(text: string): string[] {
  const checked = checkPolicyText(text, 'p.yml');
  if (checked.ok) throw new Error('expected problems');
  return checked.problems;
}

describe('the policy file: every problem at once, each with its path and line', () => {
  it('reports unknown keys, bad ids, durations, approvals, deny with others, duplicates, consent with auto-approval', () => {
    const problems = problemsOf(`defaults:
  approvers: [S0APPROVERS, approvers]
  approvals: 1.5
  channel: general
  durations: [1d, 2w, permanent]
  auto_approve: true
rules:
  - name: executives
    mailboxes: [ceo@corp.example, "board-*@corp.example"]
    requesters: []
    approvals: 0
    owner: maybe
  - name: Executives
    mailboxes: []
    deny: Not these.
    durations: [4h]
  - name: support
    mailboxes: ["not an address", "ok@corp.example"]
    auto_approve: yes
    owner: consent
  - name: auto
    mailboxes: ["*@help.corp.example"]
    auto_approve: true
  - name: defaults
    mailboxes: [x@corp.example]
  - mailboxes: [y@corp.example]
    colour: red
    Deny: typo
extra: 1
`);
    expect(problems).toEqual([
      'p.yml:2: defaults.approvers[1]: "approvers" is not a Slack user group id (they look like S0123ABCD)',
      'p.yml:3: defaults.approvals: must be a whole number, 1 or more',
      'p.yml:4: defaults.channel: "general" is not a channel id (they look like C0123ABCD)',
      'p.yml:5: defaults.durations[1]: "2w" is not a duration like 4h, 7d or permanent',
      'p.yml:6: defaults.auto_approve: unknown key "auto_approve" (defaults take approvers, approvals, channel, durations and owner)',
      'p.yml:10: rules[0] (executives).requesters: must name at least one user group',
      'p.yml:11: rules[0] (executives).approvals: must be at least 1: someone has to approve (use auto_approve to grant at once)',
      'p.yml:12: rules[0] (executives).owner: must be none, notify or consent (got "maybe")',
      'p.yml:13: rules[1] (Executives).name: "Executives" is already the name of rules[0]: rule names must be unique',
      'p.yml:14: rules[1] (Executives).mailboxes: must list at least one address or pattern: a rule without mailboxes matches nothing',
      'p.yml:15: rules[1] (Executives).deny: deny refuses every request for these mailboxes, so it goes only with name and mailboxes: remove durations (or remove deny)',
      'p.yml:18: rules[2] (support).mailboxes[0]: "not an address" is neither an email address nor a pattern like "*@example.com" (only * is special)',
      'p.yml:19: rules[2] (support).auto_approve: must be true or false',
      'p.yml:24: rules[4] (defaults).name: "defaults" names the mailboxes no rule matches: give this rule another name',
      'p.yml:26: rules[5].name: is required: the rule name, shown on the card and in the audit log',
      'p.yml:27: rules[5].colour: unknown key "colour" (a rule takes name, mailboxes, requesters, auto_approve, deny, approvers, approvals, channel, durations and owner)',
      'p.yml:28: rules[5].Deny: unknown key "Deny" (a rule takes name, mailboxes, requesters, auto_approve, deny, approvers, approvals, channel, durations and owner)',
      'p.yml:29: extra: unknown key "extra" (the file takes defaults and rules)',
    ]);
  });

  it('refuses auto_approve where the owner must consent, also when consent comes from defaults', () => {
    expect(
      problemsOf(`defaults:
  owner: consent
rules:
  - name: support
    mailboxes: [support@corp.example]
    auto_approve: true
`),
    ).toEqual([
      'p.yml:6: rules[0] (support).auto_approve: auto_approve grants at once, but owner: consent (from defaults) needs the owner to agree first: keep one of them',
    ]);
  });

  it('reports a mailbox pattern with a +tag: submit refuses tagged mailboxes, so it could never match', () => {
    expect(
      problemsOf(`rules:
  - name: executives
    mailboxes:
      - ceo@corp.example
      - CEO+Board@corp.example
      - "board-*+*@corp.example"
      - "+news@corp.example"
  - name: nobody
    mailboxes: ["not+an address"]
`),
      // "+news@…" is not a tagged form of another address (nothing before the +), as at submit.
    ).toEqual([
      'p.yml:5: rules[0] (executives).mailboxes[1]: "CEO+Board@corp.example" has a +tag, and the bot refuses requests for tagged mailboxes (people must ask for the plain address), so it can never match a request: write "ceo@corp.example" instead',
      'p.yml:6: rules[0] (executives).mailboxes[2]: "board-*+*@corp.example" has a +tag, and the bot refuses requests for tagged mailboxes (people must ask for the plain address), so it can never match a request: write "board-*@corp.example" instead',
      // Only the one problem for a pattern that is no address at all.
      'p.yml:9: rules[1] (nobody).mailboxes[0]: "not+an address" is neither an email address nor a pattern like "*@example.com" (only * is special)',
    ]);
  });

  it('reports broken YAML (with its line), duplicate keys, an empty file and a missing one', () => {
    expect(problemsOf('rules:\n  - name: a\n    mailboxes: [a@b.example\n')).toEqual([
      expect.stringMatching(/^p\.yml:\d: not valid YAML: /),
    ]);
    expect(problemsOf('rules: []\nrules: []\n')).toEqual([
      'p.yml:2: not valid YAML: Map keys must be unique',
    ]);
    expect(problemsOf('')).toEqual(['p.yml:1: the file is empty: give defaults, rules or both']);
    expect(problemsOf('# only a comment\n')).toEqual([
      'p.yml:1: the file is empty: give defaults, rules or both',
    ]);
    expect(problemsOf('- a\n- b\n')).toEqual(['p.yml:1: must be a mapping with defaults and rules']);
    expect(checkPolicyFile('/nonexistent/policy.yml')).toEqual({
      ok: false,
      problems: ['/nonexistent/policy.yml: cannot be read: there is no such file'],
    });
  });

  it('resolves each rule’s missing keys from defaults, and the defaults’ from the settings', () => {
    const text = `defaults:
  approvals: 2
  durations: [1d, 30d]
rules:
  - name: Exec Team
    mailboxes: ["CEO@Corp.Example", " board-*@corp.example "]
    approvers: [SSECURITY]
    owner: notify
    durations: [4h, 1d, 1d]
  - name: open
    mailboxes: ["*@open.example"]
    approvals: 1
    channel: COPEN
    requesters: [SOPEN]
    auto_approve: true
  - name: partners
    mailboxes: ["*@partner.example"]
    deny: Ask IT.
`;
    const checked = checkPolicyText(text, 'p.yml');
    if (!checked.ok) throw new Error(checked.problems.join('\n'));
    expect(checked.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    const policy = resolvePolicy(checked.spec, SETTINGS, { path: 'p.yml', sha256: checked.sha256 });
    expect(policy.defaults).toEqual({
      name: 'defaults',
      mailboxes: ['*'],
      autoApprove: false,
      approverGroupIds: ['SAPPROVERS'],
      approvals: 2,
      channelId: 'CAPPROVALS',
      durationChoicesHours: [24, 720],
      defaultDurationHours: 24,
      owner: 'none',
    });
    expect(policy.rules).toEqual([
      {
        name: 'Exec Team',
        mailboxes: ['ceo@corp.example', 'board-*@corp.example'],
        autoApprove: false,
        approverGroupIds: ['SSECURITY'],
        approvals: 2,
        channelId: 'CAPPROVALS',
        durationChoicesHours: [4, 24],
        defaultDurationHours: 24,
        owner: 'notify',
      },
      {
        name: 'open',
        mailboxes: ['*@open.example'],
        requesterGroupIds: ['SOPEN'],
        autoApprove: true,
        approverGroupIds: ['SAPPROVERS'],
        approvals: 1,
        channelId: 'COPEN',
        durationChoicesHours: [24, 720],
        defaultDurationHours: 24,
        owner: 'none',
      },
      expect.objectContaining({ name: 'partners', deny: 'Ask IT.', autoApprove: false }),
    ]);
  });

  it('keeps the settings’ default duration when the rule offers it', () => {
    const loaded = loadPolicyFile(
      writePolicy('rules:\n  - name: a\n    mailboxes: [a@b.example]\n'),
      SETTINGS,
    );
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(loaded.policy.rules[0]).toMatchObject({
      durationChoicesHours: [24, 168, 720],
      defaultDurationHours: 168,
    });
    expect(loaded.policy.file?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts policy.example.yml', () => {
    const checked = checkPolicyText(readFileSync('policy.example.yml'), 'policy.example.yml');
    expect(checked.ok).toBe(true);
  });
});

describe('POLICY_PATH in the settings', () => {
  it('loads the policy with the settings, and lists it in describeConfig', () => {
    const path = writePolicy('rules:\n  - name: exec\n    mailboxes: [ceo@example.com]\n    approvals: 2\n');
    const loaded = loadConfig(validEnv({ POLICY_PATH: path }));
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(loaded.config.approvalPolicy.rules).toEqual([
      expect.objectContaining({
        name: 'exec',
        approvals: 2,
        approverGroupIds: ['SAPPROVERS'],
        channelId: 'CAPPROVALS',
      }),
    ]);
    expect(Object.isFrozen(loaded.config.approvalPolicy.rules[0])).toBe(true);
    expect(describeConfig(loaded.config)).toMatchObject({ policyFile: path, policyRules: ['exec'] });
  });

  it('without it, the settings are the policy and describeConfig says nothing of a file', () => {
    const loaded = loadConfig(validEnv());
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(loaded.config.approvalPolicy).toEqual({
      defaults: {
        name: 'defaults',
        mailboxes: ['*'],
        autoApprove: false,
        approverGroupIds: ['SAPPROVERS'],
        approvals: 1,
        channelId: 'CAPPROVALS',
        durationChoicesHours: [24, 168, 720],
        defaultDurationHours: 24,
        owner: 'none',
      },
      rules: [],
    });
    expect(describeConfig(loaded.config)).not.toHaveProperty('policyFile');
  });

  it('reports the file’s problems with the other settings’ problems, each under POLICY_PATH', () => {
    const path = writePolicy('rules:\n  - name: a\n    mailboxes: [a@b.example]\n    approvals: 0\n');
    const loaded = loadConfig(validEnv({ POLICY_PATH: path, APPROVAL_CHANNEL_ID: 'nope' }));
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(formatConfigProblems(loaded.problems)).toBe(
      [
        'Configuration is invalid (2 problems):',
        '  - APPROVAL_CHANNEL_ID: "nope" is not a channel id (they look like C0123ABCD)',
        `  - POLICY_PATH: ${path}:4: rules[0] (a).approvals: must be at least 1: someone has to approve (use auto_approve to grant at once)`,
        'See .env.example and docs/settings.md for every setting.',
      ].join('\n'),
    );
  });
});

describe('npm run policy:check', () => {
  it('checks the file given, or POLICY_PATH; says how to use it otherwise', () => {
    const good = writePolicy('rules:\n  - name: a\n    mailboxes: [a@b.example]\n');
    const hash = createHash('sha256').update(readFileSync(good)).digest('hex');
    expect(runPolicyCheck([good], {})).toEqual({ code: 0, out: `${good}: OK, 1 rule (a), sha256 ${hash}\n` });
    expect(runPolicyCheck([], { POLICY_PATH: good })).toEqual({
      code: 0,
      out: `${good}: OK, 1 rule (a), sha256 ${hash}\n`,
    });
    const usage = 'Usage: npm run policy:check -- path/to/policy.yml   (or set POLICY_PATH)\n';
    expect(runPolicyCheck([], {})).toEqual({ code: 2, out: usage });
    expect(runPolicyCheck([good, good], {})).toEqual({ code: 2, out: usage });
    expect(runPolicyCheck(['/nonexistent.yml'], {})).toEqual({
      code: 1,
      out: '/nonexistent.yml: cannot be read: there is no such file\n/nonexistent.yml: 1 problem; the bot would refuse to start with it.\n',
    });
  });
});
