import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  USERS,
  waitUntil,
} from '../support/harness.js';
import { ADD, addBody, FIND, findBody } from '../support/mimecast-flows.js';
import { kill, killLeftovers, spawnBot } from '../support/spawn-bot.js';

/**
 * The whole settle flow across processes killed with SIGKILL and restarted. Time is not waited for:
 * each restarted process is given a clock offset (TEST_CLOCK_OFFSET_MS, read by the test entry only),
 * so the checks due 30 s, 2 min and 10 min after the unknown outcome are due when it starts.
 */

let h: Harness | undefined;
let reader: SqliteStore | undefined;
afterEach(async () => {
  await killLeftovers();
  await reader?.close();
  reader = undefined;
  await h?.close();
  h = undefined;
});

const MINUTE = 60_000;

/** A pending request with its card posted; then the in-process bot stops and leaves the database to others. */
async function pendingThenStop() {
  const stack = await startHarness();
  h = stack;
  const request = await submitRequest(stack, USERS.alice.id, 'sales@example.com');
  const card = await cardOf(stack, request.id);
  await stack.sim.waitFor(() => stack.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(request.id)));
  await stack.bot.idle();
  await stack.stopBot();
  // Reads what the bot processes write (SQLite in WAL mode has room for a reader beside them).
  reader = new SqliteStore(stack.databasePath, { backgroundCheckpoints: false });
  return { stack, request, card };
}

function untilAudited(id: string, action: string) {
  return waitUntil(
    async () =>
      (await reader!.listAudit({ requestId: id })).some((e) => e.action === action) ? true : undefined,
    `${id} to record ${action}`,
    15_000,
  );
}

/** Until every notice written so far is delivered and recorded so: a kill then loses nothing in flight. */
function untilNoticesDelivered() {
  const far = new Date(Date.now() + 24 * 60 * MINUTE);
  return waitUntil(
    async () => ((await reader!.dueNotices(far, 1)).length === 0 ? true : undefined),
    'every notice to be delivered',
    15_000,
  );
}

function mimecastCalls(stack: Harness) {
  return stack.mimecast.calls.map((call) => `${call.path} ${call.rawBody}`);
}

describe('settling an unknown outcome, across kills and restarts', () => {
  it('killed during the add, killed again while settling: the restarted bot finds the right and completes', async () => {
    const { stack, request, card } = await pendingThenStop();
    const first = await spawnBot(stack);
    // Mimecast makes the right, then takes 5 s to answer: the bot is killed before it does.
    stack.mimecast.inject(ADD, { latencyMs: 5000 });
    await first.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await stack.sim.waitFor(() => addCalls(stack).length === 1, 10_000);
    await kill(first);

    // The next process finds the call cut off: settling, with the checks counted from the call.
    const second = await spawnBot(stack);
    await untilAudited(request.id, 'provisioning_interrupted');
    const settling = await reader!.getRequest(request.id);
    expect(settling).toMatchObject({ status: 'settling', settleChecks: 0, failure: { kind: 'interrupted' } });
    expect(settling!.nextSettleAt!.getTime() - settling!.settleSince!.getTime()).toBe(30_000);
    await stack.sim.waitFor(() => stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0], 10_000);
    await stack.sim.waitFor(
      () =>
        stack.sim
          .dmsTo(USERS.alice.id)
          .find((m) => m.text.includes('did not confirm the grant straight away')),
      10_000,
    );
    await untilNoticesDelivered();
    await kill(second);
    expect(mimecastCalls(stack).filter((call) => call.startsWith(FIND))).toHaveLength(1);

    // 31 s later by the bot's clock: the first check is due at start, and finds the right.
    const third = await spawnBot(stack, { TEST_CLOCK_OFFSET_MS: String(31_000) });
    await untilAudited(request.id, 'outcome_settled');
    const done = await reader!.getRequest(request.id);
    expect(done).toMatchObject({
      status: 'completed',
      mimecastId: stack.mimecast.rights[0]!.id,
      settleChecks: 1,
    });
    await stack.sim.waitFor(() => stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[1], 10_000);
    await stack.sim.waitFor(
      () => stack.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('went through after all')),
      10_000,
    );
    await untilNoticesDelivered();
    await kill(third);

    expect(mimecastCalls(stack)).toEqual([
      `${FIND} ${findBody('alice@example.com')}`,
      `${ADD} ${addBody('alice@example.com', 'sales@example.com')}`,
      `${FIND} ${findBody('alice@example.com')}`,
    ]);
    expect(stack.mimecast.rights).toHaveLength(1);
    const replies = stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts).map((m) => m.text);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatch(
      /^:mag: Mimecast did not confirm the grant: the bot stopped while Mimecast was being called\. /,
    );
    expect(replies[1]).toMatch(/^:white_check_mark: Checked in Mimecast: it went through after all\. /);
    expect(stack.sim.dmsTo(USERS.alice.id).map((m) => m.text)).toEqual([
      expect.stringContaining('is with the approvers'),
      expect.stringContaining('was approved, but Mimecast did not confirm'),
      expect.stringContaining('went through after all'),
    ]);
    expect((await reader!.listAudit({ requestId: request.id })).map((event) => event.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_interrupted',
      'outcome_check_started',
      'outcome_settled',
    ]);
  }, 90_000);

  it('absent: killed after the first check, the restarted bot makes the other two and adds once more', async () => {
    const { stack, request, card } = await pendingThenStop();
    const first = await spawnBot(stack);
    // A 503 once Mimecast had the request: nothing was made.
    stack.mimecast.inject(ADD, { status: 503 });
    await first.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await untilAudited(request.id, 'provisioning_outcome_unknown');
    await stack.sim.waitFor(() => stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0], 10_000);
    await untilNoticesDelivered();
    await kill(first);

    // 31 s on: the first check (absent), then a kill before the next one is due.
    const second = await spawnBot(stack, { TEST_CLOCK_OFFSET_MS: String(31_000) });
    await untilAudited(request.id, 'outcome_check_absent');
    const waiting = await reader!.getRequest(request.id);
    expect(waiting).toMatchObject({ status: 'settling', settleChecks: 1 });
    expect(waiting!.nextSettleAt!.getTime() - waiting!.settleSince!.getTime()).toBe(2 * MINUTE);
    await kill(second);

    // 10 min on: the second and third checks are both due; absent, so the add is made once more.
    const third = await spawnBot(stack, { TEST_CLOCK_OFFSET_MS: String(10 * MINUTE + 1_000) });
    await untilAudited(request.id, 'provisioned');
    await stack.sim.waitFor(() => stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[1], 10_000);
    await untilNoticesDelivered();
    await kill(third);

    const done = await reader!.getRequest(request.id);
    expect(done).toMatchObject({
      status: 'completed',
      addAttempt: 2,
      settleChecks: 3,
      mimecastId: stack.mimecast.rights[0]!.id,
    });
    expect(mimecastCalls(stack)).toEqual([
      `${FIND} ${findBody('alice@example.com')}`,
      `${ADD} ${addBody('alice@example.com', 'sales@example.com')}`,
      `${FIND} ${findBody('alice@example.com')}`,
      `${FIND} ${findBody('alice@example.com')}`,
      `${FIND} ${findBody('alice@example.com')}`,
      `${ADD} ${addBody('alice@example.com', 'sales@example.com')}`,
    ]);
    expect(addCalls(stack).map((call) => call.status)).toEqual([503, 200]);
    const audit = await reader!.listAudit({ requestId: request.id });
    expect(audit.map((event) => event.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_outcome_unknown',
      'outcome_check_started',
      'outcome_check_absent',
      'outcome_check_started',
      'outcome_check_absent',
      'outcome_check_started',
      'provisioning_retried',
      'provisioned',
    ]);
    expect(audit.find((event) => event.action === 'provisioning_retried')?.details).toMatchObject({
      attempt: 2,
      approvedBy: USERS.carol.id,
    });
    const replies = stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts).map((m) => m.text);
    expect(replies).toHaveLength(2);
    expect(replies[1]).toContain('so the bot added it once more under the same approval.');
    expect(stack.sim.dmsTo(USERS.alice.id).at(-1)?.text).toContain(
      `Your request *${request.id}* was approved:`,
    );
  }, 90_000);
});
