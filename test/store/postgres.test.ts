import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { redactDatabaseUrl } from '../../src/config.js';
import type { Store } from '../../src/requests/ports/index.js';
import { createStore } from '../../src/store/open.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';
import { AT, request, storeContract, submitted, type TestDb } from './contract.js';

// This file's database, made by the first test that asks, so that every test fails with the reason
// when the server is not there (rather than being reported as skipped after a failed beforeAll).
let database: Promise<TestDatabase> | undefined;
afterAll(async () => (await database?.catch(() => undefined))?.drop());

/** An empty schema of this file's database (or, with `own`, a database of its own), and stores on it. */
async function postgresDatabase(own = false): Promise<TestDb & { url: string }> {
  const mine = own ? await freshDatabase() : undefined;
  database ??= freshDatabase();
  const url = mine ? mine.url : await (await database).schema();
  const stores: Store[] = [];
  const onConnection = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    async open() {
      const store = await PostgresStore.open({ url, poolSize: 10 });
      stores.push(store);
      return store;
    },
    async exec(sql) {
      await onConnection((client) => client.query(sql));
    },
    async query<T>(sql: string) {
      return onConnection(async (client) => (await client.query(sql)).rows as T[]);
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      await mine?.drop();
    },
  };
}

storeContract({
  name: 'PostgreSQL',
  database: () => postgresDatabase(),
  bypassAppendOnly: 'ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update',
  refuseNoticeUpdates: (message) => ({
    install: `CREATE FUNCTION notices_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '${message}'; END $$;
              CREATE TRIGGER notices_refuse BEFORE UPDATE ON notices FOR EACH ROW EXECUTE FUNCTION notices_refuse()`,
    remove: 'DROP TRIGGER notices_refuse ON notices; DROP FUNCTION notices_refuse()',
  }),
});

describe.concurrent('PostgresStore alone', () => {
  it('migrates once when two processes start on a fresh database at the same moment', async ({ expect }) => {
    const db = await postgresDatabase(true);
    try {
      const [a, b] = await Promise.all([db.open(), db.open()]);
      // Each migration applied once: versions 1 to the last, no gaps, no repeats.
      expect(await db.query('SELECT version FROM schema_migrations ORDER BY version')).toEqual(
        MIGRATIONS.map((_, index) => ({ version: index + 1 })),
      );
      await a!.createRequest(request(), submitted('DR-AAAAAA'), [{ target: 'card', event: 'submitted' }]);
      expect((await b!.getRequest('DR-AAAAAA'))?.status).toBe('pending');
      // A third, later, finds nothing to do and sees the same data.
      const c = await db.open();
      expect(await db.query('SELECT count(*)::int AS n FROM schema_migrations')).toEqual([
        { n: MIGRATIONS.length },
      ]);
      expect(await c.dueNotices(AT, 10)).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('keeps timestamps as timestamptz and the request whole as jsonb beside its indexed columns', async ({
    expect,
  }) => {
    const db = await postgresDatabase();
    try {
      await db.open();
      const columns = await db.query<{ table_name: string; column_name: string; data_type: string }>(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name IN ('requests', 'notices', 'audit_events')
            AND (data_type LIKE 'timestamp%' OR data_type = 'jsonb')
          ORDER BY table_name, column_name`,
      );
      expect(columns.map((c) => `${c.table_name}.${c.column_name}: ${c.data_type}`)).toEqual([
        'audit_events.at: timestamp with time zone',
        'audit_events.details: jsonb',
        'notices.created_at: timestamp with time zone',
        'notices.data: jsonb',
        'notices.done_at: timestamp with time zone',
        'notices.lease_until: timestamp with time zone',
        'notices.next_attempt_at: timestamp with time zone',
        'notices.snapshot: jsonb',
        'requests.created_at: timestamp with time zone',
        'requests.doc: jsonb',
        'requests.expires_at: timestamp with time zone',
        'requests.updated_at: timestamp with time zone',
      ]);
    } finally {
      await db.close();
    }
  });

  it('refuses to truncate the audit log', async ({ expect }) => {
    const db = await postgresDatabase();
    try {
      const store = await db.open();
      await store.appendAudit({ requestId: null, actor: 'UADMIN', action: 'admin_command' }, AT);
      await expect(db.exec('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
      expect(await store.listAudit({})).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('releases no leases at start-up: another replica may be delivering them; they run out instead', async ({
    expect,
  }) => {
    const db = await postgresDatabase();
    try {
      const store = await db.open();
      for (const id of ['DR-AAAAAA', 'DR-BBBBBB'])
        await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
      const claimed = await store.claimDueNotices(AT, new Date(AT.getTime() + 60_000), 10);
      expect(claimed).toHaveLength(2);
      const restarted = await db.open();
      expect(restarted.singleProcess).toBe(false);
      expect(await restarted.releaseNoticeLeases()).toBe(0);
      expect(await restarted.dueNotices(AT, 10)).toEqual([]);
      expect(await restarted.dueNotices(new Date(AT.getTime() + 60_000), 10)).toHaveLength(2);
    } finally {
      await db.close();
    }
  });

  it('is what DATABASE_URL selects, and says which database it could not open without its password', async ({
    expect,
  }) => {
    const db = await postgresDatabase();
    try {
      const opened = createStore({ kind: 'postgres', url: db.url, poolSize: 2 });
      expect(opened.store).toBeInstanceOf(PostgresStore);
      await opened.ready;
      expect(await opened.store.ping()).toBe(true);
      await opened.store.close();

      // A wrong password for a database that is not there: refused whatever the server's authentication.
      const wrong = new URL(db.url);
      wrong.password = 'not-the-S3cret-password';
      wrong.pathname = '/delegate_no_such_database';
      const refused = createStore({ kind: 'postgres', url: wrong.toString(), poolSize: 1 });
      const failure = await refused.ready.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      const { message } = failure as Error;
      expect(
        message.startsWith(
          `Could not open the PostgreSQL database at ${redactDatabaseUrl(wrong.toString())}: `,
        ),
      ).toBe(true);
      expect(redactDatabaseUrl(wrong.toString())).toMatch(/^postgres:\/\/\w+:\*\*\*@/);
      expect(message).toMatch(/password authentication failed|does not exist/);
      expect(message).not.toContain('S3cret');
      expect(await refused.store.ping()).toBe(false);
      await refused.store.close();
    } finally {
      await db.close();
    }
  });
});
