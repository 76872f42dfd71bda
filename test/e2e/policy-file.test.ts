import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validEnv } from '../support/env.js';
import { writePolicy } from '../support/policy.js';

/** The bot and npm run policy:check, each in a process of its own, on a bad policy file and on the example. */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a command of the repository in a process of its own. */
function runProcess(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

describe('a bad policy file', () => {
  const BAD = `defaults:
  approvals: 0
rules:
  - name: executives
    mailboxes: [ceo@example.com]
    approvers: [security]
  - name: executives
    mailboxes: ["*@partner.example"]
    deny: No.
    owner: notify
    colour: red
`;

  it('stops the bot at start with every problem, its path and line', async () => {
    const path = writePolicy(BAD);
    const result = await runProcess(['src/main.ts'], {
      ...validEnv(),
      POLICY_PATH: path,
      LOG_LEVEL: 'silent',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        'Configuration is invalid (5 problems):',
        `  - POLICY_PATH: ${path}:2: defaults.approvals: must be at least 1: someone has to approve (use auto_approve to grant at once)`,
        `  - POLICY_PATH: ${path}:6: rules[0] (executives).approvers[0]: "security" is not a Slack user group id (they look like S0123ABCD)`,
        `  - POLICY_PATH: ${path}:7: rules[1] (executives).name: "executives" is already the name of rules[0]: rule names must be unique`,
        `  - POLICY_PATH: ${path}:9: rules[1] (executives).deny: deny refuses every request for these mailboxes, so it goes only with name and mailboxes: remove owner, colour (or remove deny)`,
        `  - POLICY_PATH: ${path}:11: rules[1] (executives).colour: unknown key "colour" (a rule takes name, mailboxes, requesters, auto_approve, deny, approvers, approvals, channel, durations and owner)`,
        'See .env.example and docs/settings.md for every setting.',
        '',
      ].join('\n'),
    );
    expect(result.stdout).toBe('');
  });

  it('npm run policy:check prints the same problems and exits 1; the example passes', async () => {
    const path = writePolicy(BAD);
    const bad = await runProcess(['src/cli/policy-check.ts', path], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n')).toEqual([
      `${path}:2: defaults.approvals: must be at least 1: someone has to approve (use auto_approve to grant at once)`,
      `${path}:6: rules[0] (executives).approvers[0]: "security" is not a Slack user group id (they look like S0123ABCD)`,
      `${path}:7: rules[1] (executives).name: "executives" is already the name of rules[0]: rule names must be unique`,
      `${path}:9: rules[1] (executives).deny: deny refuses every request for these mailboxes, so it goes only with name and mailboxes: remove owner, colour (or remove deny)`,
      `${path}:11: rules[1] (executives).colour: unknown key "colour" (a rule takes name, mailboxes, requesters, auto_approve, deny, approvers, approvals, channel, durations and owner)`,
      `${path}: 5 problems; the bot would refuse to start with it.`,
      '',
    ]);

    const example = await runProcess(['src/cli/policy-check.ts', 'policy.example.yml'], {});
    expect(example.stderr).toBe('');
    expect(example.stdout).toMatch(
      /^policy\.example\.yml: OK, 4 rules \(executives, hr, support-inboxes, partners\), sha256 [0-9a-f]{64}\n$/,
    );
    expect(example.code).toBe(0);
  });

  it('npm run policy:check reports a mailbox pattern with a +tag, with its line, and exits 1', async () => {
    const path = writePolicy(`rules:
  - name: executives
    mailboxes: [ceo@example.com, "ceo+*@example.com"]
`);
    const result = await runProcess(['src/cli/policy-check.ts', path], {});
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      `${path}:3: rules[0] (executives).mailboxes[1]: "ceo+*@example.com" has a +tag, and the bot refuses requests for tagged mailboxes (people must ask for the plain address), so it can never match a request: write "ceo@example.com" instead`,
      `${path}: 1 problem; the bot would refuse to start with it.`,
      '',
    ]);
  });
});
