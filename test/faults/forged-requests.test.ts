import { afterEach, describe, expect, it } from 'vitest';
import { SlackDriver } from '../../testkit/slack-driver/index.js';
import { approveClick, footprint, payloadBody } from '../support/fault-tools.js';
import {
  addCalls,
  type Harness,
  pendingWithCard,
  SIGNING_SECRET,
  settled,
  startHarness,
  USERS,
  waitForStatus,
} from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const nowSec = () => Math.floor(Date.now() / 1000);

async function startPending() {
  h = await startHarness();
  return pendingWithCard(h);
}

describe('requests that did not come from Slack are refused before any listener runs', () => {
  it('missing, wrong, malformed and foreign-secret signatures: 401, nothing happens', async () => {
    const { request, card } = await startPending();
    const before = await footprint(h);
    const body = payloadBody(approveClick(h, card.ts, request.id).payload);
    const ts = nowSec();
    const otherSecret = new SlackDriver({
      appUrl: 'http://unused',
      signingSecret: `${SIGNING_SECRET}-not`,
      sim: h.sim,
    });
    const attempts = [
      await h.driver.send(body, { signature: null }),
      await h.driver.send(body, { signature: '' }),
      await h.driver.send(body, { signature: 'v0=' }),
      await h.driver.send(body, { signature: 'v0=0000' }),
      await h.driver.send(body, { signature: h.driver.sign(ts, body).replace('v0=', 'v1=') }),
      await h.driver.send(body, { signature: h.driver.sign(ts, body).toUpperCase() }),
      await h.driver.send(body, { signature: otherSecret.sign(ts, body), timestamp: ts }),
      // Signed for one body, sent with another (the user swapped for an outsider).
      await h.driver.send(body.replace(USERS.carol.id, USERS.dave.id), {
        signature: h.driver.sign(ts, body),
        timestamp: ts,
      }),
      // A signature for a different timestamp than the one in the header.
      await h.driver.send(body, { signature: h.driver.sign(ts - 1, body), timestamp: ts }),
    ];
    expect(attempts.map((a) => a.status)).toEqual(attempts.map(() => 401));
    await settled(h);
    expect(await footprint(h)).toEqual(before);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
  });

  it('old (> 5 min) or missing timestamps: 401 even with a correct signature for them', async () => {
    const { request, card } = await startPending();
    const before = await footprint(h);
    const body = payloadBody(approveClick(h, card.ts, request.id).payload);
    const stale = nowSec() - 5 * 60 - 30;
    const ancient = 1_000_000_000;
    const attempts = [
      await h.driver.send(body, { timestamp: stale }),
      await h.driver.send(body, { timestamp: ancient }),
      await h.driver.send(body, { timestamp: Number.NaN }),
    ];
    expect(attempts.map((a) => a.status)).toEqual([401, 401, 401]);
    await settled(h);
    expect(await footprint(h)).toEqual(before);
  });

  it('a captured valid request replayed later is refused, whether its old timestamp is kept or refreshed', async () => {
    const { request, card } = await startPending();
    // Captured: a correctly signed approval, stamped 6 minutes ago (an attacker replaying it now).
    const capturedAt = nowSec() - 6 * 60;
    const body = payloadBody(approveClick(h, card.ts, request.id).payload);
    const signature = h.driver.sign(capturedAt, body);
    const before = await footprint(h);

    const replay = await h.driver.send(body, { signature, timestamp: capturedAt });
    const refreshed = await h.driver.send(body, { signature, timestamp: nowSec() });
    const asRetry = await h.driver.send(body, { signature, timestamp: capturedAt, retryNum: 1 });
    expect([replay.status, refreshed.status, asRetry.status]).toEqual([401, 401, 401]);
    await settled(h);
    expect(await footprint(h)).toEqual(before);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
    expect(addCalls(h)).toHaveLength(0);

    // The same bytes signed now are accepted: the refusals above were about the signature alone.
    const fresh = await h.driver.send(body);
    expect(fresh.status).toBe(200);
    await waitForStatus(h, request.id, 'completed');
    expect(addCalls(h)).toHaveLength(1);
  });

  it('forged slash commands and events are refused the same way', async () => {
    const { request } = await startPending();
    const before = await footprint(h);
    const command = new URLSearchParams({
      command: '/delegate',
      text: `cancel ${request.id}`,
      user_id: USERS.alice.id,
      trigger_id: h.sim.createTrigger(),
      response_url: h.sim.createResponseUrl(),
      team_id: h.sim.teamId,
      channel_id: 'C1',
    }).toString();
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: h.sim.teamId,
      event: { type: 'app_home_opened', user: USERS.alice.id, tab: 'home' },
    });
    const attempts = [
      await h.driver.send(command, { signature: null }),
      await h.driver.send(command, { timestamp: nowSec() - 10 * 60 }),
      await h.driver.send(event, { contentType: 'application/json', signature: 'v0=deadbeef' }),
      await h.driver.send(event, { contentType: 'application/json', timestamp: nowSec() - 10 * 60 }),
    ];
    expect(attempts.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    await settled(h);
    expect(await footprint(h)).toEqual(before);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
  });

  it('an unsigned ssl_check body smuggling a payload runs no listener', async () => {
    const { request, card } = await startPending();
    const before = await footprint(h);
    const smuggled = `ssl_check=1&${payloadBody(approveClick(h, card.ts, request.id).payload)}`;
    const answer = await h.driver.send(smuggled, { signature: null });
    // Bolt answers Slack's certificate check with 200, having dropped everything but ssl_check=1.
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    await settled(h);
    expect(await footprint(h)).toEqual(before);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
  });
});
