import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { DelegationRequest } from '../../src/requests/model.js';
import { DuplicateIdError } from '../../src/requests/ports/index.js';
import { verifyChain } from '../../src/store/audit-chain.js';
import { WalCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';

const AT = new Date('2026-11-28T10:00:00.000Z');

function request(id = 'DR-AAAAAA', overrides: Partial<DelegationRequest> = {}): DelegationRequest {
  return {
    id,
    status: 'pending',
    requesterId: 'UALICE',
    granteeEmail: 'alice@example.com',
    mailbox: 'sales@example.com',
    reason: 'cover',
    durationHours: 24,
    createdAt: AT,
    updatedAt: AT,
    version: 1,
    ...overrides,
  };
}

const submitted = (id: string) => ({
  requestId: id,
  actor: 'UALICE',
  action: 'submitted',
  toStatus: 'pending' as const,
});

describe('SqliteStore', () => {
  it('round-trips a request and refuses a duplicate id', async () => {
    const store = new SqliteStore(':memory:');
    await store.createRequest(request(), submitted('DR-AAAAAA'), []);
    expect(await store.getRequest('DR-AAAAAA')).toEqual(request());
    await expect(store.createRequest(request(), submitted('DR-AAAAAA'), [])).rejects.toBeInstanceOf(
      DuplicateIdError,
    );
    expect(await store.listAudit({})).toHaveLength(1);
  });

  it('applies a transition only from its allowed state (compare-and-set)', async () => {
    const store = new SqliteStore(':memory:');
    await store.createRequest(request(), submitted('DR-AAAAAA'), []);
    const audit = { actor: 'UBOB', action: 'approved' };
    const first = await store.transition({
      id: 'DR-AAAAAA',
      name: 'approve',
      at: AT,
      audit,
      patch: { decidedBy: 'UBOB' },
    });
    expect(first.ok && first.request).toMatchObject({ status: 'approved', decidedBy: 'UBOB', version: 2 });
    const second = await store.transition({
      id: 'DR-AAAAAA',
      name: 'deny',
      at: AT,
      audit: { actor: 'UCAROL', action: 'denied' },
    });
    expect(second).toMatchObject({ ok: false, current: { status: 'approved', decidedBy: 'UBOB' } });
    expect((await store.listAudit({ requestId: 'DR-AAAAAA' })).map((e) => e.action)).toEqual([
      'submitted',
      'approved',
    ]);
    expect(await store.transition({ id: 'DR-NOPE00', name: 'approve', at: AT, audit })).toEqual({
      ok: false,
      current: undefined,
    });
  });

  it('applies a transition with an expected version only at that version: a stale one loses', async () => {
    const store = new SqliteStore(':memory:');
    await store.createRequest(request(), submitted('DR-AAAAAA'), []);
    // Two changes computed from the same read: the request at version 1.
    const read = await store.getRequest('DR-AAAAAA');
    expect(read?.version).toBe(1);
    const first = await store.transition({
      id: 'DR-AAAAAA',
      name: 'remind',
      at: AT,
      patch: { remindedAt: AT },
      audit: { actor: 'system', action: 'reminded' },
      notices: [{ target: 'thread', event: 'reminder' }],
      expectedVersion: 1,
    });
    expect(first.ok && first.request.version).toBe(2);
    const stale = await store.transition({
      id: 'DR-AAAAAA',
      name: 'approve',
      at: AT,
      patch: { decidedBy: 'UBOB' },
      audit: { actor: 'UBOB', action: 'approved' },
      notices: [{ target: 'card', event: 'approved' }],
      expectedVersion: 1,
    });
    // The status allowed it; the version did not. Nothing of the loser is written.
    expect(stale).toMatchObject({ ok: false, current: { status: 'pending', version: 2 } });
    expect((await store.getRequest('DR-AAAAAA'))?.decidedBy).toBeUndefined();
    expect((await store.listAudit({ requestId: 'DR-AAAAAA' })).map((e) => e.action)).toEqual([
      'submitted',
      'reminded',
    ]);
    expect((await store.dueNotices(AT, 10)).map((n) => `${n.target}:${n.event}`)).toEqual([
      'thread:reminder',
    ]);
    const fresh = await store.transition({
      id: 'DR-AAAAAA',
      name: 'approve',
      at: AT,
      patch: { decidedBy: 'UBOB' },
      audit: { actor: 'UBOB', action: 'approved' },
      expectedVersion: 2,
    });
    expect(fresh.ok && fresh.request).toMatchObject({ status: 'approved', version: 3 });
  });

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

  it('hands out a request notices in order, one at a time, with leases', async () => {
    const store = new SqliteStore(':memory:');
    await store.createRequest(request('DR-AAAAAA'), submitted('DR-AAAAAA'), [
      { target: 'card', event: 'submitted' },
      { target: 'dm', event: 'submitted' },
    ]);
    await store.createRequest(request('DR-BBBBBB'), submitted('DR-BBBBBB'), [
      { target: 'card', event: 'submitted' },
    ]);
    const key = (notice: { requestId: string; target: string }) => `${notice.requestId}:${notice.target}`;
    // A request's later notices wait behind its first.
    expect((await store.dueNotices(AT, 10)).map(key)).toEqual(['DR-AAAAAA:card', 'DR-BBBBBB:card']);
    const lease = new Date(AT.getTime() + 60_000);
    const first = await store.claimDueNotices(AT, lease, 1);
    expect(first.map(key)).toEqual(['DR-AAAAAA:card']);
    // Claimed notices are not handed out again while leased, and A's DM still waits behind its card.
    expect((await store.claimDueNotices(AT, lease, 10)).map(key)).toEqual(['DR-BBBBBB:card']);
    expect(await store.claimDueNotices(AT, lease, 10)).toEqual([]);
    expect(await store.dueNotices(AT, 10)).toEqual([]);

    await store.markNoticeFailed(first[0]!.id, 'ratelimited', new Date(AT.getTime() + 5_000), AT);
    expect(await store.dueNotices(AT, 10)).toEqual([]); // A's card waits for its retry time
    const later = new Date(AT.getTime() + 5_000);
    const retried = await store.claimDueNotices(later, new Date(later.getTime() + 60_000), 10);
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ requestId: 'DR-AAAAAA', target: 'card', attempts: 1 });
    await store.markNoticeDelivered(retried[0]!.id, later);
    expect((await store.dueNotices(later, 10)).map(key)).toEqual(['DR-AAAAAA:dm']);
    // B's card was never marked: once its lease runs out, it is due again (its worker died).
    const afterLease = new Date(AT.getTime() + 60_001);
    expect((await store.dueNotices(afterLease, 10)).map(key)).toEqual(['DR-AAAAAA:dm', 'DR-BBBBBB:card']);
    expect((await store.claimDueNotices(afterLease, new Date(AT.getTime() + 120_000), 10))[1]).toMatchObject({
      requestId: 'DR-BBBBBB',
      attempts: 1,
    });
  });

  it('marks notices delivered only once committed: seen by another connection, all or none of a pass', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'bot.sqlite');
    const store = new SqliteStore(path, { backgroundCheckpoints: false });
    for (const id of ['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC', 'DR-DDDDDD'])
      await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
    const [a, b, c, d] = await store.dueNotices(AT, 10);
    const other = new Database(path, { readonly: true });
    const delivered = () =>
      other
        .prepare<[], { request_id: string }>('SELECT request_id FROM notices WHERE delivered = 1 ORDER BY id')
        .all()
        .map((row) => row.request_id);

    // Marked in the same pass: each promise resolves only after the shared commit.
    await Promise.all([store.markNoticeDelivered(a!.id, AT), store.markNoticeDelivered(b!.id, AT)]);
    expect(delivered()).toEqual(['DR-AAAAAA', 'DR-BBBBBB']);

    // A commit that fails rejects every notice of its pass and records none of them, so the
    // dispatcher tries them again instead of believing them delivered.
    const writer = new Database(path);
    writer.exec(
      "CREATE TRIGGER notices_refuse BEFORE UPDATE ON notices BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
    );
    const failed = await Promise.allSettled([
      store.markNoticeDelivered(c!.id, AT),
      store.markNoticeDelivered(d!.id, AT),
    ]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/disk I\/O error/);
    expect(delivered()).toEqual(['DR-AAAAAA', 'DR-BBBBBB']);
    writer.exec('DROP TRIGGER notices_refuse');
    writer.close();

    // Closing commits what is still waiting for the end of the pass.
    const closing = store.markNoticeDelivered(c!.id, AT);
    await store.close();
    await closing;
    expect(delivered()).toEqual(['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC']);
    other.close();
  });

  it('prunes finished notices (delivered or given up), never ones still to be delivered', async () => {
    const store = new SqliteStore(':memory:');
    for (const id of ['DR-AAAAAA', 'DR-BBBBBB', 'DR-CCCCCC'])
      await store.createRequest(request(id), submitted(id), [{ target: 'card', event: 'submitted' }]);
    const [a, b, c] = await store.dueNotices(AT, 10);
    await store.markNoticeDelivered(a!.id, AT);
    await store.markNoticeFailed(b!.id, 'channel_not_found', null, AT);
    await store.markNoticeFailed(c!.id, 'ratelimited', new Date(AT.getTime() + 60_000), AT);
    const doneBefore = new Date(AT.getTime() + 1);
    expect(await store.pruneNotices(AT, 10)).toBe(0); // nothing finished before AT
    expect(await store.pruneNotices(doneBefore, 1)).toBe(1); // the limit holds
    expect(await store.pruneNotices(doneBefore, 10)).toBe(1);
    expect(await store.pruneNotices(doneBefore, 10)).toBe(0);
    const far = new Date(AT.getTime() + 3_600_000);
    expect((await store.dueNotices(far, 10)).map((n) => n.requestId)).toEqual(['DR-CCCCCC']);
    await store.close();
  });

  it('chains audit events so that an edit is detected, and refuses edits through SQL', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'bot.sqlite');
    const store = new SqliteStore(path);
    await store.createRequest(request(), submitted('DR-AAAAAA'), []);
    await store.transition({
      id: 'DR-AAAAAA',
      name: 'approve',
      at: AT,
      audit: { actor: 'UBOB', action: 'approved' },
    });
    await store.appendAudit(
      { requestId: null, actor: 'UADMIN', action: 'admin_command', details: { command: 'pending' } },
      AT,
    );
    expect(verifyChain(await store.listAudit({}))).toEqual({ ok: true, count: 3 });
    await store.close();

    const raw = new Database(path);
    expect(() => raw.prepare("UPDATE audit_events SET actor = 'UMALLORY' WHERE seq = 2").run()).toThrow(
      /append-only/,
    );
    expect(() => raw.prepare('DELETE FROM audit_events WHERE seq = 1').run()).toThrow(/append-only/);
    // Someone with file access can drop the trigger; the chain still gives them away.
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare("UPDATE audit_events SET actor = 'UMALLORY' WHERE seq = 2").run();
    raw.close();

    const reopened = new SqliteStore(path);
    expect(verifyChain(await reopened.listAudit({}))).toEqual({
      ok: false,
      count: 2,
      brokenAt: 2,
      why: 'its contents do not match its hash (edited)',
    });
    await reopened.close();
  });
});
