/** The Web API methods by family, through a real WebClient on one seeded simulator. */
import type { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type JsonObject, type SlackSimulator, startSlackSimulator } from '../../../testkit/slack/index.js';
import { button, collectFirstText, modal, section } from './blocks.js';
import { BOT_TOKEN, metadataMessages, slackError, startSeededSimulator, webClient } from './support.js';

let sim: SlackSimulator;
let client: WebClient;

beforeAll(async () => {
  sim = await startSeededSimulator();
  client = webClient(sim);
});

afterEach(() => sim.reset());
afterAll(() => sim.close());

describe('Slack simulator, chat and directory methods, through a real WebClient', () => {
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

  it('finds users by email as Slack does: users_not_found for an unknown or deactivated one', async () => {
    const found = await client.users.lookupByEmail({ email: 'Alice@Example.com' });
    expect(found.user).toMatchObject({ id: 'U1', deleted: false, profile: { email: 'alice@example.com' } });
    sim.addUser({ id: 'U5', name: 'left', email: 'left@example.com', deleted: true });
    expect((await slackError(client.users.lookupByEmail({ email: 'left@example.com' }))).error).toBe(
      'users_not_found',
    );
    expect((await slackError(client.users.lookupByEmail({ email: 'nobody@example.com' }))).error).toBe(
      'users_not_found',
    );
    expect((await slackError(client.apiCall('users.lookupByEmail', {}))).error).toBe('invalid_arguments');
  });

  it('lists user groups with their handles, members and counts on request, disabled ones only if asked', async () => {
    sim.setUsergroup('S2', ['U4'], { handle: 'security', name: 'Security team' });
    sim.setUsergroup('S3', [], { handle: 'old', name: 'Old', disabled: true });
    const listed = await client.usergroups.list({});
    expect(listed.usergroups?.map((g) => [g.id, g.handle, g.name, g.date_delete])).toEqual([
      ['S1', 's1', 'S1', 0],
      ['S2', 'security', 'Security team', 0],
    ]);
    expect(listed.usergroups?.[1]).toMatchObject({ team_id: 'T1', is_usergroup: true });
    expect(listed.usergroups?.[1]).not.toHaveProperty('users');
    const full = await client.usergroups.list({
      include_users: true,
      include_count: true,
      include_disabled: true,
    });
    expect(full.usergroups?.map((g) => [g.id, g.users, g.user_count])).toEqual([
      ['S1', ['U1', 'U2'], 2],
      ['S2', ['U4'], 1],
      ['S3', [], 0],
    ]);
    sim.usergroups.delete('S2');
    sim.usergroups.delete('S3');
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
});

describe('Slack simulator, views methods, through a real WebClient', () => {
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
    // Only Date is the test's: the trigger is 60 ms old by the simulator's clock, at once.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const quickClient = webClient(quick);
      const triggerId = quick.createTrigger();
      vi.setSystemTime(Date.now() + 60);
      expect(
        (await slackError(quickClient.views.open({ trigger_id: triggerId, view: modal() as never }))).error,
      ).toBe('expired_trigger_id');
    } finally {
      vi.useRealTimers();
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
});
