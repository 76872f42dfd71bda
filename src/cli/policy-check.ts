/**
 * Checks an approval policy file, the way the bot does at start:
 *   npm run policy:check -- path/to/policy.yml     (or POLICY_PATH from the environment or .env)
 * Prints every problem, each as `file:line: path: what is wrong`, and exits 1 if there is any; prints a
 * one-line summary and exits 0 otherwise. Reads no other setting: the rules are checked on their own,
 * and the keys they leave out come from the settings when the bot starts.
 */
import { config as loadDotenv } from 'dotenv';
import { checkPolicyFile } from '../policy/file.js';

export function runPolicyCheck(argv: string[], env: NodeJS.ProcessEnv): { code: number; out: string } {
  const path = argv[0] ?? env.POLICY_PATH?.trim();
  if (!path || argv.length > 1) return { code: 2, out: USAGE };
  const checked = checkPolicyFile(path);
  if (!checked.ok) {
    const count = checked.problems.length;
    return {
      code: 1,
      out: `${checked.problems.join('\n')}\n${path}: ${count} problem${count === 1 ? '' : 's'}; the bot would refuse to start with it.\n`,
    };
  }
  const rules = checked.spec.rules ?? [];
  const names = rules.map((rule) => rule.name).join(', ');
  return {
    code: 0,
    out: `${path}: OK, ${rules.length} rule${rules.length === 1 ? '' : 's'}${names ? ` (${names})` : ''}, sha256 ${checked.sha256}\n`,
  };
}

const USAGE = 'Usage: npm run policy:check -- path/to/policy.yml   (or set POLICY_PATH)\n';

if (import.meta.url === `file://${process.argv[1]}`) {
  loadDotenv({ quiet: true });
  const result = runPolicyCheck(process.argv.slice(2), process.env);
  (result.code === 0 ? process.stdout : process.stderr).write(result.out);
  process.exitCode = result.code;
}
