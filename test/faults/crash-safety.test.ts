import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/requests/model.js';
import { offsetClock } from '../support/fakes.js';
import { auditActions, describeErrors, logEntries } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  USERS,
  waitForStatus,
  waitUntil,
} from '../support/harness.js';
import { kill, killLeftovers, spawnBot } from '../support/spawn-bot.js';

const ADD = '/api/user/add-delegate-user';

let h: Harness | undefined;
afterEach(async () => {
  await killLeftovers();
  await h?.close();
  h = undefined;
});

/** A pending request with its card posted, then the in-process bot stopped: the database is left to others. */
async function pendingRequestThenStop() {
  const stack = await startHarness();
  h = stack;
  const request = await submitRequest(stack, USERS.alice.id, 'sales@example.com');
  const card = await cardOf(stack, request.id);
  await stack.sim.waitFor(() => stack.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(request.id)));
  await stack.bot.dispatcher.idle();
  await stack.stopBot();
  return { stack, request, card };
}

/** The bot again, in this process, on the same simulators and database: start-up runs recovery. */
async function restart(stack: Harness, clock?: () => Date): Promise<Harness> {
  const restarted = await startHarness({
    reuse: { sim: stack.sim, mimecast: stack.mimecast, databasePath: stack.databasePath },
    ...(clock ? { clock } : {}),
  });
  h = restarted;
  return restarted;
}

describe('a crash in the middle of things', () => {
  it('killed (SIGKILL) while Mimecast is adding: after restart the outcome is checked in Mimecast, never added twice', async () => {
    const { stack, request, card } = await pendingRequestThenStop();
    const bot = await spawnBot(stack);
    stack.mimecast.inject(ADD, { latencyMs: 5000 });
    const click = await bot.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(click.status).toBe(200);
    await stack.sim.waitFor(() => addCalls(stack).length === 1);
    await kill(bot);
    expect(bot.output.filter((line) => line.includes('"level":50'))).toEqual([]);

    const clock = offsetClock();
    const restarted = await restart(stack, clock);
    const settling = await waitForStatus(restarted, request.id, 'settling');
    expect(settling).toMatchObject({
      decidedBy: USERS.carol.id,
      failure: {
        kind: 'interrupted',
        message:
          'The bot stopped while Mimecast was being called, so the access may or may not have been granted.',
      },
    });
    expect(settling.mimecastId).toBeUndefined();
    const audit = await restarted.bot.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => e.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_interrupted',
    ]);
    expect(audit.at(-1)).toMatchObject({
      actor: SYSTEM_ACTOR,
      fromStatus: 'provisioning',
      toStatus: 'settling',
      details: { kind: 'interrupted', settling: true },
    });

    // Everyone is told it is being checked and nobody should retry; the requester not to submit again.
    const checking = await restarted.sim.waitFor(
      () => restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0],
    );
    expect(checking.text).toBe(
      ':mag: Mimecast did not confirm the grant: the bot stopped while Mimecast was being called. The bot is checking in Mimecast whether alice@example.com has delegate access to sales@example.com: it looks 30 seconds, 2 minutes and 10 minutes after the call, and if the access is still not there it asks Mimecast once more under this approval. This thread will say how it ends. Nobody needs to do anything: please do not add the access by hand or approve a new request for it.',
    );
    const dm = await restarted.sim.waitFor(() =>
      restarted.sim
        .dmsTo(USERS.alice.id)
        .find((m) => m.text.includes('did not confirm the grant straight away')),
    );
    expect(dm.text).toContain('please do not submit the request again');

    // Mimecast did add it (the simulator acts before its slow answer): found at the first check.
    expect(restarted.mimecast.rights).toHaveLength(1);
    clock.advance(30_000);
    await restarted.bot.scheduler.runOnce();
    const done = await waitForStatus(restarted, request.id, 'completed');
    await restarted.bot.idle();
    expect(done.mimecastId).toBe(restarted.mimecast.rights[0]!.id);
    expect(addCalls(restarted)).toHaveLength(1);
    const replies = restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts).map((m) => m.text);
    expect(replies).toHaveLength(2);
    expect(replies[1]).toMatch(/^:white_check_mark: Checked in Mimecast: it went through after all\. /);
    expect(describeErrors(restarted)).toEqual([]);
    expect(restarted.logLines.some((line) => line.includes('recovered requests'))).toBe(true);
  });

  it('killed (SIGKILL) with a thread reply still waiting for Slack: delivered once after restart', async () => {
    const { stack, request, card } = await pendingRequestThenStop();
    const bot = await spawnBot(stack);
    // The first try of the outcome's thread reply fails; the retry is due a second later. Kill before it.
    stack.sim.failNext('chat.postMessage', { error: 'internal_error', status: 500 });
    await bot.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await stack.sim.waitFor(() => stack.sim.callsTo('chat.postMessage').some((call) => !call.ok));
    await waitUntil(
      async () => bot.output.find((line) => line.includes('notice delivery failed; will retry')),
      'the bot process to schedule the retry',
    );
    await kill(bot);
    expect(stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toEqual([]);

    const restarted = await restart(stack);
    // The grant itself was finished and stored before the crash; nothing to recover, nothing repeated.
    expect((await restarted.bot.store.getRequest(request.id))?.status).toBe('completed');
    const reply = await restarted.sim.waitFor(
      () => restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0],
      5000,
    );
    expect(reply.text).toContain('Done: *alice@example.com* now has delegate access to *sales@example.com*');
    await restarted.sim.waitFor(() =>
      restarted.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    await restarted.bot.dispatcher.idle();
    expect(restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(restarted.sim.dmsTo(USERS.alice.id).filter((m) => m.text.includes('was approved'))).toHaveLength(
      1,
    );
    expect(addCalls(restarted)).toHaveLength(1);
    expect(await auditActions(restarted, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
  });

  it('killed (SIGKILL) in the middle of delivering a notice: delivered again right after restart', async () => {
    const { stack, request, card } = await pendingRequestThenStop();
    const bot = await spawnBot(stack);
    // Slack hangs on the outcome's thread reply: the bot is killed while that notice is being delivered.
    stack.sim.holdNext('chat.postMessage');
    await bot.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await stack.sim.waitFor(() =>
      stack.sim.callsTo('chat.postMessage').some((call) => call.error === 'held'),
    );
    await kill(bot);
    expect(stack.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toEqual([]);

    // The cut-off delivery was leased for a minute; the restarted bot, the store's only user, takes
    // it back at once instead of waiting that minute out.
    const restarted = await restart(stack);
    const reply = await restarted.sim.waitFor(
      () => restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0],
      5000,
    );
    expect(reply.text).toContain('Done: *alice@example.com* now has delegate access to *sales@example.com*');
    expect(logEntries(restarted).find((line) => line.msg === 'recovered requests')).toMatchObject({
      noticesReleased: 1,
      interrupted: [],
      resumed: [],
    });
    await restarted.sim.waitFor(() =>
      restarted.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    await restarted.bot.dispatcher.idle();
    expect(restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(addCalls(restarted)).toHaveLength(1);
    expect((await restarted.bot.store.getRequest(request.id))?.status).toBe('completed');
  });

  // Simulated, not a real kill: the window between "approved" and "provisioning" is two statements long,
  // too short to hit with a signal, so the request is left approved through the store and the bot restarted.
  it('stopped between approval and the Mimecast call (simulated): resumed on restart and granted once', async () => {
    const stack = await startHarness();
    h = stack;
    const request = await submitRequest(stack, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(stack, request.id);
    const approved = await stack.bot.store.transition({
      id: request.id,
      name: 'approve',
      at: new Date(),
      patch: { decidedBy: USERS.carol.id, decidedAt: new Date() },
      audit: { actor: USERS.carol.id, action: 'approved' },
    });
    expect(approved.ok).toBe(true);
    await stack.bot.dispatcher.idle();
    await stack.stopBot();
    expect(addCalls(stack)).toHaveLength(0);

    const restarted = await restart(stack);
    const done = await waitForStatus(restarted, request.id, 'completed');
    expect(done.decidedBy).toBe(USERS.carol.id);
    expect(addCalls(restarted)).toHaveLength(1);
    const reply = await restarted.sim.waitFor(
      () => restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0],
    );
    expect(reply.text).toContain('Done: *alice@example.com* now has delegate access to *sales@example.com*');
    expect(await auditActions(restarted, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(describeErrors(restarted)).toEqual([]);
  });

  it('stopped in an orderly way (a deploy) while Mimecast is adding: the outcome is recorded before the stop ends', async () => {
    const stack = await startHarness();
    h = stack;
    const request = await submitRequest(stack, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(stack, request.id);
    stack.mimecast.inject(ADD, { latencyMs: 500 });
    await stack.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(stack, request.id, 'provisioning');
    await stack.stopBot();

    const restarted = await restart(stack);
    const after = await restarted.bot.store.getRequest(request.id);
    expect(after?.status).toBe('completed');
    expect(addCalls(restarted)).toHaveLength(1);
    expect(await auditActions(restarted, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
  });
});
