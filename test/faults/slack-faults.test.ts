import { afterEach, describe, expect, it } from 'vitest';
import { describeErrors, logEntries } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  textOf,
  USERS,
  waitForStatus,
  waitUntil,
} from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Alice's request, its card, and her confirmation DM all delivered: the next chat.postMessage is the outcome. */
async function pendingRequest() {
  const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
  const card = await cardOf(h, request.id);
  await h.sim.waitFor(() =>
    h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('is with the approvers')),
  );
  await h.bot.dispatcher.idle();
  return { request, card };
}

function retryWarnings(h: Harness) {
  return logEntries(h).filter((line) => line.msg === 'notice delivery failed; will retry');
}

describe('Slack failing while the bot tells people things', () => {
  it('chat.postMessage answering 500 for the result: stored at once, posted on retry, in order', async () => {
    h = await startHarness();
    const { request, card } = await pendingRequest();
    h.sim.failNext('chat.postMessage', { error: 'internal_error', status: 500 });
    const clickedAt = Date.now();
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');

    // The outcome is stored whatever Slack does.
    const done = await waitForStatus(h, request.id, 'completed');
    await h.sim.waitFor(() => h.sim.callsTo('chat.postMessage').some((call) => !call.ok));
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toEqual([]);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('completed');

    // Then the reply appears, after the dispatcher's first backoff (1 s), and the DM after it.
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0], 5000);
    expect(Date.now() - clickedAt).toBeGreaterThanOrEqual(900);
    expect(reply.text).toContain(
      `:white_check_mark: Done: *alice@example.com* now has delegate access to *sales@example.com*`,
    );
    expect(reply.text).toContain(done.mimecastId!);
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    expect(Number(dm.ts)).toBeGreaterThan(Number(reply.ts));
    await h.bot.dispatcher.idle();

    // Exactly one reply and one outcome DM: the failed attempt left nothing behind.
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(h.sim.dmsTo(USERS.alice.id).filter((m) => m.text.includes('was approved'))).toHaveLength(1);
    expect(retryWarnings(h)).toEqual([
      expect.objectContaining({
        level: 40,
        requestId: request.id,
        notice: 'thread:provisioned',
        attempts: 1,
      }),
    ]);
    expect(retryWarnings(h)[0]!.retryInMs).toBe(1000);
    expect(addCalls(h)).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  it('chat.postMessage rate-limited (429, Retry-After 1 s) for the result: posted later, once', async () => {
    h = await startHarness();
    const { request, card } = await pendingRequest();
    h.sim.failNext('chat.postMessage', { error: 'ratelimited', status: 429, retryAfterSec: 1 });
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');

    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0], 8000);
    expect(reply.text).toContain('Done: *alice@example.com* now has delegate access');
    await h.sim.waitFor(() => h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')), 5000);
    await h.bot.dispatcher.idle();
    expect(h.sim.callsTo('chat.postMessage').filter((call) => call.error === 'ratelimited')).toHaveLength(1);
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(retryWarnings(h).length).toBeGreaterThanOrEqual(1);
    expect(retryWarnings(h)[0]).toMatchObject({ notice: 'thread:provisioned' });
    expect(describeErrors(h)).toEqual([]);
  });

  it('the approval card post failing once: the card appears later, once, and everything after follows it', async () => {
    h = await startHarness();
    h.sim.failNext('chat.postMessage', { error: 'internal_error', status: 500 });
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
    await h.sim.waitFor(() => h.sim.callsTo('chat.postMessage').some((call) => !call.ok));
    // Nothing reached the channel yet, and the requester's DM waits behind the card (notices stay in order).
    expect(h.sim.messagesIn(APPROVAL_CHANNEL)).toEqual([]);
    expect(h.sim.dmsTo(USERS.alice.id)).toEqual([]);

    const card = await cardOf(h, request.id);
    const cardRef = await waitUntil(
      async () => (await h.bot.store.getRequest(request.id))?.card,
      'the card ref',
    );
    expect(cardRef).toEqual({ channel: APPROVAL_CHANNEL, ts: card.ts });
    const confirmation = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('is with the approvers')),
    );
    expect(Number(confirmation.ts)).toBeGreaterThan(Number(card.ts));

    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.threadTs).toBe(card.ts);
    expect(reply.text).toContain('Done: *alice@example.com* now has delegate access to *sales@example.com*');
    await h.bot.dispatcher.idle();
    // One card (no duplicate from the retry), the reply under it, nothing loose in the channel.
    expect(h.sim.messagesIn(APPROVAL_CHANNEL).filter((m) => !m.threadTs)).toHaveLength(1);
    expect(h.sim.messagesIn(APPROVAL_CHANNEL).filter((m) => m.threadTs && m.threadTs !== card.ts)).toEqual(
      [],
    );
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!)).toContain('access granted');
    expect(describeErrors(h)).toEqual([]);
    expect(h.sim.problems).toEqual([]);
  });

  it('chat.update failing for the card: the card still ends up showing the outcome', async () => {
    h = await startHarness();
    const { request, card } = await pendingRequest();
    h.sim.failNext('chat.update', { error: 'internal_error', status: 500 });
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    await h.sim.waitFor(() => h.sim.callsTo('chat.update').some((call) => !call.ok));
    const updated = await h.sim.waitFor(() => {
      const latest = h.sim.findMessage(card.channel, card.ts)!;
      return textOf(latest).includes('access granted') ? latest : undefined;
    }, 8000);
    expect(textOf(updated)).toContain(`Approved by <@${USERS.carol.id}>`);
    expect(JSON.stringify(updated.blocks)).not.toContain('approve_request');
    // The thread reply and the DM come after the card, so they too arrive, once each.
    await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0], 8000);
    await h.sim.waitFor(() => h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')), 5000);
    await h.bot.dispatcher.idle();
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  it("the bot not in the approvers' channel: the requester and the operator are told, approvers can still decide", async () => {
    h = await startHarness();
    h.sim.failNext('chat.postMessage', { error: 'not_in_channel' });
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(request.id)),
    );
    expect(dm.text).toBe(
      `Your request *${request.id}* is saved and waiting, but I could not show it to the approvers: ` +
        "the bot cannot post in the approvers' channel (Slack said `not_in_channel`). Please tell your " +
        "Slack admin or IT team. Until it is fixed, approvers can still decide it from this app's Home tab. " +
        'I will tell you here when it is decided.',
    );
    expect(JSON.stringify(dm.blocks)).toContain('cancel_request');
    expect(h.sim.messagesIn(APPROVAL_CHANNEL)).toEqual([]);
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'pending',
      cardProblem: 'not_in_channel',
    });
    const told = logEntries(h).filter((line) => line.level === 50);
    expect(told).toEqual([
      expect.objectContaining({ msg: 'notice could not be delivered; giving up', notice: 'card:submitted' }),
      expect.objectContaining({
        msg: 'the approval card could not be posted: invite the bot to APPROVAL_CHANNEL_ID, or set it to a channel the bot is in',
        requestId: request.id,
        channel: APPROVAL_CHANNEL,
        error: 'not_in_channel',
      }),
    ]);
    expect(retryWarnings(h)).toEqual([]);
    // An admin's /delegate health says so too.
    const command = await h.driver.command(USERS.admin.id, '/delegate', 'health');
    const health = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === command.responseUrl));
    expect(String(health.body.text)).toContain(
      `*Approvers' channel* <#${APPROVAL_CHANNEL}>: :x: 1 waiting request has no card (Slack said \`not_in_channel\`): ` +
        'invite the bot to the channel, or set APPROVAL_CHANNEL_ID to one it is in. Until then approvers can decide on the App Home.',
    );

    // Once the bot is in the channel, a decision from the App Home posts the card, and the result goes
    // to its thread.
    await h.driver.event({ type: 'app_home_opened', user: USERS.carol.id, channel: 'DCAROL', tab: 'home' });
    const home = await h.sim.waitFor(() => h.sim.homeViews.get(USERS.carol.id));
    await h.driver.clickInView(USERS.carol.id, home, 'approve_request', { blockId: `decide:${request.id}` });
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.cardProblem).toBeUndefined();
    expect(done.card?.channel).toBe(APPROVAL_CHANNEL);
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, done.card?.ts ?? '')[0]);
    expect(reply.text).toContain('*alice@example.com* now has delegate access to *sales@example.com*');
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, done.card?.ts ?? '')!)).toContain('access granted');
    expect(h.sim.problems).toEqual([]);
  });

  it('a permanent Slack error (channel_not_found) is given up on and logged, without blocking the DM', async () => {
    h = await startHarness();
    const { request, card } = await pendingRequest();
    h.sim.failNext('chat.postMessage', { error: 'channel_not_found' });
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    // The thread reply cannot be posted; the DM behind it still goes out, and no retry was scheduled.
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    expect(dm.text).toContain('*alice@example.com* now has delegate access to *sales@example.com*');
    expect(logEntries(h).filter((line) => line.msg === 'notice delivery failed; will retry')).toEqual([]);
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toEqual([]);
    const gaveUp = logEntries(h).filter((line) => line.msg === 'notice could not be delivered; giving up');
    expect(gaveUp).toEqual([
      expect.objectContaining({
        level: 50,
        requestId: request.id,
        notice: 'thread:provisioned',
        error: expect.stringContaining('channel_not_found'),
      }),
    ]);
  });
});
