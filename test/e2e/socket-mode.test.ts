import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { logEntries } from '../support/fault-tools.js';
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

let h: Harness;

/** A port nothing listens on now: Socket Mode serves /healthz and /readyz on PORT itself. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
afterEach(async () => {
  await h?.close();
});

describe('Socket Mode (SLACK_MODE=socket): the same flow over a WebSocket', () => {
  it('connects with the app-level token, then requests, approves and grants access', async () => {
    const port = await freePort();
    h = await startHarness({ env: { SLACK_MODE: 'socket', PORT: String(port) } });
    expect(h.config.slack.mode).toBe('socket');
    expect(h.sim.callsTo('apps.connections.open')).toHaveLength(1);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'ok', config: 'loaded' });
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('delegate_store_up 1');

    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    expect(request.status).toBe('pending');
    const card = await cardOf(h, request.id);
    expect(card.channel).toBe(APPROVAL_CHANNEL);

    // A refusal answered through response_url, then the approval.
    const refused = await h.driver.clickButton(USERS.dave.id, card, 'approve_request');
    const told = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === refused.responseUrl));
    expect(told.body.text).toMatch(/^Only members of the approver groups/);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.decidedBy).toBe(USERS.carol.id);
    expect(addCalls(h)).toHaveLength(1);
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toContain('Done: *alice@example.com* now has delegate access to *sales@example.com*');
    expect(h.sim.problems).toEqual([]);
  });

  // Slack recycles Socket Mode connections every few hours, and networks drop them. The bot must come
  // back on a new connection each time (Bolt's client waits 5 s before reconnecting).
  it('reconnects when Slack recycles the connection or the network drops it, and keeps serving', async () => {
    h = await startHarness({ env: { SLACK_MODE: 'socket', PORT: '0' } });
    const opened = () => h.sim.callsTo('apps.connections.open').length;
    expect(opened()).toBe(1);

    h.sim.disconnectSocket('refresh_requested');
    await h.sim.waitFor(() => opened() === 2 || undefined, 15_000);
    await h.sim.socketConnected(5_000);
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    // Routine: nothing for an operator to look at. (A dropped network is logged by Bolt as an error.)
    expect(logEntries(h).filter((line) => line.level >= 40)).toEqual([]);

    h.sim.disconnectSocket();
    await h.sim.waitFor(() => opened() === 3 || undefined, 15_000);
    await h.sim.socketConnected(5_000);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    expect(addCalls(h)).toHaveLength(1);
    expect(h.sim.problems).toEqual([]);
  }, 40_000);

  it('answers bad submissions inside the modal over the socket, and stores nothing', async () => {
    h = await startHarness({ env: { SLACK_MODE: 'socket', PORT: '0' } });
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const view = await h.sim.viewOpenedWith(command.triggerId);
    const submitted = await h.driver.submitView(USERS.alice.id, view, {
      mailbox: { mailbox_input: 'alice@example.com' },
      reason: { reason_input: 'Covering the shared queue' },
    });
    expect(submitted.json).toEqual({
      response_action: 'errors',
      errors: { mailbox: 'That is your own mailbox: you already have access to it.' },
    });
    expect(await h.bot.store.listRequests({})).toEqual([]);
  });

  // No HTTP gate sees Socket Mode payloads: the same shape and origin checks run as middleware.
  it('acknowledges and drops payloads of another workspace or app, or of a shape Bolt cannot read', async () => {
    h = await startHarness({ env: { SLACK_MODE: 'socket', PORT: '0' } });
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    await h.bot.idle();
    const callsBefore = h.sim.calls.length;
    const click = (change: Record<string, unknown>) =>
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          user: { id: USERS.carol.id, team_id: h.sim.teamId },
          team: { id: h.sim.teamId, domain: h.sim.teamDomain },
          api_app_id: h.sim.appId,
          channel: { id: APPROVAL_CHANNEL },
          trigger_id: h.sim.createTrigger({ userId: USERS.carol.id }),
          actions: [{ action_id: 'approve_request', block_id: 'decision', value: request.id }],
          ...change,
        }),
      }).toString();
    for (const change of [
      { team: { id: 'T0FOREIGN', domain: 'elsewhere' } },
      { api_app_id: 'A0OTHERAPP' },
      { actions: null },
      { user: 'UCAROL' },
    ]) {
      const acked = await h.driver.send(click(change));
      expect(acked.status).toBe(200);
    }
    await h.bot.idle();
    expect(h.sim.calls.length).toBe(callsBefore);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
    // Three refused by the checks; `actions: null` Bolt fails on before any middleware, and it is acked.
    const messages = logEntries(h).map((line) => line.msg);
    expect(messages.filter((msg) => msg === 'Slack payload refused before any listener')).toHaveLength(3);
    expect(
      messages.filter(
        (msg) =>
          msg === 'Bolt failed on a Socket Mode payload; acknowledged so that Slack does not resend it',
      ),
    ).toHaveLength(1);
    // The same click for this workspace and app goes through.
    await h.driver.send(click({}));
    await waitForStatus(h, request.id, 'completed');
    expect(card.channel).toBe(APPROVAL_CHANNEL);
  });
});
