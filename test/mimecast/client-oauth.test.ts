import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import { ADD_DELEGATE_PATH, MimecastClient, OAUTH_TOKEN_PATH } from '../../src/mimecast/client.js';
import type { MimecastConfig } from '../../src/mimecast/types.js';
import { type MimecastSimulator, startMimecastSimulator } from '../../testkit/mimecast/index.js';
import { FakeClock, fakeSleep, MAILBOXES, oauthConfig, UUID } from './support.js';

const aliceToSales = { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' };

let simClock: FakeClock;
let clientClock: FakeClock;
let sim: MimecastSimulator;
let clients: MimecastClient[];

beforeEach(async () => {
  // Separate clocks, so a test can make a token expire at Mimecast while the client still trusts it.
  simClock = new FakeClock();
  clientClock = new FakeClock();
  sim = await startMimecastSimulator({ now: simClock.now, mailboxes: MAILBOXES, tokenTtlSeconds: 1800 });
  clients = [];
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await sim.close();
});

function client(overrides: Partial<MimecastConfig> = {}): MimecastClient {
  const created = new MimecastClient(oauthConfig(sim, overrides), {
    logger: createMemoryLogger('trace').logger,
    now: clientClock.now,
    sleep: fakeSleep().sleep,
  });
  clients.push(created);
  return created;
}

const tokenCalls = () => sim.calls.filter((call) => call.path === OAUTH_TOKEN_PATH);
const apiCalls = () => sim.calls.filter((call) => call.path !== OAUTH_TOKEN_PATH);

describe('MimecastClient with API 2.0 credentials', () => {
  it('gets a token with a form-encoded client_credentials request and reuses it across calls', async () => {
    const mimecast = client();
    const results = [
      await mimecast.addDelegate(aliceToSales),
      await mimecast.findDelegates('alice@example.com'),
      await mimecast.addDelegate({ primaryAddress: 'bob@example.com', delegateAddress: 'sales@example.com' }),
    ];

    expect(results.map((result) => result.ok)).toEqual([true, true, true]);
    expect(sim.tokenRequests).toBe(1);
    const [tokenCall] = tokenCalls();
    expect(tokenCall?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenCall?.body).toEqual({
      grant_type: 'client_credentials',
      client_id: sim.credentials.oauth.clientId,
      client_secret: sim.credentials.oauth.clientSecret,
    });

    expect(sim.issuedTokens).toHaveLength(1);
    for (const call of apiCalls()) {
      expect(call.authOk).toBe(true);
      expect(call.headers.authorization).toBe(`Bearer ${sim.issuedTokens[0]}`);
      expect(call.headers['x-mc-req-id']).toMatch(UUID);
      expect(call.headers['x-mc-date']).toBeUndefined();
      expect(call.headers['x-mc-app-id']).toBeUndefined();
    }
    expect(apiCalls()[0]!.rawBody).toBe(
      '{"data":[{"primaryAddress":"alice@example.com","delegateAddress":"sales@example.com"}]}',
    );
  });

  it('shares one token request among concurrent callers', async () => {
    // A slow token endpoint keeps the first request in flight while the others arrive.
    sim.inject(OAUTH_TOKEN_PATH, { latencyMs: 50 });
    const mimecast = client();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => mimecast.findDelegates('alice@example.com')),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(sim.tokenRequests).toBe(1);
    expect(apiCalls()).toHaveLength(10);
  });

  it('refreshes the token 60 s before it expires', async () => {
    const mimecast = client();
    await mimecast.findDelegates('alice@example.com');
    clientClock.advance(1_800_000 - 60_000 - 1);
    simClock.advance(1_800_000 - 60_000 - 1);
    await mimecast.findDelegates('alice@example.com');
    expect(sim.tokenRequests).toBe(1);

    clientClock.advance(1);
    simClock.advance(1);
    const result = await mimecast.findDelegates('alice@example.com');
    expect(result.ok).toBe(true);
    expect(sim.tokenRequests).toBe(2);
    expect(apiCalls().map((call) => call.headers.authorization)).toEqual([
      `Bearer ${sim.issuedTokens[0]}`,
      `Bearer ${sim.issuedTokens[0]}`,
      `Bearer ${sim.issuedTokens[1]}`,
    ]);
  });

  it('re-authenticates once and retries once on 401 token_expired', async () => {
    const mimecast = client();
    await mimecast.findDelegates('alice@example.com');
    // Mimecast's clock runs past the token's expiry while ours still thinks it is fresh.
    simClock.advance(1_800_000);

    const result = await mimecast.addDelegate(aliceToSales);

    expect(result).toMatchObject({ ok: true, id: sim.rights[0]!.id });
    expect(sim.tokenRequests).toBe(2);
    const adds = apiCalls().filter((call) => call.path === ADD_DELEGATE_PATH);
    expect(adds.map((call) => [call.status, call.authOk, call.headers.authorization])).toEqual([
      [401, false, `Bearer ${sim.issuedTokens[0]}`],
      [200, true, `Bearer ${sim.issuedTokens[1]}`],
    ]);
    expect(adds[0]!.headers['x-mc-req-id']).not.toBe(adds[1]!.headers['x-mc-req-id']);
  });

  it('does not re-authenticate a second time', async () => {
    const expired = {
      meta: { status: 401 },
      data: [],
      fail: [{ code: 'token_expired', message: 'Token has expired' }],
    };
    sim.inject(ADD_DELEGATE_PATH, { status: 401, body: expired, times: 5 });

    const result = await client().addDelegate(aliceToSales);

    expect(result).toMatchObject({
      ok: false,
      kind: 'authentication',
      code: 'token_expired',
      message: 'Token has expired',
      httpStatus: 401,
    });
    expect(sim.tokenRequests).toBe(2);
    expect(apiCalls()).toHaveLength(2);
  });

  it('reports a failed re-authentication with the request id of the refused attempt', async () => {
    const mimecast = client();
    await mimecast.findDelegates('alice@example.com');
    sim.inject(ADD_DELEGATE_PATH, {
      status: 401,
      body: {
        meta: { status: 401 },
        data: [],
        fail: [{ code: 'token_expired', message: 'Token has expired' }],
      },
    });
    sim.inject(OAUTH_TOKEN_PATH, { status: 503 });

    const result = await mimecast.addDelegate(aliceToSales);

    const adds = apiCalls().filter((call) => call.path === ADD_DELEGATE_PATH);
    expect(adds).toHaveLength(1);
    expect(result).toMatchObject({
      ok: false,
      kind: 'server_error',
      httpStatus: 503,
      requestId: adds[0]!.headers['x-mc-req-id'],
    });
    expect(sim.tokenRequests).toBe(2);
  });

  it('reports refused client credentials as authentication without calling the API', async () => {
    const auth = { kind: 'oauth' as const, clientId: sim.credentials.oauth.clientId, clientSecret: 'wrong' };
    const result = await client({ auth }).addDelegate(aliceToSales);
    expect(result).toEqual({
      ok: false,
      kind: 'authentication',
      message: 'Client authentication failed',
      code: 'invalid_client',
      httpStatus: 401,
    });
    expect(tokenCalls().map((call) => call.authOk)).toEqual([false]);
    expect(apiCalls()).toEqual([]);
  });

  it('asks for a new token after a failed token request instead of caching the failure', async () => {
    sim.inject(OAUTH_TOKEN_PATH, { status: 503 });
    const mimecast = client();
    expect(await mimecast.findDelegates('alice@example.com')).toMatchObject({
      ok: false,
      kind: 'server_error',
    });
    expect(await mimecast.findDelegates('alice@example.com')).toMatchObject({ ok: true });
    expect(sim.tokenRequests).toBe(2);
  });

  it('reports a token answer it cannot read as unexpected_response', async () => {
    sim.inject(OAUTH_TOKEN_PATH, { body: { access_token: 'x', token_type: 'Bearer' } });
    const result = await client().findDelegates('alice@example.com');
    expect(result).toMatchObject({ ok: false, kind: 'unexpected_response', httpStatus: 200 });
    expect(apiCalls()).toEqual([]);
  });
});
