import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import { ADD_DELEGATE_PATH, FIND_DELEGATES_PATH, MimecastClient } from '../../src/mimecast/client.js';
import { type MimecastSimulator, startMimecastSimulator } from '../../testkit/mimecast/index.js';
import { FakeClock, fakeSleep, hmacConfig, MAILBOXES, oauthConfig } from './support.js';

const aliceToSales = { primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' };

let clock: FakeClock;
let sim: MimecastSimulator;

beforeEach(async () => {
  clock = new FakeClock();
  sim = await startMimecastSimulator({ now: clock.now, mailboxes: MAILBOXES });
});

afterEach(async () => {
  await sim.close();
});

interface CallLine {
  level: number;
  msg: string;
  endpoint: string;
  outcome: string;
  mcReqId?: string;
  httpStatus?: number;
  attempts: number;
  durationMs: number;
  responseRequestId?: string;
}

describe('MimecastClient logging', () => {
  it('writes one line per call with endpoint, outcome and request id, and never a secret', async () => {
    const { logger, lines } = createMemoryLogger('trace');
    const deps = { logger, now: clock.now, sleep: fakeSleep(clock).sleep };
    const hmacClient = new MimecastClient(hmacConfig(sim), deps);
    const oauthClient = new MimecastClient(oauthConfig(sim), deps);

    sim.inject(ADD_DELEGATE_PATH, { status: 429, headers: { 'X-RateLimit-Reset': '5' } });
    const added = await hmacClient.addDelegate(aliceToSales);
    sim.inject(ADD_DELEGATE_PATH, { status: 500 });
    const failed = await hmacClient.addDelegate(aliceToSales);
    const found = await oauthClient.findDelegates('alice@example.com');
    clock.advance(1_800_000); // the cached token is now stale: a second token request happens
    const foundAgain = await oauthClient.findDelegates('alice@example.com');
    await Promise.all([hmacClient.close(), oauthClient.close()]);
    expect([added.ok, failed.ok, found.ok, foundAgain.ok]).toEqual([true, false, true, true]);

    const { hmac, oauth } = sim.credentials;
    const authorizationHeaders = sim.calls.flatMap((call) => call.headers.authorization ?? []);
    const secrets = [
      hmac.secretKey,
      hmac.appKey,
      hmac.accessKey,
      oauth.clientSecret,
      ...sim.issuedTokens,
      ...authorizationHeaders,
      ...authorizationHeaders.map((header) => header.split(':')[1] ?? header),
    ];
    expect(sim.issuedTokens).toHaveLength(2);
    expect(authorizationHeaders).toHaveLength(5);
    const output = lines.join('');
    for (const secret of secrets) expect(output).not.toContain(secret);

    const callLines = lines
      .map((line) => JSON.parse(line) as CallLine)
      .filter((line) => line.msg.startsWith('mimecast call'));
    const mcReqIdOf = (index: number) =>
      sim.calls.filter((call) => call.path !== '/oauth/token')[index]?.headers['x-mc-req-id'];
    expect(
      callLines.map(({ level, msg, endpoint, outcome, mcReqId, httpStatus, attempts }) => ({
        level,
        msg,
        endpoint,
        outcome,
        mcReqId,
        httpStatus,
        attempts,
      })),
    ).toEqual([
      {
        level: 30,
        msg: 'mimecast call succeeded',
        endpoint: ADD_DELEGATE_PATH,
        outcome: 'ok',
        mcReqId: mcReqIdOf(1),
        httpStatus: 200,
        attempts: 2,
      },
      {
        level: 40,
        msg: 'mimecast call failed',
        endpoint: ADD_DELEGATE_PATH,
        outcome: 'server_error',
        mcReqId: mcReqIdOf(2),
        httpStatus: 500,
        attempts: 1,
      },
      {
        level: 30,
        msg: 'mimecast call succeeded',
        endpoint: FIND_DELEGATES_PATH,
        outcome: 'ok',
        mcReqId: mcReqIdOf(3),
        httpStatus: 200,
        attempts: 1,
      },
      {
        level: 30,
        msg: 'mimecast call succeeded',
        endpoint: FIND_DELEGATES_PATH,
        outcome: 'ok',
        mcReqId: mcReqIdOf(4),
        httpStatus: 200,
        attempts: 1,
      },
    ]);
    for (const line of callLines) {
      expect(line.durationMs).toBeTypeOf('number');
      expect(line.responseRequestId).toMatch(/^sim-/);
    }
    // Per-attempt detail exists at debug level, so the test above did look at more than the call lines.
    expect(lines.some((line) => line.includes('"msg":"mimecast token request"'))).toBe(true);
  });
});
