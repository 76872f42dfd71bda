import type { AddressInfo } from 'node:net';
import { App, type BlockAction, HTTPReceiver, LogLevel } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SlackSimulator, startSlackSimulator } from '../../testkit/slack/index.js';
import { SlackDriver } from '../../testkit/slack-driver/index.js';
import { BOT_TOKEN, SIGNING_SECRET } from './slack/support.js';

/** The driver's dispatched input actions (dispatch_action), and views.update guarded by the view's hash. */
describe('SlackDriver: Enter in a dispatch_action input, against a real Bolt app', () => {
  let sim: SlackSimulator;
  let app: App;
  let driver: SlackDriver;
  const actions: BlockAction[] = [];
  const updates: { ok: boolean; error?: string }[] = [];

  const form = (note: string) => ({
    type: 'modal' as const,
    callback_id: 'lookup',
    title: { type: 'plain_text' as const, text: 'Look up' },
    submit: { type: 'plain_text' as const, text: 'Go' },
    blocks: [
      {
        type: 'input' as const,
        block_id: 'address',
        dispatch_action: true,
        label: { type: 'plain_text' as const, text: 'Address' },
        element: {
          type: 'email_text_input' as const,
          action_id: 'address_input',
          dispatch_action_config: { trigger_actions_on: ['on_enter_pressed' as const] },
        },
      },
      {
        type: 'input' as const,
        block_id: 'reason',
        label: { type: 'plain_text' as const, text: 'Why?' },
        element: { type: 'plain_text_input' as const, action_id: 'reason_input', min_length: 3 },
      },
      { type: 'context' as const, elements: [{ type: 'mrkdwn' as const, text: note }] },
    ],
  });

  beforeAll(async () => {
    sim = await startSlackSimulator({ botToken: BOT_TOKEN, botUserId: 'UBOT', teamId: 'T1' });
    sim.addUser({ id: 'U1', name: 'alice', email: 'alice@example.com' });
    app = new App({
      token: BOT_TOKEN,
      receiver: new HTTPReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR }),
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/lookup', async ({ ack, command, client }) => {
      await ack();
      await client.views.open({
        trigger_id: command.trigger_id,
        view: form('Type an address and press Enter'),
      });
    });
    app.action<BlockAction>('address_input', async ({ ack, body, client }) => {
      await ack();
      actions.push(body);
      const typed = (body.actions[0] as { value?: string }).value ?? '';
      try {
        await client.views.update({
          view_id: body.view?.id ?? '',
          hash: body.view?.hash ?? '',
          view: form(`You typed ${typed}`),
        });
        updates.push({ ok: true });
      } catch (error) {
        updates.push({
          ok: false,
          error: (error as { data?: { error?: string } }).data?.error ?? String(error),
        });
      }
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    driver = new SlackDriver({
      appUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      sim,
    });
  });

  afterEach(() => {
    sim.reset();
    actions.length = 0;
    updates.length = 0;
  });

  afterAll(async () => {
    await app.stop();
    await sim.close();
  });

  it('sends block_actions with the view, its hash and the state so far; the app updates the view', async () => {
    const command = await driver.command('U1', '/lookup', '');
    const view = await sim.viewOpenedWith(command.triggerId);
    const hash = view.view.hash;
    const sent = await driver.enterInView('U1', view, 'address', 'ceo@example.com', {
      values: { reason: { reason_input: 'wh' } },
    });
    expect(sent.status).toBe(200);
    await sim.waitFor(() => updates.length === 1);
    expect(actions[0]).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1' },
      container: { type: 'view', view_id: view.id },
      trigger_id: sent.triggerId,
      view: {
        id: view.id,
        hash,
        callback_id: 'lookup',
        state: {
          values: {
            address: { address_input: { type: 'email_text_input', value: 'ceo@example.com' } },
            // A draft: text not yet long enough is sent as typed.
            reason: { reason_input: { type: 'plain_text_input', value: 'wh' } },
          },
        },
      },
      actions: [
        {
          type: 'email_text_input',
          block_id: 'address',
          action_id: 'address_input',
          value: 'ceo@example.com',
        },
      ],
    });
    expect(updates).toEqual([{ ok: true }]);
    expect(JSON.stringify(sim.findView(view.id)?.view.blocks)).toContain('You typed ceo@example.com');
    expect(sim.findView(view.id)?.view.hash).not.toBe(hash);
    expect(sim.problems).toEqual([]);
  });

  it('refuses an update made with a stale hash (hash_conflict), as Slack does', async () => {
    const command = await driver.command('U1', '/lookup', '');
    const view = await sim.viewOpenedWith(command.triggerId);
    // Both Enters are sent before either update lands: they carry the same hash.
    await Promise.all([
      driver.enterInView('U1', view, 'address', 'one@example.com'),
      driver.enterInView('U1', view, 'address', 'two@example.com'),
    ]);
    await sim.waitFor(() => updates.length === 2);
    expect(updates.map((u) => (u.ok ? 'ok' : u.error)).sort()).toEqual(['hash_conflict', 'ok']);
    expect(
      sim
        .callsTo('views.update')
        .map((c) => c.error ?? 'ok')
        .sort(),
    ).toEqual(['hash_conflict', 'ok']);
  });

  it('refuses to press Enter where Slack would send nothing', async () => {
    const command = await driver.command('U1', '/lookup', '');
    const view = await sim.viewOpenedWith(command.triggerId);
    await expect(driver.enterInView('U1', view, 'reason', 'because')).rejects.toThrow(
      /input 'reason' of view V\w+ \(lookup\) has no dispatch_action: Slack sends nothing until the form is submitted/,
    );
    await expect(driver.enterInView('U1', view, 'nope', 'x')).rejects.toThrow("has no block 'nope'");
    expect(actions).toEqual([]);
  });
});
