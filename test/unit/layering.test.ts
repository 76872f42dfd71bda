import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/**
 * The folder arrows of docs/architecture.md are enforced by Biome's noRestrictedImports, set per folder
 * in biome.json's overrides. These tests lint sample files with the project's own biome.json, copied
 * into a scratch directory so the samples never touch src/: a forbidden import must fail `npm run lint`
 * with the rule's message, and the imports the layering allows must pass.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
const RULE = 'lint/style/noRestrictedImports';
const TEMPORARY = 'TEMPORARY exception';

const patternsSchema = z.array(z.looseObject({ group: z.array(z.string()), message: z.string() }));
const biomeConfigSchema = z.looseObject({
  overrides: z.array(
    z.looseObject({
      includes: z.array(z.string()),
      linter: z.looseObject({
        rules: z.looseObject({
          style: z.looseObject({
            noRestrictedImports: z.looseObject({ options: z.looseObject({ patterns: patternsSchema }) }),
          }),
        }),
      }),
    }),
  ),
});
type BiomeConfig = z.infer<typeof biomeConfigSchema>;
type Override = BiomeConfig['overrides'][number];

const reportSchema = z.looseObject({
  diagnostics: z.array(
    z.looseObject({
      category: z.string(),
      message: z.string(),
      location: z.looseObject({ path: z.string() }),
    }),
  ),
});

const projectConfig: unknown = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8'));

interface LintRun {
  exitCode: number;
  /** Per linted file, each diagnostic as "category: message". */
  diagnostics: Record<string, string[]>;
}

/** Runs `biome lint` with `config` on `files` (path → source) written to a scratch directory. */
async function lint(config: unknown, files: Record<string, string>): Promise<LintRun> {
  const dir = await mkdtemp(join(tmpdir(), 'layering-'));
  try {
    await writeFile(join(dir, 'biome.json'), JSON.stringify(config));
    for (const [path, source] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), source);
    }
    const args = ['lint', '--vcs-enabled=false', '--reporter=json', '--max-diagnostics=none'];
    const { exitCode, stdout } = await new Promise<{ exitCode: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [BIOME, ...args, ...Object.keys(files)], { cwd: dir }, (error, out) => {
        resolve({
          exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout: out,
        });
      });
    });
    const diagnostics: Record<string, string[]> = {};
    for (const { category, message, location } of reportSchema.parse(JSON.parse(stdout)).diagnostics) {
      diagnostics[location.path] = [...(diagnostics[location.path] ?? []), `${category}: ${message}`];
    }
    return { exitCode, diagnostics };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const valueImport = (specifier: string) => `import { x } from '${specifier}';\n\nexport { x };\n`;
const typeImport = (specifier: string) => `import type { X } from '${specifier}';\n\nexport type { X };\n`;

const SLACK_IN_CORE = 'src/requests/ is the core and knows no Slack';
const STORE_IN_CORE = 'src/requests/ must not import a store implementation';
const CLIENT_IN_CORE = 'src/requests/ may import only src/mimecast/types.ts';
const OURS_IN_MIMECAST = 'src/mimecast/ imports nothing of ours but ../logger.js';
const UP_FROM_STORE = 'src/store/ must not import src/slack/ or src/mimecast/';
const TESTKIT_IN_SRC = 'Nothing in src/ imports testkit/';

/** [file, source, the start of the message `npm run lint` must print for it]. */
const FORBIDDEN: [string, string, string][] = [
  ['src/requests/uses-slack.ts', valueImport('../slack/mrkdwn.js'), SLACK_IN_CORE],
  ['src/requests/uses-bolt.ts', typeImport('@slack/bolt'), SLACK_IN_CORE],
  ['src/requests/uses-store.ts', typeImport('../store/store.js'), STORE_IN_CORE],
  ['src/requests/uses-sqlite.ts', valueImport('../store/sqlite/store.js'), STORE_IN_CORE],
  ['src/requests/uses-client.ts', valueImport('../mimecast/client.js'), CLIENT_IN_CORE],
  ['src/requests/ports/uses-client.ts', typeImport('../../mimecast/client.js'), CLIENT_IN_CORE],
  ['src/requests/uses-testkit.ts', valueImport('../../testkit/driver.js'), TESTKIT_IN_SRC],
  // The facade (src/requests/service.ts) is held to the core's rules like every verb.
  ['src/requests/service.ts', valueImport('../slack/mrkdwn.js'), SLACK_IN_CORE],
  ['src/mimecast/uses-requests.ts', typeImport('../requests/model.js'), OURS_IN_MIMECAST],
  ['src/mimecast/uses-slack.ts', valueImport('../slack/mrkdwn.js'), OURS_IN_MIMECAST],
  ['src/mimecast/uses-testkit.ts', valueImport('../../testkit/mimecast/index.js'), OURS_IN_MIMECAST],
  ['src/store/uses-slack.ts', valueImport('../slack/mrkdwn.js'), UP_FROM_STORE],
  ['src/store/uses-mimecast.ts', typeImport('../mimecast/types.js'), UP_FROM_STORE],
  ['src/store/sqlite/uses-client.ts', valueImport('../../mimecast/client.js'), UP_FROM_STORE],
  ['src/store/uses-testkit.ts', valueImport('../../testkit/local-stack.js'), TESTKIT_IN_SRC],
  ['src/slack/uses-testkit.ts', valueImport('../../testkit/slack/index.js'), TESTKIT_IN_SRC],
  ['src/uses-testkit.ts', valueImport('../testkit/local-stack.js'), TESTKIT_IN_SRC],
];

/** Arrows the layering allows, including the look-alikes a careless pattern would catch. */
const ALLOWED: Record<string, string> = {
  'src/requests/mimecast-vocabulary.ts': typeImport('../mimecast/types.js'),
  'src/requests/ports/mimecast.ts': typeImport('../../mimecast/types.js'),
  'src/requests/store-port.ts': typeImport('./ports/store.js'),
  'src/requests/logs.ts': typeImport('../logger.js'),
  'src/mimecast/logs.ts': typeImport('../logger.js'),
  'src/mimecast/own-file.ts': typeImport('./types.js'),
  'src/mimecast/pool.ts': valueImport('undici'),
  'src/store/model.ts': typeImport('../requests/model.js'),
  'src/store/sqlite/driver.ts': valueImport('better-sqlite3'),
  'src/slack/store.ts': typeImport('../store/store.js'),
  'src/slack/bolt.ts': valueImport('@slack/bolt'),
  'src/slack/mimecast.ts': typeImport('../mimecast/types.js'),
  'src/composition.ts': valueImport('./mimecast/client.js'),
  'test/uses-testkit.ts': valueImport('../testkit/local-stack.js'),
};

const isTemporary = (override: Override) =>
  override.linter.rules.style.noRestrictedImports.options.patterns.some((pattern) =>
    pattern.message.includes(TEMPORARY),
  );

describe('layering (noRestrictedImports in biome.json)', () => {
  it('fails lint on every forbidden arrow, with the rule message that names it', async () => {
    const run = await lint(
      projectConfig,
      Object.fromEntries(FORBIDDEN.map(([path, source]) => [path, source])),
    );
    expect(run.exitCode).not.toBe(0);
    expect(run.diagnostics).toEqual(
      Object.fromEntries(
        FORBIDDEN.map(([path, , message]) => [path, [expect.stringMatching(`^${RULE}: ${message}`)]]),
      ),
    );
  });

  it('passes the imports the layering allows', async () => {
    const run = await lint(projectConfig, ALLOWED);
    expect(run.diagnostics).toEqual({});
    expect(run.exitCode).toBe(0);
  });

  it('keeps each TEMPORARY exception only while the file it names still needs it', async () => {
    const config = biomeConfigSchema.parse(projectConfig);
    const excepted = config.overrides.filter(isTemporary).flatMap((override) => override.includes);
    const withoutExceptions = { ...config, overrides: config.overrides.filter((o) => !isTemporary(o)) };
    const present = excepted.filter((path) => existsSync(join(ROOT, path)));
    const run = await lint(
      withoutExceptions,
      Object.fromEntries(present.map((path) => [path, readFileSync(join(ROOT, path), 'utf8')])),
    );
    for (const path of excepted) {
      expect(
        run.diagnostics[path]?.some((line) => line.startsWith(RULE)) ?? false,
        `${path} no longer breaks the layering (or is gone): delete its TEMPORARY override in biome.json`,
      ).toBe(true);
    }
  });
});
