import type { AddressInfo } from 'node:net';
// @slack/bolt is CommonJS. Use named imports: Node's ESM and vitest both resolve them. The default import
// differs between the two (module.exports under Node, the App class under vitest), so avoid it.
import {
  App,
  type BlockButtonAction,
  HTTPReceiver,
  type Logger,
  LogLevel,
  type SlashCommand,
  type ViewSubmitAction,
} from '@slack/bolt';
import type { Button, SectionBlock } from '@slack/types';
import { ErrorCode, WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BlockSurface,
  isJsonObject,
  type JsonObject,
  type SlackSimulator,
  startSlackSimulator,
  validateBlocks,
  validateView,
} from '../../testkit/slack/index.js';
import { SlackDriver } from '../../testkit/slack-driver/index.js';

const BOT_TOKEN = 'xoxb-simulated-bot-token';

// WebClient logs every `[ERROR]` in response_metadata; the refusals here are expected, so keep them quiet.
const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** A WebClient on the simulator; `token: null` sends no token at all. */
function webClient(
  simulator: SlackSimulator,
  options: { token?: string | null; rejectRateLimitedCalls?: boolean } = {},
) {
  return new WebClient(options.token === null ? undefined : (options.token ?? BOT_TOKEN), {
    slackApiUrl: simulator.apiUrl,
    retryConfig: { retries: 0 },
    logger: quietLogger,
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? false,
  });
}
const SIGNING_SECRET = 'simulated-signing-secret';

/** The `data` of a Slack platform error (`{ ok: false, error, … }`), failing the test if the call succeeded. */
async function slackError(call: Promise<unknown>): Promise<JsonObject> {
  try {
    await call;
  } catch (error) {
    if (isJsonObject(error) && error.code === ErrorCode.PlatformError && isJsonObject(error.data))
      return error.data;
    throw error;
  }
  throw new Error('expected the Slack call to fail');
}

function metadataMessages(data: JsonObject): unknown {
  return isJsonObject(data.response_metadata) ? data.response_metadata.messages : undefined;
}

function section(text: string, blockId?: string): SectionBlock {
  return { type: 'section', ...(blockId ? { block_id: blockId } : {}), text: { type: 'mrkdwn', text } };
}

function button(actionId: string, text: string, value?: string): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text },
    ...(value ? { value } : {}),
  };
}

function modal(overrides: JsonObject = {}): JsonObject {
  return {
    type: 'modal',
    callback_id: 'request_modal',
    title: { type: 'plain_text', text: 'Request access' },
    submit: { type: 'plain_text', text: 'Submit' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why?' },
        element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true },
      },
    ],
    ...overrides,
  };
}

describe('validateBlocks', () => {
  const longText = (length: number) => 'x'.repeat(length);
  const cases: Array<[string, unknown[], BlockSurface, string, string]> = [
    [
      'header text in mrkdwn',
      [{ type: 'header', text: { type: 'mrkdwn', text: 'Hi' } }],
      'message',
      '/blocks/0/text/type',
      'must be plain_text here: mrkdwn is not allowed',
    ],
    [
      'section text over 3000',
      [section(longText(3001))],
      'message',
      '/blocks/0/text/text',
      'must be less than 3001 characters',
    ],
    [
      'header text over 150',
      [{ type: 'header', text: { type: 'plain_text', text: longText(151) } }],
      'message',
      '/blocks/0/text/text',
      'must be less than 151 characters',
    ],
    [
      'a section with neither text nor fields',
      [{ type: 'section' }],
      'message',
      '/blocks/0',
      'must define either `text` or `fields`',
    ],
    ['empty text', [section('')], 'message', '/blocks/0/text/text', 'must be more than 0 characters'],
    [
      '11 context elements',
      [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'a' })) }],
      'message',
      '/blocks/0/elements',
      'no more than 10 items allowed',
    ],
    [
      '26 actions elements',
      [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`b${i}`, 'Go')) }],
      'message',
      '/blocks/0/elements',
      'no more than 25 items allowed',
    ],
    [
      'button text over 75',
      [{ type: 'actions', elements: [button('go', longText(76))] }],
      'message',
      '/blocks/0/elements/0/text/text',
      'must be less than 76 characters',
    ],
    [
      'button value over 2000',
      [{ type: 'actions', elements: [button('go', 'Go', longText(2001))] }],
      'message',
      '/blocks/0/elements/0/value',
      'must be less than 2001 characters',
    ],
    [
      'button style outside primary/danger',
      [{ type: 'actions', elements: [{ ...button('go', 'Go'), style: 'secondary' }] }],
      'message',
      '/blocks/0/elements/0/style',
      'must be one of: primary, danger',
    ],
    [
      'action_id over 255',
      [{ type: 'actions', elements: [button(longText(256), 'Go')] }],
      'message',
      '/blocks/0/elements/0/action_id',
      'must be less than 256 characters',
    ],
    [
      'duplicate action_id in one block',
      [{ type: 'actions', elements: [button('go', 'A'), button('go', 'B')] }],
      'message',
      '/blocks/0/elements/1/action_id',
      "duplicate action_id 'go' in the same block",
    ],
    [
      'duplicate block_id',
      [section('a', 'same'), section('b', 'same')],
      'message',
      '/blocks/1/block_id',
      "duplicate block_id 'same' (also used by block 0)",
    ],
    [
      'block_id over 255',
      [section('a', longText(256))],
      'message',
      '/blocks/0/block_id',
      'must be less than 256 characters',
    ],
    [
      'an input block in a message',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Name' },
          element: { type: 'plain_text_input', action_id: 'name' },
        },
      ],
      'message',
      '/blocks/0/type',
      'input blocks are only allowed in modals and Home tabs, not in messages',
    ],
    [
      'an input label in mrkdwn',
      [{ type: 'input', label: { type: 'mrkdwn', text: 'Name' }, element: { type: 'plain_text_input' } }],
      'modal',
      '/blocks/0/label/type',
      'must be plain_text here: mrkdwn is not allowed',
    ],
    [
      'min_length above max_length',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Why' },
          element: { type: 'plain_text_input', min_length: 10, max_length: 5 },
        },
      ],
      'modal',
      '/blocks/0/element/min_length',
      'must not be greater than max_length',
    ],
    [
      'static_select with 101 options',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: Array.from({ length: 101 }, (_, i) => ({
              text: { type: 'plain_text', text: `${i}` },
              value: `${i}`,
            })),
          },
        },
      ],
      'modal',
      '/blocks/0/element/options',
      'no more than 100 items allowed',
    ],
    [
      'option value over 150',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: [{ text: { type: 'plain_text', text: 'A' }, value: longText(151) }],
          },
        },
      ],
      'modal',
      '/blocks/0/element/options/0/value',
      'must be less than 151 characters',
    ],
    [
      'initial_option not among the options',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: [{ text: { type: 'plain_text', text: 'A' }, value: 'a' }],
            initial_option: { text: { type: 'plain_text', text: 'B' }, value: 'b' },
          },
        },
      ],
      'modal',
      '/blocks/0/element/initial_option',
      'must exactly match one of the options',
    ],
    [
      'radio_buttons with 11 options',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'radio_buttons',
            options: Array.from({ length: 11 }, (_, i) => ({
              text: { type: 'mrkdwn', text: `${i}` },
              value: `${i}`,
            })),
          },
        },
      ],
      'modal',
      '/blocks/0/element/options',
      'no more than 10 items allowed',
    ],
    [
      'a datepicker with a malformed initial_date',
      [
        {
          type: 'actions',
          elements: [{ type: 'datepicker', action_id: 'when', initial_date: '2024-02-30' }],
        },
      ],
      'home',
      '/blocks/0/elements/0/initial_date',
      'must be a date formatted YYYY-MM-DD',
    ],
    [
      'a confirm dialog title over 100',
      [
        {
          type: 'actions',
          elements: [
            {
              ...button('go', 'Go'),
              confirm: {
                title: { type: 'plain_text', text: longText(101) },
                text: { type: 'mrkdwn', text: 'Sure?' },
                confirm: { type: 'plain_text', text: 'Yes' },
                deny: { type: 'plain_text', text: 'No' },
              },
            },
          ],
        },
      ],
      'message',
      '/blocks/0/elements/0/confirm/title/text',
      'must be less than 101 characters',
    ],
    [
      'an unknown block type',
      [{ type: 'carousel_of_doom' }],
      'message',
      '/blocks/0/type',
      'unsupported type: carousel_of_doom',
    ],
    [
      '51 blocks in a message',
      Array.from({ length: 51 }, () => ({ type: 'divider' })),
      'message',
      '/blocks',
      'no more than 50 items allowed',
    ],
    [
      '101 blocks in a modal',
      Array.from({ length: 101 }, () => ({ type: 'divider' })),
      'modal',
      '/blocks',
      'no more than 100 items allowed',
    ],
  ];

  it.each(cases)('refuses %s', (_name, blocks, surface, pointer, message) => {
    expect(validateBlocks(blocks, surface)).toEqual([{ pointer, message }]);
  });

  it('accepts the elements the bot uses, at their limits', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000), 'b'.repeat(255)),
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'plain_text', text: 'c' })) },
      {
        type: 'actions',
        elements: [
          { ...button('approve', 'a'.repeat(75), 'v'.repeat(2000)), style: 'primary' },
          { ...button('deny', 'Deny'), style: 'danger' },
        ],
      },
      { type: 'divider' },
    ];
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    expect(
      validateBlocks(
        Array.from({ length: 50 }, () => ({ type: 'divider' })),
        'message',
      ),
    ).toEqual([]);
    expect(
      validateBlocks(
        Array.from({ length: 100 }, () => ({ type: 'divider' })),
        'modal',
      ),
    ).toEqual([]);
  });
});

describe('validateView', () => {
  it('accepts a modal with inputs and a submit button', () => {
    expect(validateView(modal(), 'modal')).toEqual([]);
  });

  it.each([
    [
      'a 25-character title',
      { title: { type: 'plain_text', text: 't'.repeat(25) } },
      '/view/title/text',
      'must be less than 25 characters',
    ],
    [
      'a 25-character submit',
      { submit: { type: 'plain_text', text: 's'.repeat(25) } },
      '/view/submit/text',
      'must be less than 25 characters',
    ],
    [
      'a mrkdwn close',
      { close: { type: 'mrkdwn', text: 'Close' } },
      '/view/close/type',
      'must be plain_text here: mrkdwn is not allowed',
    ],
    [
      'input blocks without submit',
      { submit: undefined },
      '/view',
      'a modal with input blocks must define submit',
    ],
    [
      'private_metadata over 3000',
      { private_metadata: 'm'.repeat(3001) },
      '/view/private_metadata',
      'must be less than 3001 characters',
    ],
  ])('refuses %s', (_name, overrides, pointer, message) => {
    expect(validateView(modal(overrides), 'modal')).toEqual([{ pointer, message }]);
  });
});

describe('Slack simulator, through a real WebClient', () => {
  let sim: SlackSimulator;
  let client: WebClient;

  beforeAll(async () => {
    sim = await startSlackSimulator({ botToken: BOT_TOKEN, botUserId: 'UBOT', botId: 'BBOT', teamId: 'T1' });
    sim.addUser({ id: 'U1', name: 'alice', realName: 'Alice Liddell', email: 'alice@example.com' });
    sim.addUser({ id: 'U2', name: 'bob' });
    sim.addUser({ id: 'U3', name: 'gone', deleted: true });
    sim.addUser({ id: 'U4', name: 'carol' });
    sim.addChannel('C1', 'approvals');
    sim.setUsergroup('S1', ['U1', 'U2']);
    client = webClient(sim);
  });

  afterEach(() => sim.reset());
  afterAll(() => sim.close());

  it('answers auth.test for the bot token', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      url: 'https://sim-workspace.slack.com/',
      team: 'sim-workspace',
      team_id: 'T1',
      user_id: 'UBOT',
      bot_id: 'BBOT',
    });
    expect(sim.callsTo('auth.test')).toEqual([
      { method: 'auth.test', args: {}, ok: true, at: expect.any(Number) },
    ]);
  });

  it('refuses a wrong token, a missing token and an unknown method', async () => {
    const wrongToken = webClient(sim, { token: 'xoxb-wrong' });
    expect((await slackError(wrongToken.auth.test())).error).toBe('invalid_auth');
    const noToken = webClient(sim, { token: null });
    expect((await slackError(noToken.auth.test())).error).toBe('not_authed');
    expect((await slackError(client.apiCall('chat.teleport', {}))).error).toBe('unknown_method');
    expect(sim.calls.map((call) => call.error)).toEqual(['invalid_auth', 'not_authed', 'unknown_method']);
  });

  it('accepts the token as a form field instead of the Authorization header', async () => {
    const response = await fetch(`${sim.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: BOT_TOKEN }).toString(),
    });
    expect(await response.json()).toMatchObject({ ok: true, user_id: 'UBOT' });
  });

  it('accepts JSON bodies with the token in the Authorization header', async () => {
    const response = await fetch(`${sim.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: 'C1', blocks: [section('From JSON')] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C1' });
    expect(sim.messagesIn('C1')[0]?.blocks?.[0]).toMatchObject(section('From JSON'));
  });

  it('returns users, usergroups and refuses unknown ones', async () => {
    const alice = await client.users.info({ user: 'U1' });
    expect(alice.user).toMatchObject({
      id: 'U1',
      name: 'alice',
      real_name: 'Alice Liddell',
      deleted: false,
      is_bot: false,
      profile: { email: 'alice@example.com', real_name: 'Alice Liddell', display_name: '' },
    });
    expect((await slackError(client.users.info({ user: 'U404' }))).error).toBe('user_not_found');
    expect((await client.usergroups.users.list({ usergroup: 'S1' })).users).toEqual(['U1', 'U2']);
    expect((await slackError(client.usergroups.users.list({ usergroup: 'S404' }))).error).toBe(
      'no_such_subteam',
    );
  });

  it('opens a stable DM per user and refuses unknown or deactivated users', async () => {
    const first = await client.conversations.open({ users: 'U1' });
    expect(first.channel).toEqual({ id: 'DU1' });
    const again = await client.conversations.open({ users: 'U1' });
    expect(again).toMatchObject({ ok: true, already_open: true, channel: { id: 'DU1' } });
    expect((await slackError(client.conversations.open({ users: 'U404' }))).error).toBe('user_not_found');
    expect((await slackError(client.conversations.open({ users: 'U3' }))).error).toBe('user_disabled');
  });

  it('posts messages with strictly increasing ts to channels, DMs and user ids', async () => {
    const inChannel = await client.chat.postMessage({ channel: 'C1', text: 'one' });
    expect(inChannel).toMatchObject({
      ok: true,
      channel: 'C1',
      message: { text: 'one', user: 'UBOT', bot_id: 'BBOT' },
    });
    const toUser = await client.chat.postMessage({ channel: 'U2', text: 'two' });
    expect(toUser.channel).toBe('DU2');
    const inDm = await client.chat.postMessage({ channel: 'DU2', text: 'three' });
    const stamps = [inChannel.ts, toUser.ts, inDm.ts].map(String);
    for (const ts of stamps) expect(ts).toMatch(/^\d{10}\.\d{6}$/);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(3);
    expect(sim.dmsTo('U2').map((m) => m.text)).toEqual(['two', 'three']);
    expect(sim.messagesIn('C1').map((m) => m.text)).toEqual(['one']);
  });

  it('refuses unknown channels, unopened DM ids and messages with no content', async () => {
    expect((await slackError(client.chat.postMessage({ channel: 'C404', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
    // A DM id the bot guessed but never opened does not exist for Slack (DMs stay open across reset()).
    expect((await slackError(client.chat.postMessage({ channel: 'DU4', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
    expect((await slackError(client.chat.postMessage({ channel: 'U3', text: 'x' }))).error).toBe(
      'is_archived',
    );
    expect((await slackError(client.chat.postMessage({ channel: 'C1', text: '' }))).error).toBe('no_text');
    expect((await slackError(client.apiCall('chat.postMessage', { channel: 'C1' }))).error).toBe('no_text');
    expect(sim.messages).toEqual([]);
  });

  it('refuses invalid blocks with Slack-style pointers', async () => {
    const tooMany = await slackError(
      client.chat.postMessage({
        channel: 'C1',
        text: 'x',
        blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })),
      }),
    );
    expect(tooMany.error).toBe('invalid_blocks');
    expect(metadataMessages(tooMany)).toEqual([
      '[ERROR] no more than 50 items allowed [json-pointer:/blocks]',
    ]);

    const duplicate = await slackError(
      client.chat.postMessage({
        channel: 'C1',
        text: 'x',
        blocks: [section('a', 'dup'), section('b', 'dup')],
      }),
    );
    expect(metadataMessages(duplicate)).toEqual([
      "[ERROR] duplicate block_id 'dup' (also used by block 0) [json-pointer:/blocks/1/block_id]",
    ]);

    const longButton = await slackError(
      client.chat.postMessage({
        channel: 'C1',
        text: 'x',
        blocks: [{ type: 'actions', elements: [button('go', 'b'.repeat(76), 'v'.repeat(2001))] }],
      }),
    );
    expect(metadataMessages(longButton)).toEqual([
      '[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
      '[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ]);
    expect(sim.messages).toEqual([]);
  });

  it('threads replies and flags a thread_ts that names no message, which Slack accepts silently', async () => {
    const parent = await client.chat.postMessage({ channel: 'C1', text: 'parent' });
    await client.chat.postMessage({ channel: 'C1', text: 'reply', thread_ts: String(parent.ts) });
    expect(sim.threadReplies('C1', String(parent.ts)).map((m) => m.text)).toEqual(['reply']);
    expect(sim.problems).toEqual([]);

    const orphan = await client.chat.postMessage({
      channel: 'C1',
      text: 'lost',
      thread_ts: '1000000000.000001',
    });
    expect(orphan.ok).toBe(true);
    expect(sim.problems).toEqual([
      'chat.postMessage: thread_ts 1000000000.000001 names no message in C1; Slack hides such replies',
    ]);
  });

  it('updates only existing bot messages and keeps their history', async () => {
    const posted = await client.chat.postMessage({
      channel: 'C1',
      text: 'pending',
      blocks: [section('Pending')],
    });
    const updated = await client.chat.update({
      channel: 'C1',
      ts: String(posted.ts),
      text: 'approved',
      blocks: [section('Approved')],
    });
    expect(updated).toMatchObject({ ok: true, channel: 'C1', ts: posted.ts, text: 'approved' });
    const message = sim.findMessage('C1', String(posted.ts));
    expect(message).toMatchObject({ text: 'approved', updates: 1 });
    expect(message?.history.map((revision) => collectFirstText(revision.blocks))).toEqual([
      'Pending',
      'Approved',
    ]);

    expect((await slackError(client.chat.update({ channel: 'C1', ts: '1.000000', text: 'x' }))).error).toBe(
      'message_not_found',
    );
    const human = sim.addUserMessage({ channel: 'C1', user: 'U1', text: 'mine' });
    expect((await slackError(client.chat.update({ channel: 'C1', ts: human.ts, text: 'x' }))).error).toBe(
      'cant_update_message',
    );
    // chat.update needs the DM id; a user id is not a conversation here.
    const dm = await client.chat.postMessage({ channel: 'U1', text: 'dm' });
    expect(
      (await slackError(client.chat.update({ channel: 'U1', ts: String(dm.ts), text: 'x' }))).error,
    ).toBe('channel_not_found');
  });

  it('records ephemeral messages', async () => {
    const result = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });
    expect(result.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(sim.ephemerals).toMatchObject([
      { channel: 'C1', user: 'U1', text: 'only you', ts: result.message_ts },
    ]);
  });

  it('opens a modal with a fresh trigger and returns the stored view', async () => {
    const triggerId = sim.createTrigger({ userId: 'U1' });
    const result = await client.views.open({ trigger_id: triggerId, view: modal() as never });
    const view = result.view as JsonObject;
    expect(view).toMatchObject({
      id: expect.stringMatching(/^V[0-9A-Z]+$/),
      type: 'modal',
      callback_id: 'request_modal',
      state: { values: {} },
      hash: expect.any(String),
      private_metadata: '',
      root_view_id: view.id,
    });
    expect(sim.lastView()).toMatchObject({ id: view.id, triggerId, userId: 'U1', status: 'open', view });
  });

  it('refuses reused, unknown and invalid-view opens, without spending the trigger on a refusal', async () => {
    const triggerId = sim.createTrigger();
    const badTitle = await slackError(
      client.views.open({
        trigger_id: triggerId,
        view: modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } }) as never,
      }),
    );
    expect(badTitle.error).toBe('invalid_arguments');
    expect(metadataMessages(badTitle)).toEqual([
      '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]',
    ]);
    const noSubmit = await slackError(
      client.views.open({ trigger_id: triggerId, view: modal({ submit: undefined }) as never }),
    );
    expect(metadataMessages(noSubmit)).toEqual([
      '[ERROR] a modal with input blocks must define submit [json-pointer:/view]',
    ]);

    await client.views.open({ trigger_id: triggerId, view: modal() as never });
    expect(
      (await slackError(client.views.open({ trigger_id: triggerId, view: modal() as never }))).error,
    ).toBe('exchanged_trigger_id');
    expect(
      (await slackError(client.views.open({ trigger_id: '123.456.abc', view: modal() as never }))).error,
    ).toBe('invalid_trigger_id');
    expect(sim.views).toHaveLength(1);
  });

  it('refuses an expired trigger', async () => {
    const quick = await startSlackSimulator({ botToken: BOT_TOKEN, triggerTtlMs: 30 });
    try {
      const quickClient = webClient(quick);
      const triggerId = quick.createTrigger();
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(
        (await slackError(quickClient.views.open({ trigger_id: triggerId, view: modal() as never }))).error,
      ).toBe('expired_trigger_id');
    } finally {
      await quick.close();
    }
  });

  it('updates a view by id, guarding with the hash', async () => {
    const opened = await client.views.open({ trigger_id: sim.createTrigger(), view: modal() as never });
    const viewId = String(opened.view?.id);
    const staleHash = String(opened.view?.hash);
    const done = { type: 'modal', title: { type: 'plain_text', text: 'Done' }, blocks: [section('Sent')] };
    const updated = await client.views.update({ view_id: viewId, hash: staleHash, view: done as never });
    expect(updated.view).toMatchObject({ id: viewId, title: { text: 'Done' } });
    expect(updated.view?.hash).not.toBe(staleHash);
    expect(
      (await slackError(client.views.update({ view_id: viewId, hash: staleHash, view: done as never })))
        .error,
    ).toBe('hash_conflict');
    expect((await slackError(client.views.update({ view_id: 'V404', view: done as never }))).error).toBe(
      'not_found',
    );
    expect(sim.lastView()?.history).toHaveLength(2);
  });

  it('publishes Home tabs per user and refuses modals there', async () => {
    const home = { type: 'home', blocks: [section('Your requests')] };
    await client.views.publish({ user_id: 'U1', view: home as never });
    expect(sim.homeViews.get('U1')?.view).toMatchObject({ type: 'home', blocks: [section('Your requests')] });
    const wrongType = await slackError(client.views.publish({ user_id: 'U1', view: modal() as never }));
    expect(metadataMessages(wrongType)).toEqual([
      '[ERROR] must be home for this method [json-pointer:/view/type]',
    ]);
    expect((await slackError(client.views.publish({ user_id: 'U404', view: home as never }))).error).toBe(
      'invalid_arguments',
    );
  });

  it('injects rate limits, outages and plain errors', async () => {
    sim.failNext('chat.postMessage', { error: 'ratelimited', status: 429, retryAfterSec: 7 });
    const rateLimited = webClient(sim, { rejectRateLimitedCalls: true });
    await expect(rateLimited.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });

    sim.failNext('chat.postMessage', { error: 'internal_error', status: 500 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 500,
    });

    sim.failNext('users.info', { error: 'fatal_error', times: 2 });
    expect((await slackError(client.users.info({ user: 'U1' }))).error).toBe('fatal_error');
    expect((await slackError(client.users.info({ user: 'U1' }))).error).toBe('fatal_error');
    expect((await client.users.info({ user: 'U1' })).ok).toBe(true);
    expect((await client.chat.postMessage({ channel: 'C1', text: 'after' })).ok).toBe(true);
    expect(sim.calls.map((call) => call.error ?? 'ok')).toEqual([
      'ratelimited',
      'internal_error',
      'fatal_error',
      'fatal_error',
      'ok',
      'ok',
    ]);
  });

  it('waits for a recorded change and explains a timeout', async () => {
    setTimeout(() => void client.chat.postMessage({ channel: 'C1', text: 'later' }), 30);
    const message = await sim.waitFor(() => sim.messagesIn('C1').find((m) => m.text === 'later'), 2000);
    expect(message.text).toBe('later');
    await expect(
      sim.waitFor(() => sim.messagesIn('C1').find((m) => m.text === 'never'), 100),
    ).rejects.toThrow(/waitFor timed out after 100ms\nrecent Slack API calls:\n {2}chat\.postMessage → ok/);
  });

  it('records response_url posts and refuses invalid ones', async () => {
    const url = sim.createResponseUrl({ userId: 'U1', channelId: 'C1' });
    const ok = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Working on it' }),
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'no' } }] }),
    });
    expect(bad.status).toBe(400);
    expect(sim.responses.map((r) => [r.ok, r.error])).toEqual([
      [true, undefined],
      [false, 'invalid_blocks'],
    ]);
    expect(sim.ephemerals).toMatchObject([
      { channel: 'C1', user: 'U1', text: 'Working on it', via: 'response_url' },
    ]);
  });
});

function collectFirstText(blocks: JsonObject[] | undefined): unknown {
  const first = blocks?.[0];
  return isJsonObject(first) && isJsonObject(first.text) ? first.text.text : undefined;
}

describe('Slack simulator, Socket Mode', () => {
  it('opens a connection only for the app-level token, and only once per ticket', async () => {
    const sim = await startSlackSimulator({ botToken: BOT_TOKEN });
    try {
      await expect(sim.sendEnvelope('slash_commands', { command: '/x' })).rejects.toThrow(
        /no Socket Mode app/,
      );
      expect((await slackError(webClient(sim).apps.connections.open())).error).toBe('invalid_auth');
      const opened = await webClient(sim, { token: sim.appToken }).apps.connections.open();
      const url = String(opened.url);
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode\?ticket=[0-9a-f]+$/);

      const { WebSocket } = await import('ws');
      const connect = (target: string) =>
        new Promise<{ hello?: unknown; refused?: number }>((resolve) => {
          const ws = new WebSocket(target);
          ws.on('message', (data) => {
            resolve({ hello: JSON.parse(String(data)) });
            ws.close();
          });
          ws.on('unexpected-response', (_request, response) => resolve({ refused: response.statusCode }));
          ws.on('error', () => undefined);
        });
      expect(await connect(url)).toMatchObject({
        hello: { type: 'hello', connection_info: { app_id: sim.appId } },
      });
      expect(await connect(url)).toEqual({ refused: 401 }); // a ticket is good for one connection
      await expect(sim.sendEnvelope('slash_commands', { command: '/x' })).rejects.toThrow(
        /no Socket Mode app/,
      );
    } finally {
      await sim.close();
    }
  });
});

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
