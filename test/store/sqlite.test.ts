import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/requests/ports/index.js';
import { WalCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { AT, request, storeContract, submitted, type TestDb } from './contract.js';

function sqliteDatabase(): TestDb {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  const path = join(dir, 'bot.sqlite');
  const stores: Store[] = [];
  const onConnection = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(path);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    async open() {
      const store = new SqliteStore(path);
      stores.push(store);
      return store;
    },
    async exec(sql) {
      onConnection((db) => db.exec(sql));
    },
    async query<T>(sql: string) {
      return onConnection((db) => db.prepare<[], T>(sql).all());
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract({
  name: 'SQLite',
  database: async () => sqliteDatabase(),
  bypassAppendOnly: 'DROP TRIGGER audit_events_no_update',
  refuseNoticeUpdates: (message) => ({
    install: `CREATE TRIGGER notices_refuse BEFORE UPDATE ON notices BEGIN SELECT RAISE(ABORT, '${message}'); END`,
    remove: 'DROP TRIGGER notices_refuse',
  }),
});

describe('SqliteStore alone', () => {
  it('keeps the state across a reopen of the same file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'bot.sqlite');
    const first = new SqliteStore(path);
    await first.createRequest(request(), submitted('DR-AAAAAA'), [{ target: 'card', event: 'submitted' }]);
    await first.close();
    const second = new SqliteStore(path);
    expect((await second.getRequest('DR-AAAAAA'))?.status).toBe('pending');
    expect(await second.dueNotices(AT, 10)).toHaveLength(1);
    await second.close();
  });

  it('copies the WAL into the database file on its own thread, not inside commits', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'bot.sqlite');
    const store = new SqliteStore(path, { checkpointIntervalMs: 20 });
    const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);
    const before = sizeOf(path);
    // Far past SQLite's own 1,000-page threshold, where a commit would otherwise checkpoint inline.
    const long = 'x'.repeat(3_000);
    for (let i = 0; i < 1_500; i++) {
      const id = `DR-${String(i).padStart(6, '0')}`;
      await store.createRequest(request(id, { reason: long }), submitted(id), []);
    }
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(1000); // a new connection's default
    raw.close();
    const deadline = Date.now() + 5_000;
    while (sizeOf(path) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sizeOf(path)).toBeGreaterThan(before + 1_500 * 3_000);
    expect((await store.getRequest('DR-001499'))?.reason).toBe(long);
    await store.close();
  });

  it('says so when the checkpoint thread cannot run', async () => {
    const errors: string[] = [];
    const checkpointer = new WalCheckpointer(join(tmpdir(), 'no-such-dir', 'bot.sqlite'), {
      onError: (message) => errors.push(message),
    });
    const deadline = Date.now() + 5_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors[0]).toMatch(/unable to open database file|directory does not exist/);
    await checkpointer.stop();
  });

  it('hands back every claimed notice at start-up: one process uses the file at a time', async () => {
    const store = new SqliteStore(':memory:');
    expect(store.singleProcess).toBe(true);
    for (const id of ['DR-AAAAAA', 'DR-BBBBBB'])
      await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
    const claimed = await store.claimDueNotices(AT, new Date(AT.getTime() + 60_000), 10);
    expect(claimed).toHaveLength(2);
    expect(await store.dueNotices(AT, 10)).toEqual([]);
    expect(await store.releaseNoticeLeases()).toBe(2);
    expect((await store.dueNotices(AT, 10)).map((n) => n.id)).toEqual(claimed.map((n) => n.id));
    expect(await store.releaseNoticeLeases()).toBe(0);
    await store.close();
  });
});
