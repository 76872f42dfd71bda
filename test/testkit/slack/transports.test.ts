/**
 * How an app reaches the simulator: the HTTP server (tokens, body formats, injected failures, response
 * URLs, and the recordings tests wait on) and Socket Mode.
 */
import { ErrorCode, type WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SlackSimulator, startSlackSimulator } from '../../../testkit/slack/index.js';
import { section } from './blocks.js';
import { BOT_TOKEN, slackError, startSeededSimulator, webClient } from './support.js';

describe('Slack simulator, HTTP server and recordings, through a real WebClient', () => {
  let sim: SlackSimulator;
  let client: WebClient;

  beforeAll(async () => {
    sim = await startSeededSimulator();
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
    // A change made after waitFor has started (a timer, not a wait: what is tested is waitFor itself).
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
        new Promise<{ hello?: unknown; refused?: number | undefined }>((resolve) => {
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
