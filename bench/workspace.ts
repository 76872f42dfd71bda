/**
 * The world the bot runs in during the benchmark: the Slack and Mimecast simulators (in this process),
 * a workspace with many requesters and shared mailboxes, the bot's database (a SQLite file, or a
 * database on an embedded PostgreSQL server), the load generator's process, and the bookkeeping of
 * what the bot asked of both simulators.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type AppConfig, loadConfig } from '../src/config.js';
import { ADD_DELEGATE_PATH } from '../src/mimecast/client.js';
import { APPROVAL_CHANNEL, BOT_TOKEN, MAILBOXES, simulatorSettings, USERS } from '../testkit/local-stack.js';
import { type MimecastSimulator, startMimecastSimulator } from '../testkit/mimecast/index.js';
import { createDatabase, type EmbeddedPostgres, startEmbeddedPostgres } from '../testkit/postgres.js';
import { type DirectoryUser, type SlackSimulator, startSlackSimulator } from '../testkit/slack/index.js';
import type { BenchStore } from './args.js';
import { buildBotProcess } from './build.js';
import { canPin, Generator, pin } from './generator-link.js';
import { SimWatcher } from './sim-tools.js';

/** Requesters × shared mailboxes = distinct (requester, mailbox) pairs: one request each, never reused. */
const REQUESTERS = 250;
const SHARED_MAILBOXES = 100;
export const GROUP_CACHE_TTL_SECONDS = 60; // the bot's default, set explicitly so the check knows it

export interface Pair {
  userId: string;
  mailbox: string;
}

/** Slack and Mimecast calls, counted before the simulators' recordings are cleared. */
export class Tally {
  readonly slack = new Map<string, number>();
  /** usergroups.users.list calls by group id. */
  readonly groupLoads = new Map<string, number>();
  readonly mimecast = new Map<string, number>();
  /** Slack calls the simulator refused, by method and error (e.g. views.open: expired_trigger_id). */
  readonly slackErrors = new Map<string, number>();
  readonly problems: string[] = [];

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** What the bot's own database says at the end: requests by status, notices not delivered. */
export interface DatabaseSummary {
  statuses: Record<string, number>;
  noticesPending: number;
  noticesGivenUp: number;
}

/** The database of one bot process. */
export interface BotDatabase {
  /** DATABASE_PATH or DATABASE_URL. */
  env: Record<string, string>;
  inspect(): Promise<DatabaseSummary>;
}

const SUMMARY_SQL = {
  statuses: 'SELECT status, COUNT(*) AS n FROM requests GROUP BY status',
  pending: 'SELECT COUNT(*) AS n FROM notices WHERE done_at IS NULL',
  givenUp: 'SELECT COUNT(*) AS n FROM notices WHERE done_at IS NOT NULL AND NOT delivered',
};

export interface Workspace {
  sim: SlackSimulator;
  mimecast: MimecastSimulator;
  watcher: SimWatcher;
  requesters: DirectoryUser[];
  /** The bot's configuration, as the child process will load it. */
  config: AppConfig;
  /** performance.now() after which no new work starts. */
  deadline: number;
  /** The compiled bench/bot-process.js. */
  script: string;
  store: BenchStore;
  /** The load generator's process: sends and times the requests (see bench/generator.ts). */
  generator: Generator;
  /** How the processes were placed on the CPUs, for the report. */
  placement: string;
  /** Mimecast adds per (grantee, mailbox) body over the whole run: each approval must cause exactly one. */
  addsPerPair: Map<string, number>;
  /** Fresh (requester, mailbox) pairs, each used once in the whole run. */
  takePairs(count: number): Pair[];
  /** Pairs for the baseline, which stores nothing: they may repeat. */
  anyPairs(count: number): Pair[];
  /** The environment of a bot process on this database (the baseline gets an unused in-memory one). */
  botEnv(database?: BotDatabase): Record<string, string>;
  /** A fresh database for one bot process, of the kind this run measures. */
  newDatabase(name: string): Promise<BotDatabase>;
  close(): Promise<void>;
}

/**
 * With `taskset` and at least two CPUs, this process (the simulators) is pinned to the first CPU and the
 * load generator to the last, so that they never take turns on one core; the bot, the baseline and
 * PostgreSQL are left to the scheduler.
 */
async function startGenerator(script: string): Promise<{ generator: Generator; placement: string }> {
  const count = cpus().length;
  if (count < 2 || !canPin()) {
    const why = count < 2 ? 'one CPU' : 'no taskset';
    return { generator: await Generator.start(script, undefined), placement: `not pinned (${why})` };
  }
  const simulatorsPinned = pin(process.pid, 0);
  const generator = await Generator.start(script, count - 1);
  return {
    generator,
    placement: simulatorsPinned
      ? `simulators pinned to CPU 0, load generator to CPU ${count - 1} (taskset); the apps and the database unpinned`
      : `load generator pinned to CPU ${count - 1} (taskset); the rest unpinned`,
  };
}

export async function startWorkspace(deadline: number, store: BenchStore): Promise<Workspace> {
  const build = buildBotProcess();
  const dataDir = mkdtempSync(join(tmpdir(), 'delegate-bench-'));
  const { generator, placement } = await startGenerator(build.generator);
  const postgres: EmbeddedPostgres | undefined =
    store === 'postgres' ? await startEmbeddedPostgres() : undefined;
  const sim = await startSlackSimulator({ botToken: BOT_TOKEN });
  const requesters = Array.from({ length: REQUESTERS }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return {
      id: `UREQ${n}`,
      name: `requester${n}`,
      realName: `Requester ${n}`,
      email: `requester${n}@example.com`,
    };
  });
  const mailboxes = Array.from(
    { length: SHARED_MAILBOXES },
    (_, i) => `shared${String(i + 1).padStart(4, '0')}@example.com`,
  );
  const mimecast = await startMimecastSimulator({
    mailboxes: [...MAILBOXES, ...mailboxes, ...requesters.map((user) => user.email)],
  });
  for (const user of [...Object.values(USERS), ...requesters]) sim.addUser(user);
  sim.setUsergroup('SREQUESTERS', [USERS.alice.id, USERS.bob.id, ...requesters.map((user) => user.id)]);
  sim.setUsergroup('SAPPROVERS', [USERS.bob.id, USERS.carol.id]);
  sim.setUsergroup('SADMINS', [USERS.admin.id]);
  sim.addChannel(APPROVAL_CHANNEL, 'mailbox-access');

  const botEnv = (database?: BotDatabase): Record<string, string> => {
    const settings: Record<string, string> = simulatorSettings(sim, mimecast, ':memory:');
    if (database) {
      delete settings.DATABASE_PATH;
      Object.assign(settings, database.env);
    }
    return {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: tmpdir(),
      // Passed on so that the README's smaller-memory profile can be measured (glibc reads it at start).
      ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
      ...settings,
      GROUP_CACHE_TTL_SECONDS: String(GROUP_CACHE_TTL_SECONDS),
      // Each synthetic requester has many requests waiting at once (the ack phase leaves thousands
      // pending): far more than a person may have (MAX_OPEN_REQUESTS, 5 by default).
      MAX_OPEN_REQUESTS: '100',
      // The production default; long enough for the 5 s Mimecast delay to end in success.
      MIMECAST_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'warn',
    };
  };
  const loaded = loadConfig({ ...botEnv(), PORT: '0' });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));

  let nextPair = 0;
  const pairAt = (k: number): Pair => ({
    userId: requesters[k % REQUESTERS]!.id,
    mailbox: mailboxes[Math.floor(k / REQUESTERS) % SHARED_MAILBOXES]!,
  });
  const watcher = new SimWatcher(sim, APPROVAL_CHANNEL);

  return {
    sim,
    mimecast,
    watcher,
    requesters,
    config: loaded.config,
    deadline,
    script: build.script,
    store,
    generator,
    placement,
    addsPerPair: new Map(),
    takePairs: (count) =>
      Array.from({ length: count }, () => {
        if (nextPair >= REQUESTERS * SHARED_MAILBOXES) throw new Error('out of (requester, mailbox) pairs');
        return pairAt(nextPair++);
      }),
    anyPairs: (count) => Array.from({ length: count }, (_, k) => pairAt(k)),
    botEnv,
    async newDatabase(name) {
      if (postgres) {
        const url = await createDatabase(postgres.url, `bench_${name}`);
        return { env: { DATABASE_URL: url }, inspect: () => inspectPostgres(url) };
      }
      const path = join(dataDir, `${name}.sqlite`);
      return { env: { DATABASE_PATH: path }, inspect: async () => inspectSqlite(path) };
    },
    async close() {
      watcher.close();
      await generator.stop();
      await sim.close();
      await mimecast.close();
      await postgres?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(build.dir, { recursive: true, force: true });
    },
  };
}

function inspectSqlite(path: string): DatabaseSummary {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const count = (sql: string) => db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
    const statuses = db.prepare<[], { status: string; n: number }>(SUMMARY_SQL.statuses).all();
    return {
      statuses: Object.fromEntries(statuses.map((row) => [row.status, row.n])),
      noticesPending: count(SUMMARY_SQL.pending),
      noticesGivenUp: count(SUMMARY_SQL.givenUp),
    };
  } finally {
    db.close();
  }
}

async function inspectPostgres(url: string): Promise<DatabaseSummary> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    const statuses = (await client.query<{ status: string; n: string }>(SUMMARY_SQL.statuses)).rows;
    return {
      statuses: Object.fromEntries(statuses.map((row) => [row.status, Number(row.n)])),
      noticesPending: await count(SUMMARY_SQL.pending),
      noticesGivenUp: await count(SUMMARY_SQL.givenUp),
    };
  } finally {
    await client.end();
  }
}

/** Waits until neither simulator has recorded a call for `quietMs` (at most 10 s). */
export async function waitQuiet(ws: Workspace, quietMs = 300): Promise<void> {
  const stopAt = performance.now() + 10_000;
  let last = -1;
  let since = performance.now();
  while (performance.now() < stopAt) {
    const now = ws.sim.calls.length + ws.mimecast.calls.length;
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
    await sleep(25);
  }
}

/**
 * Counts the recorded calls into `tally`, then clears the simulators' recordings, so that their linear
 * scans (findMessage, findView) stay short over thousands of flows. Call it once the bot is quiet: the
 * cards of requests still in flight would be forgotten.
 */
export function flush(ws: Workspace, tally: Tally): void {
  for (const call of ws.sim.calls) {
    tally.count(tally.slack, call.method);
    if (call.method === 'usergroups.users.list') tally.count(tally.groupLoads, String(call.args.usergroup));
    if (!call.ok) tally.count(tally.slackErrors, `${call.method}: ${call.error}`);
  }
  for (const call of ws.mimecast.calls) {
    tally.count(tally.mimecast, call.path);
    if (call.path === ADD_DELEGATE_PATH) tally.count(ws.addsPerPair, call.rawBody);
  }
  for (const problem of ws.sim.problems) if (tally.problems.length < 20) tally.problems.push(problem);
  ws.sim.reset();
  ws.mimecast.reset();
  ws.watcher.reset();
}
