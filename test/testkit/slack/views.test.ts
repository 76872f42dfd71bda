import type { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type JsonObject, type SlackSimulator, startSlackSimulator } from '../../../testkit/slack/index.js';
import { modal, section } from './blocks.js';
import { BOT_TOKEN, metadataMessages, slackError, startSeededSimulator, webClient } from './support.js';

describe('Slack simulator, views methods, through a real WebClient', () => {
  let sim: SlackSimulator;
  let client: WebClient;

  beforeAll(async () => {
    sim = await startSeededSimulator();
    client = webClient(sim);
  });

  afterEach(() => sim.reset());
  afterAll(() => sim.close());

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
});
