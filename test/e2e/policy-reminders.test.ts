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

const REMINDER_AFTER_MS = 4 * 3_600_000;

/** The reminder in a card's thread, once posted. */
async function reminderOf(card: { channel: string; ts: string }) {
  return h.sim.waitFor(() =>
    h.sim.threadReplies(card.channel, card.ts).find((m) => m.text.includes(':bell:')),
  );
}

function slackDate(date: Date): string {
  const unix = Math.floor(date.getTime() / 1000);
  return `<!date^${unix}^{date_short_pretty} at {time}|${date.toISOString().slice(0, 16).replace('T', ' ')} UTC>`;
}

describe('reminders say who is still awaited', () => {
  it('the approvers and the owner, then the owner alone once every approval is in', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startPolicyHarness({ clock });
    const both = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    const ownerOnly = await requestUnderPolicy(h, USERS.bob.id, 'ceo@example.com', 'Board minutes', '4');
    const ownerCard = await cardIn(h, SECURITY_CHANNEL, ownerOnly.id);
    await h.driver.clickButton(PEOPLE.sam.id, ownerCard, 'approve_request');
    await requestWhen(h, ownerOnly.id, (r) => r.approvals?.length === 1, 'one approval');
    await h.driver.clickButton(PEOPLE.sue.id, ownerCard, 'approve_request');
    await requestWhen(h, ownerOnly.id, (r) => r.approvals?.length === 2, 'two approvals');
    const bothCard = await cardIn(h, SECURITY_CHANNEL, both.id);

    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    const toBoth = await reminderOf(bothCard);
    expect(toBoth.text).toBe(
      `:bell: This request has been waiting since ${slackDate(both.createdAt)}. It needs 2 more approvals and the consent of the mailbox's owner, <@${PEOPLE.cleo.id}>, who was asked by direct message. Approvers, please approve or deny it.`,
    );
    const toOwner = await reminderOf(ownerCard);
    expect(toOwner.text).toBe(
      `:bell: This request has been waiting since ${slackDate(ownerOnly.createdAt)}. Every approval is in: it waits only for the consent of the mailbox's owner, <@${PEOPLE.cleo.id}>, who was asked by direct message. Approvers need do nothing more.`,
    );
    expect(toOwner.text).not.toContain('please approve');
    expect(await h.bot.store.getRequest(ownerOnly.id)).toMatchObject({ status: 'pending' });
  });

  it('without an owner to ask, the approvers alone, with the approvals still needed', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startPolicyHarness({ clock });
    const request = await requestUnderPolicy(h, USERS.alice.id, 'former@example.com', 'Handover', '4');
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    expect((await reminderOf(card)).text).toBe(
      `:bell: This request has been waiting since ${slackDate(request.createdAt)}. It needs 1 more approval. Approvers, please approve or deny it.`,
    );
  });
});

describe("the mailbox owner's reminder (owner: consent)", () => {
  /** The owner's reminders, oldest first. */
  const ownerReminders = (userId: string) => h.sim.dmsTo(userId).filter((m) => m.text.startsWith(':bell:'));

  it('a DM in each reminder round while their answer is missing, once per round, none once they answered', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startPolicyHarness({ clock });
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    const asked = await h.sim.waitFor(() =>
      h.sim.dmsTo(PEOPLE.cleo.id).find((m) => m.text.includes(request.id)),
    );
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');

    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    // A second pass in the same round (another replica, a restart) reminds nobody again.
    await h.bot.scheduler.runOnce();
    await reminderOf(card);
    const first = await h.sim.waitFor(() => ownerReminders(PEOPLE.cleo.id)[0]);
    expect(first.text).toBe(
      `:bell: <@${USERS.alice.id}> has been waiting since ${slackDate(request.createdAt)} for delegate access to your mailbox *ceo@example.com* for *alice@example.com* (${request.id}). Your answer is still missing, and 1 more approval from the approvers. Please Allow or Refuse it with the buttons on my earlier message about ${request.id}. Nothing is granted without your consent.`,
    );
    // Words only: the buttons stay on the consent DM, which is left as it was.
    expect(first.ts).not.toBe(asked.ts);
    expect(JSON.stringify(first.blocks ?? [])).not.toContain('owner_allow');
    await h.bot.idle();
    expect(ownerReminders(PEOPLE.cleo.id)).toHaveLength(1);

    // The next round, with every approval in: only the owner is awaited.
    await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 2, 'two approvals');
    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    const second = await h.sim.waitFor(() => ownerReminders(PEOPLE.cleo.id)[1]);
    expect(second.text).toContain(
      `(${request.id}). Every approval is in: only your answer is missing. Please Allow or Refuse it`,
    );

    // Once the owner answered, a reminder round asks them nothing.
    await h.driver.clickButton(PEOPLE.cleo.id, asked, 'owner_allow');
    await waitForStatus(h, request.id, 'completed');
    const pending = await requestUnderPolicy(h, USERS.bob.id, 'ceo@example.com', 'Board minutes', '4');
    await h.driver.clickButton(PEOPLE.cleo.id, await askedAbout(pending.id), 'owner_allow');
    await requestWhen(h, pending.id, (r) => r.ownerAnswer !== undefined, 'the owner allowed');
    const pendingCard = await cardIn(h, SECURITY_CHANNEL, pending.id);
    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    await reminderOf(pendingCard);
    await h.bot.idle();
    expect(ownerReminders(PEOPLE.cleo.id)).toHaveLength(2);
    expect(h.sim.problems).toEqual([]);
  });

  it('an owner who answered after the reminder was queued, before it went out, is not reminded', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startPolicyHarness({ clock });
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    await askedAbout(request.id);
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.bot.idle();
    await h.bot.dispatcher.stop();
    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    expect((await h.bot.service.ownerAllow(request.id, PEOPLE.cleo.id)).ok).toBe(true);
    h.bot.dispatcher.start();
    await reminderOf(card);
    await h.bot.idle();
    expect(ownerReminders(PEOPLE.cleo.id)).toEqual([]);
    expect(h.sim.problems).toEqual([]);
  });

  it('an owner who is only told of grants (owner: notify) gets no reminder', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startPolicyHarness({ clock });
    const request = await requestUnderPolicy(h, USERS.alice.id, 'hr@example.com', 'Payroll run cover', '24');
    const card = await cardIn(h, 'CAPPROVALS', request.id);
    clock.advance(REMINDER_AFTER_MS);
    await h.bot.scheduler.runOnce();
    await reminderOf(card);
    await h.bot.idle();
    expect(h.sim.dmsTo(PEOPLE.harriet.id)).toEqual([]);
  });
});

/** The owner's consent DM about a request, once posted. */
function askedAbout(requestId: string) {
  return h.sim.waitFor(() =>
    h.sim
      .dmsTo(PEOPLE.cleo.id)
      .find((m) => m.text.startsWith(':raising_hand:') && m.text.includes(requestId)),
  );
}
