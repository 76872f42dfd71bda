import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../src/cli/audit.js';
import { redactDatabaseUrl } from '../../src/config.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';

describe('audit CLI on PostgreSQL (DATABASE_URL)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase();
    const store = await PostgresStore.open({ url: database.url, poolSize: 1 });
    await store.appendAudit(
      { requestId: null, actor: 'UADMIN', action: 'admin_command', details: { command: '=cmd()' } },
      new Date('2025-12-31T23:00:00Z'),
    );
    await store.appendAudit(
      {
        requestId: 'DR-AAAAAA',
        actor: 'UALICE',
        action: 'submitted',
        toStatus: 'pending',
        details: { note: 'a, "b"' },
      },
      new Date('2026-01-02T10:00:00Z'),
    );
    await store.close();
  });
  afterAll(() => database?.drop());

  it('exports events since a date as JSON lines or CSV, as from SQLite', async () => {
    const env = { DATABASE_URL: database.url };
    const jsonl = await runAuditCli(['export', '--since', '2026-01-01', '--format', 'jsonl'], env);
    expect(jsonl.code).toBe(0);
    const lines = jsonl.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      seq: 2,
      at: '2026-01-02T10:00:00.000Z',
      requestId: 'DR-AAAAAA',
      action: 'submitted',
      toStatus: 'pending',
      details: { note: 'a, "b"' },
    });

    const csv = await runAuditCli(['export', '--format', 'csv'], env);
    const rows = csv.out.trim().split('\n');
    expect(rows[0]).toBe('seq,at,request_id,actor,action,from_status,to_status,details,prev_hash,hash');
    expect(rows[1]).toContain(`"{""command"":""=cmd()""}"`);
    expect(rows[2]).toContain(`"{""note"":""a, \\""b\\""""}"`);
    expect(rows).toHaveLength(3);
  });

  it('verifies an intact chain and detects an event edited around the append-only trigger', async () => {
    const env = { DATABASE_URL: database.url };
    expect(await runAuditCli(['verify'], env)).toEqual({
      code: 0,
      out: 'Audit chain intact: 2 events verified.\n',
    });
    const raw = new pg.Client({ connectionString: database.url });
    await raw.connect();
    await expect(raw.query("UPDATE audit_events SET details = '{}' WHERE seq = 2")).rejects.toThrow(
      /append-only/,
    );
    await raw.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
    await raw.query("UPDATE audit_events SET details = '{}' WHERE seq = 2");
    await raw.end();
    expect(await runAuditCli(['verify'], env)).toEqual({
      code: 1,
      out: 'Audit chain BROKEN at event #2: its contents do not match its hash (edited). Events from #2 on cannot be trusted.\n',
    });
  });

  it('refuses both databases at once, and says which database it cannot open, without its password', async () => {
    const both = await runAuditCli(['verify'], { DATABASE_URL: database.url, DATABASE_PATH: 'bot.sqlite' });
    expect(both.code).toBe(2);
    expect(both.out).toContain('DATABASE_URL, DATABASE_PATH: set one, not both');
    expect(both.out).not.toContain(new URL(database.url).password);

    // A wrong password for a database that is not there: refused whatever the server's authentication.
    const wrong = new URL(database.url);
    wrong.password = 'Wr0ng-S3cret';
    wrong.pathname = '/delegate_no_such_database';
    const refused = await runAuditCli(['export'], { DATABASE_URL: wrong.toString() });
    expect(refused.code).toBe(1);
    expect(
      refused.out.startsWith(
        `Could not open the PostgreSQL database at ${redactDatabaseUrl(wrong.toString())}: `,
      ),
    ).toBe(true);
    expect(refused.out).toMatch(/password authentication failed|does not exist/);
    expect(refused.out).not.toContain('Wr0ng-S3cret');
  });
});
