import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runAuditCli } from '../../src/cli/audit.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';

async function seeded() {
  const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'bot.sqlite');
  const store = new SqliteStore(path);
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
  return path;
}

describe('audit CLI', () => {
  it('verifies an intact chain and detects an edited event', async () => {
    const path = await seeded();
    expect(await runAuditCli(['verify'], { DATABASE_PATH: path })).toEqual({
      code: 0,
      out: 'Audit chain intact: 2 events verified.\n',
    });
    const raw = new Database(path);
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare("UPDATE audit_events SET details = '{}' WHERE seq = 2").run();
    raw.close();
    expect(await runAuditCli(['verify'], { DATABASE_PATH: path })).toEqual({
      code: 1,
      out: 'Audit chain BROKEN at event #2: its contents do not match its hash (edited). Events from #2 on cannot be trusted.\n',
    });
  });

  it('exports events since a date as JSON lines or CSV', async () => {
    const path = await seeded();
    const jsonl = await runAuditCli(['export', '--since', '2026-01-01', '--format', 'jsonl'], {
      DATABASE_PATH: path,
    });
    expect(jsonl.code).toBe(0);
    const lines = jsonl.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      seq: 2,
      requestId: 'DR-AAAAAA',
      action: 'submitted',
      toStatus: 'pending',
    });

    const csv = await runAuditCli(['export', '--format', 'csv'], { DATABASE_PATH: path });
    const rows = csv.out.trim().split('\n');
    expect(rows[0]).toBe('seq,at,request_id,actor,action,from_status,to_status,details,prev_hash,hash');
    expect(rows[1]).toContain(`"{""command"":""=cmd()""}"`);
    expect(rows[2]).toContain(`"{""note"":""a, \\""b\\""""}"`);
    expect(rows).toHaveLength(3);
  });

  it('refuses bad arguments with usage', async () => {
    const bad = await runAuditCli(['export', '--format', 'xml'], { DATABASE_PATH: ':memory:' });
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/^--format must be csv or jsonl/);
    expect(
      (await runAuditCli(['export', '--since', 'yesterday'], { DATABASE_PATH: ':memory:' })).out,
    ).toMatch(/^--since must be a date/);
    expect((await runAuditCli(['frobnicate'], {})).code).toBe(2);
  });
});
