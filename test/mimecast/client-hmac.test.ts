import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import {
  ADD_DELEGATE_PATH,
  FIND_DELEGATES_PATH,
  MimecastClient,
  type MimecastClientDeps,
  REMOVE_DELEGATE_PATH,
} from '../../src/mimecast/client.js';
import type { MimecastConfig } from '../../src/mimecast/types.js';
import { FIND_SHAPES, type MimecastSimulator, startMimecastSimulator } from '../../testkit/mimecast/index.js';
import { FakeClock, fakeSleep, hmacConfig, MAILBOXES, UUID } from './support.js';

const aliceToSales = { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' };

let clock: FakeClock;
let sim: MimecastSimulator;
let clients: MimecastClient[];

beforeEach(async () => {
  clock = new FakeClock();
  sim = await startMimecastSimulator({ now: clock.now, mailboxes: MAILBOXES });
  clients = [];
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await sim.close();
});

function client(
  overrides: Partial<MimecastConfig> = {},
  deps: Partial<MimecastClientDeps> = {},
): MimecastClient {
  const created = new MimecastClient(hmacConfig(sim, overrides), {
    logger: createMemoryLogger('trace').logger,
    now: clock.now,
    sleep: fakeSleep(clock).sleep,
    ...deps,
  });
  clients.push(created);
  return created;
}

function addCalls() {
  return sim.calls.filter((call) => call.path === ADD_DELEGATE_PATH);
}

describe('MimecastClient with API 1.0 keys: success', () => {
  it('adds a delegate right with a signed request the simulator accepts', async () => {
    const result = await client().addDelegate(aliceToSales);

    expect(sim.rights).toHaveLength(1);
    const right = sim.rights[0]!;
    expect(right).toEqual({ id: right.id, ...aliceToSales, name: 'Sales', source: 'API' });
    expect(right.id).toMatch(/^eNo[\w-]{40,}$/);

    expect(sim.calls).toHaveLength(1);
    const call = sim.calls[0]!;
    expect(call.authOk).toBe(true);
    expect(call.status).toBe(200);
    expect(call.method).toBe('POST');
    expect(call.rawBody).toBe(
      '{"data":[{"primaryAddress":"alice@example.com","delegateAddress":"sales@example.com"}]}',
    );
    expect(call.headers['x-mc-app-id']).toBe(sim.credentials.hmac.appId);
    expect(call.headers['x-mc-date']).toBe('Tue, 04 Mar 2025 05:06:07 UTC');
    expect(call.headers['x-mc-req-id']).toMatch(UUID);
    expect(call.headers.authorization).toMatch(
      new RegExp(`^MC ${sim.credentials.hmac.accessKey}:[A-Za-z0-9+/]{27}=$`),
    );
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers.accept).toBe('application/json');

    expect(result).toEqual({ ok: true, id: right.id, requestId: call.headers['x-mc-req-id'] });
  });

  it('uses the injected request id source', async () => {
    const ids = ['11111111-1111-4111-8111-111111111111'];
    const result = await client({}, { randomUUID: () => ids.shift() ?? 'exhausted' }).addDelegate(
      aliceToSales,
    );
    expect(result).toMatchObject({ ok: true, requestId: '11111111-1111-4111-8111-111111111111' });
    expect(sim.calls[0]!.headers['x-mc-req-id']).toBe('11111111-1111-4111-8111-111111111111');
  });

  it('finds and removes delegate rights', async () => {
    const mimecast = client();
    const toSales = await mimecast.addDelegate(aliceToSales);
    const toCeo = await mimecast.addDelegate({
      primaryAddress: 'alice@example.com',
      delegateAddress: 'ceo@example.com',
    });
    await mimecast.addDelegate({ primaryAddress: 'bob@example.com', delegateAddress: 'sales@example.com' });
    if (!toSales.ok || !toCeo.ok) throw new Error('setup failed');

    // Searched by grantee: the mailboxes Alice can open, as Mimecast lists them.
    const found = await mimecast.findDelegates('alice@example.com');
    expect(found).toMatchObject({
      ok: true,
      delegates: [
        { id: toSales.id, mailbox: 'sales@example.com', name: 'Sales', source: 'API' },
        { id: toCeo.id, mailbox: 'ceo@example.com', name: 'Ceo', source: 'API' },
      ],
    });
    expect(sim.calls.find((call) => call.path === FIND_DELEGATES_PATH)?.rawBody).toBe(
      '{"data":[{"primaryAddress":"alice@example.com"}]}',
    );

    const removed = await mimecast.removeDelegate(toSales.id);
    expect(removed).toMatchObject({ ok: true });
    expect(sim.calls.find((call) => call.path === REMOVE_DELEGATE_PATH)?.rawBody).toBe(
      JSON.stringify({ data: [{ id: toSales.id }] }),
    );
    const after = await mimecast.findDelegates('alice@example.com');
    expect(after.ok && after.delegates.map((right) => right.id)).toEqual([toCeo.id]);

    const again = await mimecast.removeDelegate(toSales.id);
    expect(again).toMatchObject({
      ok: false,
      kind: 'validation',
      code: 'err_delegate_not_found',
      httpStatus: 200,
    });
  });

  it('reads found rights leniently, keeping only the fields it knows', async () => {
    sim.inject(FIND_DELEGATES_PATH, {
      body: {
        meta: { status: 200 },
        data: [
          {
            delegateUsers: [
              { emailAddress: 'info@example.com', id: 'eNoX', name: 'Info', source: 'ADCON', extra: 1 },
              { emailAddress: 'ceo@example.com', id: 'eNoY', name: 7 },
            ],
          },
        ],
        fail: [],
      },
    });
    const found = await client().findDelegates('alice@example.com');
    expect(found).toEqual({
      ok: true,
      requestId: sim.calls[0]!.headers['x-mc-req-id'],
      delegates: [
        { id: 'eNoX', mailbox: 'info@example.com', name: 'Info', source: 'ADCON' },
        { id: 'eNoY', mailbox: 'ceo@example.com' },
      ],
    });
  });

  for (const [variant, shape] of Object.entries(FIND_SHAPES)) {
    it(`reads the search answer in the ${variant} shape`, async () => {
      sim.setFindShape(shape);
      const mimecast = client();
      const toSales = await mimecast.addDelegate(aliceToSales);
      const manual = sim.grant('alice@example.com', 'ceo@example.com');
      await mimecast.addDelegate({ primaryAddress: 'bob@example.com', delegateAddress: 'info@example.com' });
      if (!toSales.ok) throw new Error('setup failed');
      const found = await mimecast.findDelegates('alice@example.com');
      expect(found).toMatchObject({
        ok: true,
        delegates: [
          { id: toSales.id, mailbox: 'sales@example.com', name: 'Sales', source: 'API' },
          { id: manual.id, mailbox: 'ceo@example.com', name: 'Ceo', source: 'ADCON' },
        ],
      });
      const empty = await mimecast.findDelegates('sales@example.com');
      expect(empty).toMatchObject({ ok: true, delegates: [] });
      expect(
        sim.calls.filter((call) => call.path === FIND_DELEGATES_PATH).map((call) => call.rawBody),
      ).toEqual([
        '{"data":[{"primaryAddress":"alice@example.com"}]}',
        '{"data":[{"primaryAddress":"sales@example.com"}]}',
      ]);
    });
  }

  const unreadable: Array<[string, unknown[], string]> = [
    [
      'items without an address field it knows',
      [{ id: 'eNoX', primaryAddress: 'alice@example.com', delegate: 'sales@example.com' }],
      'data: [{id, primaryAddress, delegate}]',
    ],
    [
      'a right without an id',
      [{ delegateUsers: [{ emailAddress: 'sales@example.com', name: 'Sales' }] }],
      'data: [{delegateUsers: [{emailAddress, name}]}]',
    ],
    ['rights keyed by address', [{ 'sales@example.com': { id: 'eNoX' } }], 'data: [{<address>}]'],
    ['a list of strings', ['sales@example.com'], 'data: [string]'],
  ];
  for (const [what, data, shape] of unreadable) {
    it(`reports ${what} as an unexpected response, logging its keys and never an address`, async () => {
      const { logger, lines } = createMemoryLogger('trace');
      sim.inject(FIND_DELEGATES_PATH, { body: { meta: { status: 200 }, data, fail: [] } });
      const found = await client({}, { logger }).findDelegates('alice@example.com');
      expect(found).toEqual({
        ok: false,
        kind: 'unexpected_response',
        message: 'Mimecast answered the delegate search in a shape the bot cannot read',
        httpStatus: 200,
        requestId: sim.calls[0]!.headers['x-mc-req-id'],
      });
      const failed = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'mimecast call failed');
      expect(failed).toMatchObject({ outcome: 'unexpected_response', shape });
      expect(lines.join('\n')).not.toMatch(/@example\.com/);
    });
  }
});

describe('MimecastClient with API 1.0 keys: rate limits', () => {
  it("waits exactly the header's milliseconds, then retries with a fresh date and request id", async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 429, headers: { 'X-RateLimit-Reset': '1500' } });
    const { waits, sleep } = fakeSleep(clock);

    const result = await client({}, { sleep }).addDelegate(aliceToSales);

    expect(waits).toEqual([1500]);
    const calls = addCalls();
    expect(calls.map((call) => call.status)).toEqual([429, 200]);
    expect(calls.map((call) => call.authOk)).toEqual([true, true]);
    expect(calls.map((call) => call.headers['x-mc-date'])).toEqual([
      'Tue, 04 Mar 2025 05:06:07 UTC',
      'Tue, 04 Mar 2025 05:06:08 UTC',
    ]);
    expect(calls[0]!.headers['x-mc-req-id']).not.toBe(calls[1]!.headers['x-mc-req-id']);
    expect(result).toEqual({ ok: true, id: sim.rights[0]!.id, requestId: calls[1]!.headers['x-mc-req-id'] });
  });

  it('gives up after the allowed retries and says how long to wait', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 429, headers: { 'X-RateLimit-Reset': '200' }, times: 10 });
    const { waits, sleep } = fakeSleep(clock);

    const result = await client({}, { sleep }).addDelegate(aliceToSales);

    expect(waits).toEqual([200, 200]);
    expect(addCalls()).toHaveLength(3);
    expect(result).toEqual({
      ok: false,
      kind: 'rate_limited',
      message: 'Quota exceeded (sim)',
      httpStatus: 429,
      code: 'err_rate_limit_exceeded',
      retryAfterMs: 200,
      requestId: addCalls()[2]!.headers['x-mc-req-id'],
    });
    expect(sim.rights).toEqual([]);
  });

  it('honours maxRateLimitRetries', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 429, headers: { 'X-RateLimit-Reset': '10' }, times: 10 });
    const { waits, sleep } = fakeSleep(clock);
    const result = await client({ maxRateLimitRetries: 0 }, { sleep }).addDelegate(aliceToSales);
    expect(waits).toEqual([]);
    expect(addCalls()).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, kind: 'rate_limited', retryAfterMs: 10 });
  });

  it('waits 1000 ms when the header is missing', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 429 });
    const { waits, sleep } = fakeSleep(clock);
    const result = await client({}, { sleep }).addDelegate(aliceToSales);
    expect(waits).toEqual([1000]);
    expect(result.ok).toBe(true);
  });

  it('does not wait longer than maxRateLimitWaitMs: it reports at once instead', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 429, headers: { 'X-RateLimit-Reset': '60000' } });
    const { waits, sleep } = fakeSleep(clock);
    const result = await client({ maxRateLimitWaitMs: 30_000 }, { sleep }).addDelegate(aliceToSales);
    expect(waits).toEqual([]);
    expect(addCalls()).toHaveLength(1);
    expect(result).toMatchObject({ ok: false, kind: 'rate_limited', retryAfterMs: 60_000 });
  });
});

describe('MimecastClient with API 1.0 keys: failures', () => {
  it('reports an invalid address as validation with Mimecast’s message', async () => {
    const result = await client().addDelegate({
      primaryAddress: 'alice',
      delegateAddress: 'sales@example.com',
    });
    expect(result).toEqual({
      ok: false,
      kind: 'validation',
      message: 'primaryAddress is not a valid email address',
      code: 'err_validation_invalid_email_address',
      httpStatus: 200,
      requestId: sim.calls[0]!.headers['x-mc-req-id'],
    });
  });

  it('reports an unknown address as validation with Mimecast’s message', async () => {
    const result = await client().addDelegate({ ...aliceToSales, delegateAddress: 'nobody@example.com' });
    expect(result).toMatchObject({
      ok: false,
      kind: 'validation',
      message: 'nobody@example.com is not an internal address (sim)',
      code: 'err_validation_address_not_found',
    });
    expect(sim.rights).toEqual([]);
  });

  it("logs a refusal's kind and code at warn, and Mimecast's message (which may name an address) only at debug", async () => {
    const read = async (level: 'info' | 'debug') => {
      const { logger, lines } = createMemoryLogger(level);
      await client({}, { logger }).addDelegate({ ...aliceToSales, delegateAddress: 'nobody@example.com' });
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    const atInfo = await read('info');
    const failed = atInfo.find((line) => line.msg === 'mimecast call failed');
    expect(failed).toMatchObject({
      level: 40,
      outcome: 'validation',
      kind: 'validation',
      code: 'err_validation_address_not_found',
    });
    expect(failed).not.toHaveProperty('reason');
    expect(JSON.stringify(atInfo)).not.toContain('nobody@example.com');
    const atDebug = await read('debug');
    expect(atDebug.find((line) => line.msg === "Mimecast's message for the failed call")).toMatchObject({
      level: 20,
      reason: 'nobody@example.com is not an internal address (sim)',
    });
  });

  it("keeps Mimecast's message to 500 characters, whatever its error body holds", async () => {
    const long = 'Not allowed by policy. '.repeat(3000);
    sim.inject(ADD_DELEGATE_PATH, {
      status: 400,
      body: {
        meta: { status: 400 },
        data: [],
        fail: [{ errors: [{ code: 'err_some_rule', message: long }] }],
      },
    });
    const refused = await client().addDelegate(aliceToSales);
    sim.inject(ADD_DELEGATE_PATH, {
      body: {
        meta: { status: 200 },
        data: [],
        fail: [{ errors: [{ code: 'err_some_rule', message: long }] }],
      },
    });
    const failed = await client().addDelegate(aliceToSales);
    for (const result of [refused, failed]) {
      expect(result).toMatchObject({ ok: false, kind: 'validation', code: 'err_some_rule' });
      expect(result.ok ? '' : result.message).toBe(`${long.slice(0, 499)}…`);
    }
  });

  it('reports HTTP 200 with fail[] as validation even when data[] claims success', async () => {
    sim.inject(ADD_DELEGATE_PATH, {
      body: {
        meta: { status: 200 },
        data: [{ id: 'eNoX', success: true }],
        fail: [{ key: aliceToSales, errors: [{ code: 'err_some_rule', message: 'Not allowed by policy' }] }],
      },
    });
    const result = await client().addDelegate(aliceToSales);
    expect(result).toMatchObject({
      ok: false,
      kind: 'validation',
      message: 'Not allowed by policy',
      code: 'err_some_rule',
      httpStatus: 200,
    });
  });

  it('reports HTTP 200 with success: false as validation with a clear message', async () => {
    sim.inject(ADD_DELEGATE_PATH, { body: { meta: { status: 200 }, data: [{ success: false }], fail: [] } });
    const result = await client().addDelegate(aliceToSales);
    expect(result).toMatchObject({
      ok: false,
      kind: 'validation',
      message: 'Mimecast did not apply the delegate right (success: false) and gave no reason',
      httpStatus: 200,
    });
  });

  it('reports a 400 with err_validation_* codes as validation', async () => {
    sim.inject(ADD_DELEGATE_PATH, {
      status: 400,
      body: {
        meta: { status: 400 },
        data: [],
        fail: [{ errors: [{ code: 'err_validation_blank', message: 'delegateAddress must not be blank' }] }],
      },
    });
    const result = await client().addDelegate(aliceToSales);
    expect(result).toMatchObject({
      ok: false,
      kind: 'validation',
      message: 'delegateAddress must not be blank',
      code: 'err_validation_blank',
      httpStatus: 400,
    });
  });

  it('reports a 400 about credentials as authentication, and a bare 400 as validation', async () => {
    sim.inject(ADD_DELEGATE_PATH, {
      status: 400,
      body: {
        meta: { status: 400 },
        data: [],
        fail: [{ errors: [{ code: 'err_auth_header_missing', message: 'x' }] }],
      },
    });
    sim.inject(ADD_DELEGATE_PATH, { status: 400, body: '' });
    const mimecast = client();
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'authentication',
      code: 'err_auth_header_missing',
      httpStatus: 400,
    });
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'validation',
      message: 'Mimecast refused the request as invalid (HTTP 400)',
      httpStatus: 400,
    });
  });

  it('reports a wrong secret key as authentication; the simulator refused the signature', async () => {
    const wrongSecret = Buffer.from('not the secret').toString('base64');
    const auth = { kind: 'hmac' as const, ...sim.credentials.hmac, secretKey: wrongSecret };
    const result = await client({ auth }).addDelegate(aliceToSales);
    expect(result).toMatchObject({
      ok: false,
      kind: 'authentication',
      code: 'err_auth_signature_invalid',
      httpStatus: 401,
    });
    expect(sim.calls.map((call) => [call.authOk, call.status])).toEqual([[false, 401]]);
    expect(sim.rights).toEqual([]);
  });

  it('reports 403 as permission', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 403 });
    const result = await client().addDelegate(aliceToSales);
    expect(result).toMatchObject({
      ok: false,
      kind: 'permission',
      message: 'The API user does not have the required permission (sim)',
      httpStatus: 403,
    });
    expect(addCalls()).toHaveLength(1);
  });

  it('reports 418 as binding_expired, and err_xdk_binding_expired in fail[] too', async () => {
    sim.setBindingExpired(true);
    const mimecast = client();
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      ok: false,
      kind: 'binding_expired',
      code: 'err_xdk_binding_expired',
      httpStatus: 418,
    });
    sim.setBindingExpired(false);
    sim.inject(ADD_DELEGATE_PATH, {
      body: {
        meta: { status: 200 },
        data: [],
        fail: [{ errors: [{ code: 'err_xdk_binding_expired', message: 'm' }] }],
      },
    });
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'binding_expired',
      httpStatus: 200,
    });
    expect(addCalls()).toHaveLength(2);
  });

  it('reports 404 as not_found', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 404 });
    expect(await client().addDelegate(aliceToSales)).toMatchObject({
      ok: false,
      kind: 'not_found',
      httpStatus: 404,
    });
  });

  it('reports 500 as server_error without retrying', async () => {
    sim.inject(ADD_DELEGATE_PATH, { status: 500, times: 5 });
    const result = await client().addDelegate(aliceToSales);
    expect(result).toMatchObject({ ok: false, kind: 'server_error', httpStatus: 500 });
    expect(addCalls()).toHaveLength(1);
  });

  it('reports a timeout as outcome_unknown without retrying; the right may well exist', async () => {
    sim.inject(ADD_DELEGATE_PATH, { latencyMs: 1_000 });
    const startedAt = performance.now();
    const result = await client({ timeoutMs: 200 }).addDelegate(aliceToSales);
    const elapsedMs = performance.now() - startedAt;

    expect(result).toEqual({
      ok: false,
      kind: 'outcome_unknown',
      message: 'Mimecast did not answer within 200 ms; the request may or may not have taken effect',
      requestId: addCalls()[0]!.headers['x-mc-req-id'],
    });
    expect(elapsedMs).toBeGreaterThanOrEqual(190);
    expect(elapsedMs).toBeLessThan(800);
    expect(addCalls()).toHaveLength(1);
    // The simulator performed the add before stalling: exactly why the outcome cannot be called a failure.
    expect(sim.rights).toHaveLength(1);
  });

  it('reports a connection dropped after the request was sent as outcome_unknown without retrying', async () => {
    sim.inject(ADD_DELEGATE_PATH, { dropConnection: true });
    const result = await client().addDelegate(aliceToSales);
    expect(result).toMatchObject({ ok: false, kind: 'outcome_unknown' });
    expect(!result.ok && result.message).toMatch(
      /^The connection to Mimecast was lost after the request was sent/,
    );
    expect(addCalls()).toHaveLength(1);
    expect(addCalls()[0]!.status).toBe(0);
  });

  it('reports an unreachable Mimecast as server_error: nothing was sent', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const result = await client({ baseUrl: `http://127.0.0.1:${closedPort}` }).addDelegate(aliceToSales);
    expect(result).toMatchObject({ ok: false, kind: 'server_error' });
    expect(!result.ok && result.message).toMatch(
      /^Mimecast could not be reached \(ECONNREFUSED.*nothing was sent$/,
    );
  });

  it('reports malformed JSON and unexpected shapes as unexpected_response', async () => {
    sim.inject(ADD_DELEGATE_PATH, { body: '{"meta":{"status":200},"data":[' });
    sim.inject(ADD_DELEGATE_PATH, { body: { meta: { status: 200 } } });
    sim.inject(ADD_DELEGATE_PATH, { body: { meta: { status: 200 }, data: [{ success: true }], fail: [] } });
    sim.inject(ADD_DELEGATE_PATH, { status: 302, body: '' });
    const mimecast = client();
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'unexpected_response',
      message: 'Mimecast answered HTTP 200 with a body that is not JSON',
      httpStatus: 200,
    });
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'unexpected_response',
      message: 'Mimecast answered HTTP 200 with a body that is not the expected envelope',
    });
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'unexpected_response',
      message: 'Mimecast reported the delegate right as created but returned no id for it',
    });
    expect(await mimecast.addDelegate(aliceToSales)).toMatchObject({
      kind: 'unexpected_response',
      httpStatus: 302,
    });
    expect(addCalls()).toHaveLength(4);
  });
});
