/**
 * The real bot on PostgreSQL (DATABASE_URL), end to end over HTTP against the simulators: the store
 * factory in createBot, the migrations at start, and the core's writes through the PostgreSQL store.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../src/cli/audit.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';

let database: Promise<TestDatabase> | undefined;
afterAll(async () => (await database?.catch(() => undefined))?.drop());
/** The settings that put the bot on a fresh schema of this file's database. */
async function onPostgres(): Promise<Record<string, string | undefined>> {
  database ??= freshDatabase();
  return { DATABASE_PATH: undefined, DATABASE_URL: await (await database).schema() };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the bot on PostgreSQL', () => {
  it('decides once under concurrent clicks, grants once, tells everyone once, and keeps a chain that verifies', async () => {
    const env = await onPostgres();
    h = await startHarness({ env });
    expect(h.bot.store).toBeInstanceOf(PostgresStore);
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    const clicks = await Promise.all([
      h.driver.clickButton(USERS.bob.id, card, 'approve_request'),
      h.driver.clickButton(USERS.bob.id, card, 'approve_request'),
      h.driver.clickButton(USERS.carol.id, card, 'approve_request'),
      h.driver.clickButton(USERS.carol.id, card, 'deny_request'),
    ]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    const done = await waitForStatus(h, request.id, 'completed');
    expect([USERS.bob.id, USERS.carol.id]).toContain(done.decidedBy);
    await h.sim.waitFor(() =>
      h?.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('Done')),
    );
    await h.bot.idle();

    expect(addCalls(h)).toHaveLength(1);
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => e.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    // One card, one reply in its thread, and the requester's two DMs (received, then granted).
    const cards = h.sim
      .messagesIn(APPROVAL_CHANNEL)
      .filter((m) => !m.threadTs && m.text.includes(request.id));
    expect(cards).toHaveLength(1);
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    const dms = h.sim.dmsTo(USERS.alice.id).filter((m) => m.text.includes(request.id));
    expect(dms.map((m) => (m.text.includes('is with the approvers') ? 'received' : 'outcome'))).toEqual([
      'received',
      'outcome',
    ]);
    expect(await h.bot.store.dueNotices(new Date(Date.now() + 3_600_000), 10)).toEqual([]);
    expect(h.sim.problems).toEqual([]);
    expect(await runAuditCli(['verify'], { DATABASE_URL: env.DATABASE_URL })).toEqual({
      code: 0,
      out: `Audit chain intact: ${(await h.bot.store.listAudit({})).length} events verified.\n`,
    });
  });

  it('keeps a pending request working across a restart on the same database', async () => {
    const env = await onPostgres();
    h = await startHarness({ env });
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    await h.stopBot();
    const first = h;
    h = await startHarness({
      env,
      reuse: { sim: first.sim, mimecast: first.mimecast, databasePath: first.databasePath },
    });
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    expect(addCalls(h)).toHaveLength(1);
    await h.sim.waitFor(() =>
      h?.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('Done')),
    );
  });
});
