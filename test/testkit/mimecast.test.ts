import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatMimecastDate, signRequest } from '../../src/mimecast/signing.js';
import { FIND_SHAPES, type MimecastSimulator, startMimecastSimulator } from '../../testkit/mimecast/index.js';
import { FakeClock, MAILBOXES } from '../mimecast/support.js';

const ADD = '/api/user/add-delegate-user';
const body = JSON.stringify({
  data: [{ primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' }],
});

let clock: FakeClock;
let sim: MimecastSimulator;

beforeEach(async () => {
  clock = new FakeClock();
  sim = await startMimecastSimulator({ now: clock.now, mailboxes: MAILBOXES });
});

afterEach(async () => {
  await sim.close();
});

interface SignedPost {
  date?: string;
  requestId?: string;
  secretKey?: string;
  path?: string;
  omit?: string;
  body?: string;
}

/** A hand-built API 1.0 request, so each test can break exactly one thing. */
async function signedPost(options: SignedPost = {}): Promise<{ status: number; json: unknown }> {
  const { hmac } = sim.credentials;
  const path = options.path ?? ADD;
  const date = options.date ?? formatMimecastDate(clock.now());
  const requestId = options.requestId ?? randomUUID();
  const authorization = signRequest({
    ...hmac,
    secretKey: options.secretKey ?? hmac.secretKey,
    date,
    requestId,
    path,
  });
  const headers: Record<string, string> = {
    authorization,
    'x-mc-app-id': hmac.appId,
    'x-mc-date': date,
    'x-mc-req-id': requestId,
    'content-type': 'application/json',
  };
  if (options.omit) delete headers[options.omit];
  const response = await request(`${sim.url}${path}`, {
    method: 'POST',
    headers,
    body: options.body ?? body,
  });
  return { status: response.statusCode, json: await response.body.json() };
}

function refusal(status: number, code: string) {
  return {
    meta: { status },
    data: [],
    fail: [{ errors: [{ code, message: expect.any(String), retryable: false }] }],
  };
}

describe('Mimecast simulator: API 1.0 authentication', () => {
  it('accepts a correctly signed request', async () => {
    const { status, json } = await signedPost();
    expect(status).toBe(200);
    expect(json).toEqual({
      meta: { status: 200 },
      data: [{ id: sim.rights[0]!.id, success: true }],
      fail: [],
    });
    expect(sim.calls[0]!.authOk).toBe(true);
  });

  it('refuses a bad signature', async () => {
    const { status, json } = await signedPost({ secretKey: Buffer.from('wrong').toString('base64') });
    expect(status).toBe(401);
    expect(json).toEqual(refusal(401, 'err_auth_signature_invalid'));
    expect(sim.calls[0]!.authOk).toBe(false);
    expect(sim.rights).toEqual([]);
  });

  it('refuses a signature made for another path', async () => {
    const { hmac } = sim.credentials;
    const date = formatMimecastDate(clock.now());
    const requestId = randomUUID();
    const authorization = signRequest({ ...hmac, date, requestId, path: '/api/user/find-delegate-users' });
    const response = await request(`${sim.url}${ADD}`, {
      method: 'POST',
      headers: { authorization, 'x-mc-app-id': hmac.appId, 'x-mc-date': date, 'x-mc-req-id': requestId },
      body,
    });
    expect(response.statusCode).toBe(401);
    expect(await response.body.json()).toEqual(refusal(401, 'err_auth_signature_invalid'));
  });

  it('refuses a date more than 5 minutes off its clock, either way', async () => {
    const at = (offsetMs: number) => formatMimecastDate(new Date(clock.now().getTime() + offsetMs));
    expect((await signedPost({ date: at(-5 * 60_000 - 1_000) })).json).toEqual(
      refusal(401, 'err_auth_date_out_of_range'),
    );
    expect((await signedPost({ date: at(5 * 60_000 + 1_000) })).status).toBe(401);
    expect((await signedPost({ date: at(-4 * 60_000) })).status).toBe(200);
  });

  it('refuses a date in another layout', async () => {
    const { status, json } = await signedPost({ date: clock.now().toUTCString() });
    expect(status).toBe(400);
    expect(json).toEqual(refusal(400, 'err_auth_date_malformed'));
  });

  it('refuses a reused request id', async () => {
    const requestId = randomUUID();
    expect((await signedPost({ requestId })).status).toBe(200);
    const reused = await signedPost({ requestId });
    expect(reused.status).toBe(401);
    expect(reused.json).toEqual(refusal(401, 'err_auth_request_id_reused'));
  });

  it('answers 400 for missing headers and 401 for unknown keys', async () => {
    for (const header of ['authorization', 'x-mc-date', 'x-mc-req-id', 'x-mc-app-id']) {
      const { status, json } = await signedPost({ omit: header });
      expect([header, status, json]).toEqual([header, 400, refusal(400, 'err_auth_header_missing')]);
    }
    const { hmac } = sim.credentials;
    const date = formatMimecastDate(clock.now());
    const post = (headers: Record<string, string>) =>
      request(`${sim.url}${ADD}`, { method: 'POST', headers: { 'x-mc-date': date, ...headers }, body });

    const requestId = randomUUID();
    const unknownApp = await post({
      authorization: signRequest({ ...hmac, date, requestId, path: ADD }),
      'x-mc-app-id': 'someone-else',
      'x-mc-req-id': requestId,
    });
    expect(unknownApp.statusCode).toBe(401);
    expect(await unknownApp.body.json()).toEqual(refusal(401, 'err_auth_unknown_app_id'));

    const otherId = randomUUID();
    const unknownKey = await post({
      authorization: signRequest({ ...hmac, accessKey: 'other', date, requestId: otherId, path: ADD }),
      'x-mc-app-id': hmac.appId,
      'x-mc-req-id': otherId,
    });
    expect(unknownKey.statusCode).toBe(401);
    expect(await unknownKey.body.json()).toEqual(refusal(401, 'err_auth_unknown_access_key'));
  });

  it('answers 418 err_xdk_binding_expired when the keys are expired', async () => {
    sim.setBindingExpired(true);
    const { status, json } = await signedPost();
    expect(status).toBe(418);
    expect(json).toEqual(refusal(418, 'err_xdk_binding_expired'));
  });
});

describe('Mimecast simulator: API 2.0 authentication', () => {
  async function token(): Promise<string> {
    const { clientId, clientSecret } = sim.credentials.oauth;
    const response = await request(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    });
    const json = (await response.body.json()) as {
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    expect([json.token_type, json.expires_in]).toEqual(['Bearer', 1800]);
    return json.access_token;
  }

  const bearerPost = (accessToken: string) =>
    request(`${sim.url}${ADD}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body,
    });

  it('accepts a fresh token and refuses it once expired, with fail[0].code token_expired', async () => {
    const accessToken = await token();
    expect((await bearerPost(accessToken)).statusCode).toBe(200);

    clock.advance(1_800_000);
    const expired = await bearerPost(accessToken);
    expect(expired.statusCode).toBe(401);
    expect(await expired.body.json()).toEqual({
      meta: { status: 401 },
      data: [],
      fail: [{ code: 'token_expired', message: 'Access token has expired' }],
    });
    expect(sim.tokenRequests).toBe(1);
  });

  it('refuses an unknown token', async () => {
    const response = await bearerPost('made-up');
    expect(response.statusCode).toBe(401);
    expect(await response.body.json()).toMatchObject({ fail: [{ code: 'token_verification_failed' }] });
  });

  it('refuses wrong client credentials and a JSON token request', async () => {
    const wrong = await request(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=x&client_secret=y',
    });
    expect(wrong.statusCode).toBe(401);
    expect(await wrong.body.json()).toEqual({
      error: 'invalid_client',
      error_description: 'Client authentication failed',
    });

    const json = await request(`${sim.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.statusCode).toBe(400);
    await json.body.dump();
    expect(sim.tokenRequests).toBe(2);
  });
});

describe('Mimecast simulator: directory and faults', () => {
  it('treats each data[] item as a separate call', async () => {
    const { hmac } = sim.credentials;
    const date = formatMimecastDate(clock.now());
    const requestId = randomUUID();
    const response = await request(`${sim.url}${ADD}`, {
      method: 'POST',
      headers: {
        authorization: signRequest({ ...hmac, date, requestId, path: ADD }),
        'x-mc-app-id': hmac.appId,
        'x-mc-date': date,
        'x-mc-req-id': requestId,
      },
      body: JSON.stringify({
        data: [
          { primaryAddress: 'Alice@Example.com', delegateAddress: 'sales@example.com' },
          { primaryAddress: 'bob@example.com', delegateAddress: '' },
          { primaryAddress: 'bob@example.com', delegateAddress: 'bob@example.com' },
        ],
      }),
    });
    expect(response.statusCode).toBe(200);
    const json = (await response.body.json()) as { data: unknown[]; fail: unknown[] };
    expect(json.data).toEqual([{ id: sim.rights[0]!.id, success: true }]);
    expect(json.fail).toEqual([
      {
        key: { primaryAddress: 'bob@example.com', delegateAddress: '' },
        errors: [
          {
            code: 'err_validation_blank',
            message: 'delegateAddress must not be blank',
            retryable: false,
            field: 'delegateAddress',
          },
        ],
      },
      {
        key: { primaryAddress: 'bob@example.com', delegateAddress: 'bob@example.com' },
        errors: [expect.objectContaining({ code: 'err_validation_same_address', field: 'delegateAddress' })],
      },
    ]);
    expect(sim.rights).toEqual([
      {
        id: sim.rights[0]!.id,
        primaryAddress: 'alice@example.com',
        delegateAddress: 'sales@example.com',
        name: 'Sales',
        source: 'API',
      },
    ]);
  });

  it('answers an existing pair with the existing right', async () => {
    const first = await signedPost();
    const second = await signedPost();
    expect(second.json).toEqual(first.json);
    expect(sim.rights).toHaveLength(1);
  });

  it('knows mailboxes added later', async () => {
    const newToSales = JSON.stringify({
      data: [{ primaryAddress: 'new@example.com', delegateAddress: 'sales@example.com' }],
    });
    expect((await signedPost({ body: newToSales })).json).toMatchObject({
      data: [],
      fail: [{ errors: [{ code: 'err_validation_address_not_found', field: 'primaryAddress' }] }],
    });
    sim.addMailbox('New@Example.com');
    expect((await signedPost({ body: newToSales })).json).toMatchObject({
      data: [{ success: true }],
      fail: [],
    });
  });

  it("finds rights by grantee, in Mimecast's layout, and removes them by id", async () => {
    await signedPost();
    const { id } = sim.rights[0]!;
    const find = JSON.stringify({ data: [{ primaryAddress: 'alice@example.com' }] });
    expect((await signedPost({ path: '/api/user/find-delegate-users', body: find })).json).toEqual({
      meta: { status: 200 },
      data: [{ delegateUsers: [{ emailAddress: 'sales@example.com', name: 'Sales', id, source: 'API' }] }],
      fail: [],
    });
    // The right is stored against the grantee: the shared mailbox's own search lists nothing.
    const bySharedMailbox = JSON.stringify({ data: [{ primaryAddress: 'sales@example.com' }] });
    expect((await signedPost({ path: '/api/user/find-delegate-users', body: bySharedMailbox })).json).toEqual(
      {
        meta: { status: 200 },
        data: [{ delegateUsers: [] }],
        fail: [],
      },
    );
    const remove = JSON.stringify({ data: [{ id }] });
    expect((await signedPost({ path: '/api/user/remove-delegate-user', body: remove })).json).toEqual({
      meta: { status: 200 },
      data: [{ id, success: true }],
      fail: [],
    });
    expect(sim.rights).toEqual([]);
    expect((await signedPost({ path: '/api/user/remove-delegate-user', body: remove })).json).toMatchObject({
      data: [],
      fail: [{ key: { id }, errors: [{ code: 'err_delegate_not_found', field: 'id' }] }],
    });
  });

  it('answers the search in each variant it is told to, until reset', async () => {
    await signedPost();
    const right = sim.grant('alice@example.com', 'ceo@example.com');
    const { id } = sim.rights[0]!;
    const find = JSON.stringify({ data: [{ primaryAddress: 'alice@example.com' }] });
    const search = async () => (await signedPost({ path: '/api/user/find-delegate-users', body: find })).json;

    sim.setFindShape(FIND_SHAPES.flat);
    expect(await search()).toEqual({
      meta: { status: 200 },
      data: [
        { emailAddress: 'sales@example.com', name: 'Sales', id, source: 'API' },
        { emailAddress: 'ceo@example.com', name: 'Ceo', id: right.id, source: 'ADCON' },
      ],
      fail: [],
    });
    sim.setFindShape(FIND_SHAPES.delegateAddress);
    expect((await search()) as { data: unknown[] }).toMatchObject({
      data: [
        { delegateAddress: 'sales@example.com', delegateId: id },
        { delegateAddress: 'ceo@example.com' },
      ],
    });
    sim.setFindShape(FIND_SHAPES.delegateEmailAddress);
    expect((await search()) as { data: unknown[] }).toMatchObject({
      data: [{ delegateEmailAddress: 'sales@example.com', secureId: id }, { secureId: right.id }],
    });
    sim.setFindShape({ layout: 'nested', address: 'delegateAddress', id: 'secureId' });
    expect((await search()) as { data: unknown[] }).toMatchObject({
      data: [
        { delegateUsers: [{ delegateAddress: 'sales@example.com', secureId: id }, { secureId: right.id }] },
      ],
    });

    // A right made or removed by hand, outside the API.
    expect(sim.revoke(right.id)).toBe(true);
    expect(sim.revoke(right.id)).toBe(false);
    expect(() => sim.grant('nobody@example.com', 'sales@example.com')).toThrow(/not a known address/);
    sim.reset();
    await signedPost();
    expect(await search()).toMatchObject({
      data: [{ delegateUsers: [{ emailAddress: 'sales@example.com' }] }],
    });
  });

  it('answers a body without a data array with 400', async () => {
    const { status, json } = await signedPost({ body: '{"primaryAddress":"alice@example.com"}' });
    expect(status).toBe(400);
    expect(json).toMatchObject({ fail: [{ errors: [{ code: 'err_validation_null', field: 'data' }] }] });
  });

  it('applies a fault the given number of times, then clears it', async () => {
    sim.inject(ADD, { status: 500, times: 2 });
    expect((await signedPost()).status).toBe(500);
    expect((await signedPost()).status).toBe(500);
    expect((await signedPost()).status).toBe(200);
    expect(sim.calls.map((call) => call.status)).toEqual([500, 500, 200]);
  });

  it('spends no fault on a request it refuses', async () => {
    sim.inject(ADD, { status: 503 });
    expect((await signedPost({ secretKey: 'd3Jvbmc=' })).status).toBe(401);
    expect((await signedPost()).status).toBe(503);
  });

  it('resets to its initial state', async () => {
    await signedPost();
    sim.inject(ADD, { status: 500 });
    sim.setBindingExpired(true);
    sim.reset();
    expect([sim.calls, sim.rights, sim.tokenRequests]).toEqual([[], [], 0]);
    expect((await signedPost()).status).toBe(200);
  });
});
