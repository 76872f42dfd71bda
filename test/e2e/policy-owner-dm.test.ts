/**
 * The owner's consent DM follows the request: once it is decided, cancelled or expired, whoever did
 * it, the DM is updated through the notice outbox (chat.update) to say so, and its buttons are gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/fakes.js';
import { type Harness, USERS, waitForStatus } from '../support/harness.js';
import {
  cardIn,
  PEOPLE,
  requestUnderPolicy,
  requestWhen,
  SECURITY_CHANNEL,
  startPolicyHarness,
} from '../support/policy.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** The consent DM once it was updated, its buttons gone. */
async function closedDm(asked: { channel: string; ts: string }) {
  const now = await h.sim.waitFor(() => {
    const message = h.sim.findMessage(asked.channel, asked.ts);
    return message?.updates && !JSON.stringify(message.blocks).includes('owner_allow') ? message : undefined;
  });
  const context = (now.blocks ?? []).find((b) => (b as { type?: string }).type === 'context') as
    | { elements: { text: string }[] }
    | undefined;
  return { message: now, line: context?.elements[0]?.text };
}

async function askedOwner(h: Harness, requesterId: string = USERS.alice.id) {
  const request = await requestUnderPolicy(h, requesterId, 'ceo@example.com', 'Board pack', '4');
  const asked = await h.sim.waitFor(() =>
    h.sim.dmsTo(PEOPLE.cleo.id).find((m) => m.text.includes(request.id)),
  );
  // Where it was posted is kept on the request, for the update.
  const stored = await requestWhen(h, request.id, (r) => r.ownerMessage !== undefined, 'the DM recorded');
  expect(stored.ownerMessage).toEqual({ channel: asked.channel, ts: asked.ts });
  return { request, asked };
}

function updatesOf(asked: { channel: string; ts: string }) {
  return h.sim
    .callsTo('chat.update')
    .filter((c) => c.args.channel === asked.channel && c.args.ts === asked.ts);
}

describe("the owner's consent DM after the decision", () => {
  it('an approver denies before the owner answered: the DM says so, without buttons', async () => {
    h = await startPolicyHarness();
    const { request, asked } = await askedOwner(h);
    await h.bot.service.deny(request.id, PEOPLE.sam.id, 'Not for this audit');
    await waitForStatus(h, request.id, 'denied');
    const { line } = await closedDm(asked);
    expect(line).toBe(
      `:no_entry: ${request.id} was denied by <@${PEOPLE.sam.id}> before you answered. No access was granted; nothing is needed from you.`,
    );
    await h.bot.idle();
    expect(updatesOf(asked)).toHaveLength(1);
    expect(h.sim.problems).toEqual([]);
  });

  it('the requester cancels: the DM says so, without buttons', async () => {
    h = await startPolicyHarness();
    const { request, asked } = await askedOwner(h);
    expect((await h.bot.service.cancel(request.id, USERS.alice.id)).ok).toBe(true);
    const { line } = await closedDm(asked);
    expect(line).toBe(
      `:heavy_minus_sign: <@${USERS.alice.id}> cancelled ${request.id} before it was decided. No access was granted; nothing is needed from you.`,
    );
  });

  it('nobody decides in time: the DM says it expired, without buttons', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startPolicyHarness({ clock });
    const { request, asked } = await askedOwner(h);
    clock.advance(73 * 3_600_000);
    await h.bot.scheduler.runOnce();
    await waitForStatus(h, request.id, 'expired');
    const { line } = await closedDm(asked);
    expect(line).toBe(
      `:hourglass: ${request.id} expired without a decision. No access was granted; nothing is needed from you.`,
    );
  });

  it('the owner allows first, then the approvals complete it: the DM says so each time', async () => {
    h = await startPolicyHarness();
    const { request, asked } = await askedOwner(h);
    await h.driver.clickButton(PEOPLE.cleo.id, asked, 'owner_allow');
    expect((await closedDm(asked)).line).toBe(
      `:white_check_mark: You allowed ${request.id}. It still needs 2 more approvals; you will hear here when access is granted.`,
    );
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    await h.bot.idle();
    const done = h.sim.findMessage(asked.channel, asked.ts);
    expect(JSON.stringify(done?.blocks)).toContain(
      `:white_check_mark: You allowed ${request.id}, and the approvals are now in: the access is being granted.`,
    );
    expect(updatesOf(asked)).toHaveLength(2);
  });
});
