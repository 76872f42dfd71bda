import { afterEach, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULT_CREDENTIALS } from '../../testkit/mimecast/index.js';
import { logEntries } from '../support/fault-tools.js';
import {
  addCalls,
  BOT_TOKEN,
  cardOf,
  type Harness,
  SIGNING_SECRET,
  startHarness,
  submitRequest,
  USERS,
  waitForStatus,
  waitUntil,
} from '../support/harness.js';
import { answerText } from '../support/slack-answers.js';

const ADD = '/api/user/add-delegate-user';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const API_2_ENV = {
  LOG_LEVEL: 'trace',
  MIMECAST_APP_ID: undefined,
  MIMECAST_APP_KEY: undefined,
  MIMECAST_ACCESS_KEY: undefined,
  MIMECAST_SECRET_KEY: undefined,
  MIMECAST_CLIENT_ID: SIMULATOR_DEFAULT_CREDENTIALS.oauth.clientId,
  MIMECAST_CLIENT_SECRET: SIMULATOR_DEFAULT_CREDENTIALS.oauth.clientSecret,
};

/**
 * A whole flow at trace level: a request granted, one refused by Mimecast, a Slack hiccup on the way,
 * an admin's `/delegate health` (which reports settings and checks both APIs), and a revoke.
 */
async function runFlow(h: Harness, fault: Parameters<Harness['mimecast']['inject']>[1]) {
  const granted = await submitRequest(h, USERS.alice.id, 'sales@example.com');
  h.sim.failNext('chat.update', { error: 'internal_error', status: 500 });
  await h.driver.clickButton(USERS.carol.id, await cardOf(h, granted.id), 'approve_request');
  await waitForStatus(h, granted.id, 'completed');

  const refused = await submitRequest(h, USERS.alice.id, 'info@example.com');
  h.mimecast.inject(ADD, fault);
  await h.driver.clickButton(USERS.carol.id, await cardOf(h, refused.id), 'approve_request');
  await waitForStatus(h, refused.id, 'failed');

  const health = await h.driver.command(USERS.admin.id, '/delegate', 'health');
  const healthText = await answerText(h, health.responseUrl, 5000);
  expect(healthText).toContain('*Mimecast*: :white_check_mark:');
  const revoke = await h.driver.command(USERS.admin.id, '/delegate', `revoke ${granted.id}`);
  expect(await answerText(h, revoke.responseUrl, 5000)).toMatch(/^Revoked /);

  // Let the notices (including the retried card update) go out, so their log lines are written too.
  const later = new Date(Date.now() + 3_600_000);
  await waitUntil(
    async () => ((await h.bot.store.dueNotices(later, 1)).length === 0 ? true : undefined),
    'notices',
    8000,
  );
  expect(h.sim.callsTo('chat.update').filter((call) => !call.ok)).toHaveLength(1); // the hiccup, retried
  await h.bot.dispatcher.idle();
}

/** Every secret the bot holds or was handed, in the forms it could be written. */
function secretsOf(h: Harness): string[] {
  const { hmac, oauth } = h.mimecast.credentials;
  const authorizations = h.mimecast.calls.flatMap((call) => call.headers.authorization ?? []);
  const raw = [
    BOT_TOKEN,
    SIGNING_SECRET,
    hmac.appKey,
    hmac.accessKey,
    hmac.secretKey,
    Buffer.from(hmac.secretKey, 'base64').toString('utf8'),
    oauth.clientSecret,
    ...h.mimecast.issuedTokens,
    ...authorizations,
    ...authorizations.map((value) => value.replace(/^(MC [^:]+:|Bearer )/, '')),
  ];
  return [
    ...new Set(
      raw.flatMap((secret) => [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]),
    ),
  ];
}

function leaks(text: string, secrets: string[]): string[] {
  return secrets.filter((secret) => text.includes(secret));
}

describe('no secret in any log line, at trace level', () => {
  it('Mimecast API 1.0 (HMAC keys): token, signing secret, keys and MC signatures never logged', async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'trace' } });
    await runFlow(h, { status: 401 });

    const authorizations = h.mimecast.calls.flatMap((call) => call.headers.authorization ?? []);
    expect(authorizations.length).toBeGreaterThanOrEqual(4);
    expect(authorizations.every((value) => value.startsWith('MC '))).toBe(true);
    const levels = new Set(logEntries(h).map((line) => line.level));
    expect(levels.has(10) || levels.has(20)).toBe(true); // trace/debug lines were written
    expect(h.logLines.length).toBeGreaterThan(50);

    const secrets = secretsOf(h);
    for (const line of h.logLines) expect(leaks(line, secrets), line).toEqual([]);
    // Nor in anything the bot showed in Slack (the health report lists settings).
    const shown = [
      ...h.sim.messages.map((m) => JSON.stringify(m)),
      ...h.sim.responses.map((r) => JSON.stringify(r.body)),
    ];
    for (const text of shown) expect(leaks(text, secrets), text).toEqual([]);
  });

  it('Mimecast API 2.0 (OAuth): client secret and bearer access tokens never logged', async () => {
    h = await startHarness({ env: API_2_ENV });
    expect(h.config.mimecast.auth.kind).toBe('oauth');
    // The failure here: a token that expires early (re-authenticated once), then a refusal.
    h.mimecast.inject(ADD, {
      status: 401,
      body: {
        meta: { status: 401 },
        data: [],
        fail: [{ code: 'token_expired', message: 'Access token has expired' }],
      },
    });
    await runFlow(h, { status: 403 });

    expect(h.mimecast.issuedTokens.length).toBeGreaterThanOrEqual(2);
    const authorizations = h.mimecast.calls.flatMap((call) => call.headers.authorization ?? []);
    expect(authorizations.some((value) => value.startsWith('Bearer '))).toBe(true);
    expect(addCalls(h).length).toBeGreaterThanOrEqual(3);
    expect(h.logLines.length).toBeGreaterThan(50);

    const secrets = secretsOf(h);
    for (const line of h.logLines) expect(leaks(line, secrets), line).toEqual([]);
    const shown = [
      ...h.sim.messages.map((m) => JSON.stringify(m)),
      ...h.sim.responses.map((r) => JSON.stringify(r.body)),
    ];
    for (const text of shown) expect(leaks(text, secrets), text).toEqual([]);
  });
});

describe('no personal data at debug level', () => {
  // Debug is what an operator turns on to look into a problem; people's addresses and reasons are not
  // needed there (ids are). The libraries' own debug lines, which carry whole bodies, are at trace.
  it('a whole flow at LOG_LEVEL=debug logs ids, never an email address or a reason', async () => {
    h = await startHarness({ env: { LOG_LEVEL: 'debug' } });
    await runFlow(h, { status: 401 });
    const levels = new Set(logEntries(h).map((line) => line.level));
    expect(levels.has(20)).toBe(true); // debug lines were written
    expect(levels.has(10)).toBe(false);
    const personal = [
      ...Object.values(USERS).flatMap((user) => ('email' in user && user.email ? [user.email] : [])),
      'sales@example.com',
      'info@example.com',
      'Covering the shared queue while Sam is away',
    ];
    expect(personal.length).toBeGreaterThan(3);
    for (const line of h.logLines) {
      expect(
        personal.filter((text) => line.includes(text)),
        line,
      ).toEqual([]);
    }
  });
});
