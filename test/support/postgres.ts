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
import pg from 'pg';
import { inject } from 'vitest';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../testkit/postgres.js';

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
    const server = await startEmbeddedPostgres();
    project.provide('postgres', { url: server.url });
    return server.stop;
  } catch (error) {
    project.provide('postgres', { error: error instanceof Error ? error.message : String(error) });
    return async () => {};
  }
}
