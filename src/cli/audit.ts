/**
 * Audit log tools for compliance reviews:
 *   npm run audit:verify                      checks the hash chain of every event
 *   npm run audit:export -- --since 2026-01-01 --format csv|jsonl [--out file]
 * They read only the database settings (DATABASE_URL for PostgreSQL, or DATABASE_PATH for SQLite, from the
 * environment or .env), never Slack or Mimecast settings.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { formatConfigProblems, loadDatabaseConfig } from '../config.js';
import type { Store } from '../requests/ports/index.js';
import { verifyChain } from '../store/audit-chain.js';
import { type ExportFormat, formatAudit } from '../store/audit-export.js';
import { createStore } from '../store/open.js';

type Opened = { ok: true; store: Store } | { ok: false; failed: { code: number; out: string } };

/** The store the settings name, ready to read; or why it could not be opened. */
async function openStore(env: NodeJS.ProcessEnv): Promise<Opened> {
  const settings = loadDatabaseConfig(env);
  if (!settings.ok)
    return { ok: false, failed: { code: 2, out: `${formatConfigProblems(settings.problems)}\n` } };
  const { store, ready } = createStore(settings.database, { backgroundCheckpoints: false });
  try {
    await ready;
  } catch (error) {
    await store.close();
    return {
      ok: false,
      failed: { code: 1, out: `${error instanceof Error ? error.message : String(error)}\n` },
    };
  }
  return { ok: true, store };
}

export async function runAuditCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string }> {
  const [command, ...rest] = argv;
  if (command === 'verify') {
    const opened = await openStore(env);
    if (!opened.ok) return opened.failed;
    const { store } = opened;
    try {
      const result = verifyChain(await store.listAudit({}));
      if (result.ok) return { code: 0, out: `Audit chain intact: ${result.count} events verified.\n` };
      return {
        code: 1,
        out: `Audit chain BROKEN at event #${result.brokenAt}: ${result.why}. Events from #${result.brokenAt} on cannot be trusted.\n`,
      };
    } finally {
      await store.close();
    }
  }
  if (command === 'export') {
    let values: { since?: string; format?: string; out?: string };
    try {
      ({ values } = parseArgs({
        args: rest,
        options: { since: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
      }));
    } catch (error) {
      return { code: 2, out: `${error instanceof Error ? error.message : String(error)}\n${USAGE}` };
    }
    const format = (values.format ?? 'jsonl') as ExportFormat;
    if (format !== 'csv' && format !== 'jsonl')
      return { code: 2, out: `--format must be csv or jsonl.\n${USAGE}` };
    const since = values.since ? new Date(values.since) : undefined;
    if (since && Number.isNaN(since.getTime()))
      return { code: 2, out: `--since must be a date like 2026-01-01.\n${USAGE}` };
    const opened = await openStore(env);
    if (!opened.ok) return opened.failed;
    const { store } = opened;
    try {
      const text = formatAudit(await store.listAudit(since ? { since } : {}), format);
      if (values.out) {
        writeFileSync(values.out, text);
        return { code: 0, out: `Wrote ${values.out}\n` };
      }
      return { code: 0, out: text };
    } finally {
      await store.close();
    }
  }
  return { code: 2, out: USAGE };
}

const USAGE =
  'Usage: npm run audit:verify\n       npm run audit:export -- [--since 2026-01-01] [--format csv|jsonl] [--out file]\n';

if (import.meta.url === `file://${process.argv[1]}`) {
  loadDotenv({ quiet: true });
  const result = await runAuditCli(process.argv.slice(2), process.env);
  (result.code === 0 ? process.stdout : process.stderr).write(result.out);
  process.exitCode = result.code;
}
