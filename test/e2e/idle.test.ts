import { afterEach, describe, expect, it } from 'vitest';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  settled,
  startHarness,
  submitRequest,
  USERS,
} from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('Bot.idle', () => {
  it('resolves only once a click and everything it set off are done: no polling, no sleep', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    await h.bot.idle();
    const dmsBefore = h.sim.dmsTo(USERS.alice.id).length;
    // Mimecast answers slowly: the grant is still in flight well after the click is acked.
    h.mimecast.inject('/api/user/add-delegate-user', { latencyMs: 300 });

    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(click.status).toBe(200);
    await h.bot.idle();

    // The approval, the Mimecast call, its outcome and every notice of it: all done, in that order.
    expect(addCalls(h)).toHaveLength(1);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('completed');
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).map((m) => m.text)).toEqual([
      expect.stringContaining('Done: *alice@example.com* now has delegate access to *sales@example.com*'),
    ]);
    expect(
      h.sim
        .dmsTo(USERS.alice.id)
        .slice(dmsBefore)
        .map((m) => m.text),
    ).toEqual([expect.stringContaining(`Your request *${request.id}* was approved`)]);
    expect(await h.bot.store.dueNotices(new Date(Date.now() + 3_600_000), 10)).toEqual([]);
  });

  it('waits for the answer to a refused click too', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    await h.bot.idle();
    const click = await h.driver.clickButton(USERS.dave.id, card, 'approve_request');
    await h.bot.idle();
    expect(h.sim.responses.filter((r) => r.url === click.responseUrl).map((r) => r.body.text)).toEqual([
      'Only members of the approver groups can approve or deny delegate access requests. Nothing was changed.',
    ]);
  });

  it('covers an event, which Bolt acks before any middleware or listener runs', async () => {
    h = await startHarness();
    const event = await h.driver.event({ type: 'app_home_opened', user: USERS.alice.id, tab: 'home' });
    expect(event.status).toBe(200);
    await settled(h);
    expect(h.sim.callsTo('views.publish').map((call) => call.args.user_id)).toEqual([USERS.alice.id]);
  });
});
