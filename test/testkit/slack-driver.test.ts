import type { AddressInfo } from 'node:net';
// @slack/bolt is CommonJS. Use named imports: Node's ESM and vitest both resolve them. The default import
// differs between the two (module.exports under Node, the App class under vitest), so avoid it.
import {
  App,
  type BlockButtonAction,
  HTTPReceiver,
  LogLevel,
  type SlashCommand,
  type ViewSubmitAction,
} from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SlackSimulator, startSlackSimulator } from '../../testkit/slack/index.js';
import { SlackDriver } from '../../testkit/slack-driver/index.js';
import { button, section } from './slack/blocks.js';
import { BOT_TOKEN, SIGNING_SECRET } from './slack/support.js';

describe('SlackDriver, against a real Bolt app', () => {
  let sim: SlackSimulator;
  let app: App;
  let driver: SlackDriver;
  let appUrl: string;
  const seen: {
    commands: SlashCommand[];
    submissions: ViewSubmitAction[];
    clicks: BlockButtonAction[];
    homeOpens: string[];
  } = { commands: [], submissions: [], clicks: [], homeOpens: [] };

  const durationOptions = [
    { text: { type: 'plain_text' as const, text: '1 day' }, value: '24' },
    { text: { type: 'plain_text' as const, text: '1 week' }, value: '168' },
  ];

  beforeAll(async () => {
    sim = await startSlackSimulator({ botToken: BOT_TOKEN, botUserId: 'UBOT', teamId: 'T1' });
    sim.addUser({ id: 'U1', name: 'alice', email: 'alice@example.com' });
    sim.addUser({ id: 'U2', name: 'bob' });
    sim.addChannel('C1', 'approvals');

    const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR });
    app = new App({
      token: BOT_TOKEN,
      receiver,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/delegate', async ({ ack, command, client }) => {
      await ack();
      seen.commands.push(command);
      await client.views.open({
        trigger_id: command.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'request_modal',
          private_metadata: JSON.stringify({ channel: command.channel_id }),
          title: { type: 'plain_text', text: 'Request access' },
          submit: { type: 'plain_text', text: 'Submit' },
          blocks: [
            {
              type: 'input',
              block_id: 'mailbox',
              label: { type: 'plain_text', text: 'Mailbox' },
              element: { type: 'email_text_input', action_id: 'mailbox_input', initial_value: command.text },
            },
            {
              type: 'input',
              block_id: 'reason',
              label: { type: 'plain_text', text: 'Why?' },
              element: { type: 'plain_text_input', action_id: 'reason_input', min_length: 3 },
            },
            {
              type: 'input',
              block_id: 'duration',
              label: { type: 'plain_text', text: 'For how long?' },
              element: { type: 'static_select', action_id: 'duration_select', options: durationOptions },
            },
            {
              type: 'input',
              block_id: 'note',
              optional: true,
              label: { type: 'plain_text', text: 'Note' },
              element: { type: 'plain_text_input', action_id: 'note_input' },
            },
          ],
        },
      });
    });
    app.command('/status', async ({ ack, command }) => {
      if (command.text === 'broken')
        await ack({ blocks: [{ type: 'header', text: { type: 'mrkdwn', text: '*no*' } }] as never });
      else await ack({ text: 'Nothing pending' });
    });
    app.view<ViewSubmitAction>('request_modal', async ({ ack, body, view }) => {
      seen.submissions.push(body);
      const reason = view.state.values.reason?.reason_input?.value ?? '';
      if (reason.includes('pls'))
        await ack({ response_action: 'errors', errors: { reason: 'Say why, please' } });
      else await ack();
    });
    app.action<BlockButtonAction>('approve', async ({ ack, body, respond }) => {
      await ack();
      seen.clicks.push(body);
      await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    });
    app.action<BlockButtonAction>('refresh', async ({ ack, body }) => {
      await ack();
      seen.clicks.push(body);
    });
    app.event('app_home_opened', async ({ event, client }) => {
      seen.homeOpens.push(event.user);
      await client.views.publish({
        user_id: event.user,
        view: {
          type: 'home',
          blocks: [
            section('Your requests'),
            {
              type: 'actions',
              elements: [
                { type: 'button', action_id: 'refresh', text: { type: 'plain_text', text: 'Refresh' } },
              ],
            },
          ],
        },
      });
    });

    const server = await app.start({ port: 0, host: '127.0.0.1' });
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    driver = new SlackDriver({ appUrl, signingSecret: SIGNING_SECRET, sim });
    // With token verification on, Bolt asked the simulator who it is before serving anything.
    await sim.waitFor(() => sim.callsTo('auth.test').find((call) => call.ok));
  });

  afterEach(() => {
    sim.reset();
    seen.commands.length = 0;
    seen.submissions.length = 0;
    seen.clicks.length = 0;
    seen.homeOpens.length = 0;
  });

  afterAll(async () => {
    await app.stop();
    await sim.close();
  });

  it('delivers a slash command with the fields Slack sends, and the app opens its modal', async () => {
    const sent = await driver.command('U1', '/delegate', 'sales@example.com');
    expect(sent.status).toBe(200);
    expect(seen.commands).toEqual([
      {
        token: 'sim-verification-token',
        team_id: 'T1',
        team_domain: 'sim-workspace',
        channel_id: 'DU1',
        channel_name: 'directmessage',
        user_id: 'U1',
        user_name: 'alice',
        command: '/delegate',
        text: 'sales@example.com',
        api_app_id: 'A0SIMAPP',
        is_enterprise_install: 'false',
        response_url: sent.responseUrl,
        trigger_id: sent.triggerId,
      },
    ]);
    const opened = await sim.waitFor(() => sim.lastView());
    expect(opened).toMatchObject({ triggerId: sent.triggerId, userId: 'U1', status: 'open' });
    expect(opened.view.callback_id).toBe('request_modal');
  });

  it('shows a command reply to the user, and flags one Slack would refuse', async () => {
    await driver.command('U2', '/status', '', { channelId: 'C1' });
    expect(sim.ephemerals).toMatchObject([
      { channel: 'C1', user: 'U2', text: 'Nothing pending', via: 'command_ack' },
    ]);
    await driver.command('U2', '/status', 'broken', { channelId: 'C1' });
    expect(sim.ephemerals).toHaveLength(1);
    expect(sim.problems).toEqual([
      'the reply to /status is not a valid message: invalid_blocks ' +
        '[ERROR] must be plain_text here: mrkdwn is not allowed [json-pointer:/blocks/0/text/type]',
    ]);
  });

  it('submits a modal with state values shaped per element type, then Slack closes it', async () => {
    await driver.command('U1', '/delegate', 'sales@example.com');
    const opened = await sim.waitFor(() => sim.lastView());

    const sent = await driver.submitView('U1', opened, {
      reason: { reason_input: 'Covering for Sam' },
      duration: { duration_select: '168' },
    });
    expect(sent.status).toBe(200);
    expect(sent.text).toBe('');
    expect(seen.submissions).toHaveLength(1);
    const body = seen.submissions[0];
    expect(body).toMatchObject({
      type: 'view_submission',
      team: { id: 'T1', domain: 'sim-workspace' },
      user: { id: 'U1', name: 'alice', team_id: 'T1' },
      api_app_id: 'A0SIMAPP',
      trigger_id: expect.stringMatching(/^\d+\.\d+\.[0-9a-f]+$/),
      view: {
        id: opened.id,
        callback_id: 'request_modal',
        private_metadata: JSON.stringify({ channel: 'DU1' }),
        hash: opened.view.hash,
      },
    });
    expect(body?.view.state.values).toEqual({
      mailbox: { mailbox_input: { type: 'email_text_input', value: 'sales@example.com' } },
      reason: { reason_input: { type: 'plain_text_input', value: 'Covering for Sam' } },
      duration: { duration_select: { type: 'static_select', selected_option: durationOptions[1] } },
      note: { note_input: { type: 'plain_text_input', value: null } },
    });
    expect(sim.findView(opened.id)?.status).toBe('closed');
  });

  it('keeps the modal open with the errors the app returns', async () => {
    await driver.command('U1', '/delegate', 'sales@example.com');
    const opened = await sim.waitFor(() => sim.lastView());
    const sent = await driver.submitView('U1', opened, {
      reason: { reason_input: 'pls' },
      duration: { duration_select: '24' },
    });
    expect(sent.json).toEqual({ response_action: 'errors', errors: { reason: 'Say why, please' } });
    expect(sim.findView(opened.id)).toMatchObject({ status: 'open', errors: { reason: 'Say why, please' } });
    expect(sim.problems).toEqual([]);
  });

  it('refuses submissions Slack could never send', async () => {
    await driver.command('U1', '/delegate', 'sales@example.com');
    const opened = await sim.waitFor(() => sim.lastView());
    await expect(driver.submitView('U1', opened, { nope: { x: 'y' } })).rejects.toThrow(
      "view request_modal has no input block 'nope'; its input blocks: mailbox, reason, duration, note",
    );
    await expect(driver.submitView('U1', opened, { reason: { wrong_action: 'y' } })).rejects.toThrow(
      "input block 'reason' has no element 'wrong_action' (its element is 'reason_input')",
    );
    await expect(driver.submitView('U1', opened, { duration: { duration_select: '24' } })).rejects.toThrow(
      "Slack would not submit view request_modal: required input 'reason' is empty",
    );
    await expect(
      driver.submitView('U1', opened, {
        reason: { reason_input: 'ok' },
        duration: { duration_select: '24' },
      }),
    ).rejects.toThrow("Slack would not submit: input 'reason' needs at least 3 characters");
    await expect(
      driver.submitView('U1', opened, {
        reason: { reason_input: 'Cover' },
        duration: { duration_select: '5' },
      }),
    ).rejects.toThrow("input 'duration' has no option '5'; options: 24, 168");
    await expect(
      driver.submitView('U2', opened, {
        reason: { reason_input: 'Cover' },
        duration: { duration_select: '24' },
      }),
    ).rejects.toThrow(`view ${opened.id} (request_modal) was opened for U1, not U2`);
    expect(seen.submissions).toEqual([]);
  });

  it('clicks a message button with the payload Slack sends, and respond() replaces the message', async () => {
    const posted = await app.client.chat.postMessage({
      channel: 'C1',
      text: 'Request R-1',
      blocks: [
        section('Alice wants access to sales@', 'request'),
        {
          type: 'actions',
          block_id: 'decide',
          elements: [
            { ...button('approve', 'Approve', 'R-1'), style: 'primary' },
            { ...button('deny', 'Deny', 'R-1'), style: 'danger' },
          ],
        },
      ],
    });
    const message = sim.findMessage('C1', String(posted.ts));
    if (message === undefined) throw new Error('the message was not recorded');

    const sent = await driver.clickButton('U2', message, 'approve');
    expect(sent.status).toBe(200);
    expect(seen.clicks).toHaveLength(1);
    expect(seen.clicks[0]).toMatchObject({
      type: 'block_actions',
      user: { id: 'U2', username: 'bob', name: 'bob', team_id: 'T1' },
      api_app_id: 'A0SIMAPP',
      container: { type: 'message', message_ts: posted.ts, channel_id: 'C1', is_ephemeral: false },
      trigger_id: sent.triggerId,
      team: { id: 'T1', domain: 'sim-workspace' },
      channel: { id: 'C1', name: 'approvals' },
      message: { ts: posted.ts, text: 'Request R-1', user: 'UBOT', blocks: message.blocks },
      response_url: sent.responseUrl,
      actions: [
        {
          action_id: 'approve',
          block_id: 'decide',
          text: { type: 'plain_text', text: 'Approve' },
          value: 'R-1',
          style: 'primary',
          type: 'button',
          action_ts: expect.stringMatching(/^\d+\.\d{6}$/),
        },
      ],
    });
    const replaced = await sim.waitFor(
      () => sim.findMessage('C1', String(posted.ts))?.updates === 1 && sim.responses[0],
    );
    expect(replaced.body).toEqual({ replace_original: true, text: 'Approved by <@U2>' });
    expect(sim.findMessage('C1', String(posted.ts))).toMatchObject({ text: 'Approved by <@U2>', updates: 1 });
    expect(sim.findMessage('C1', String(posted.ts))?.blocks).toBeUndefined();

    await expect(driver.clickButton('U2', message, 'escalate')).rejects.toThrow(
      `no button 'escalate' matching {} in message ${posted.ts}; has:`,
    );
  });

  it('delivers an app_home_opened event and a click in the Home tab', async () => {
    const delivered = await driver.event({
      type: 'app_home_opened',
      user: 'U1',
      channel: 'DU1',
      tab: 'home',
    });
    expect(delivered.status).toBe(200);
    const home = await sim.waitFor(() => sim.homeViews.get('U1'));
    expect(seen.homeOpens).toEqual(['U1']);

    const clicked = await driver.clickInView('U1', home, 'refresh');
    expect(clicked.status).toBe(200);
    expect(seen.clicks[0]).toMatchObject({
      type: 'block_actions',
      container: { type: 'view', view_id: home.id },
      view: { id: home.id, type: 'home' },
      actions: [{ action_id: 'refresh', type: 'button' }],
    });
  });

  it('answers the URL verification handshake', async () => {
    const verified = await driver.urlVerification('challenge-123');
    expect(verified.json).toEqual({ challenge: 'challenge-123' });
  });

  it('rejects a bad signature, a missing one and a stale timestamp with 401 before any listener', async () => {
    const trigger = sim.createTrigger({ userId: 'U1' });
    const body = new URLSearchParams({
      command: '/delegate',
      text: 'x',
      user_id: 'U1',
      trigger_id: trigger,
    }).toString();
    const badSignature = await driver.send(body, { signature: `v0=${'0'.repeat(64)}` });
    const noSignature = await driver.send(body, { signature: null });
    const stale = await driver.send(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const wrongSecret = await new SlackDriver({ appUrl, signingSecret: 'not-the-secret', sim }).send(body);
    expect([badSignature.status, noSignature.status, stale.status, wrongSecret.status]).toEqual([
      401, 401, 401, 401,
    ]);
    // A correctly signed copy of the same body does reach the app: the refusals above were about signing only.
    const signed = await driver.send(body);
    expect(signed.status).toBe(200);
    expect(seen.commands.map((command) => command.text)).toEqual(['x']);
    // The listener goes on to open its modal; let that finish before the test ends.
    expect(await sim.waitFor(() => sim.callsTo('views.open')[0])).toMatchObject({ ok: true });
  });
});
