/**
 * What people see when the core refuses what a stale state or a malicious employee tried (issue 14,
 * items 3 to 8), through the real app and the Slack simulator: the approver's private answer, the card,
 * its thread, the requester's DM, the form's errors and the refusal of /delegate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectText } from '../../testkit/slack/index.js';
import { fixedClock } from '../support/fakes.js';
import { payloadBody, requestFormPayload } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  type Harness,
  pendingWithCard,
  startHarness,
  submitRequest,
  textOf,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import { answerText } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Group membership and profiles read fresh on each lookup, so a change shows at once. */
const NO_CACHE = { GROUP_CACHE_TTL_SECONDS: '0' };

async function latestCardText(cardTs: string): Promise<string> {
  await h.bot.idle();
  const card = h.sim.findMessage(APPROVAL_CHANNEL, cardTs);
  return card ? textOf(card) : '';
}

describe('eligibility when an approver approves (item 3)', () => {
  it('a requester taken out of the requester groups: the approver, the card, the thread and the requester are told why', async () => {
    h = await startHarness({ env: NO_CACHE });
    const { request, card } = await pendingWithCard(h);
    h.sim.setUsergroup('SREQUESTERS', [USERS.bob.id, USERS.erin.id]);

    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(await answerText(h, click.responseUrl)).toBe(
      `${request.id} was not approved: <@${USERS.alice.id}> is no longer in a group that may request delegate access. ` +
        'The bot denied the request instead and told the requester. Nothing was changed in Mimecast.',
    );
    const denied = await waitForStatus(h, request.id, 'denied');
    expect(denied.ineligible).toBe('not_requester');
    expect(await latestCardText(card.ts)).toContain(
      `:no_entry: Denied by the bot: <@${USERS.alice.id}> is no longer in a group that may request delegate access`,
    );
    const thread = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(thread.text).toBe(
      `:no_entry: <@${USERS.carol.id}> approved this, but <@${USERS.alice.id}> is no longer in a group that may request delegate access, ` +
        'so the bot denied the request. Nothing was changed in Mimecast; the requester has been told.',
    );
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was not granted')),
    );
    expect(dm.text).toBe(
      `Your request *${request.id}* for delegate access to *sales@example.com* was not granted: you are no longer in a group that may request delegate access. ` +
        'Nothing was changed in Mimecast. If you still need access, ask your IT team to add you to the requesters group, then make a new request with /delegate.',
    );
    expect(addCalls(h)).toEqual([]);
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.at(-1)).toMatchObject({
      actor: 'system',
      action: 'denied_ineligible',
      details: { reason: 'not_requester', stage: 'approval', approver: USERS.carol.id },
    });
  });

  it('a changed profile email: told in words naming the address the request was for', async () => {
    h = await startHarness({ env: NO_CACHE });
    const { card } = await pendingWithCard(h);
    h.sim.users.set(USERS.alice.id, { ...USERS.alice, email: 'alice.archer@example.com' });
    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(await answerText(h, click.responseUrl)).toContain(
      `<@${USERS.alice.id}>'s Slack profile email is no longer alice@example.com, the address this request grants access to`,
    );
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was not granted')),
    );
    expect(dm.text).toContain('your Slack profile email is no longer *alice@example.com*');
    expect(dm.text).toContain('make a new request with /delegate: it will be for your current address.');
    expect(addCalls(h)).toEqual([]);
  });

  it('a deactivated requester is not granted', async () => {
    h = await startHarness({ env: NO_CACHE });
    const { request, card } = await pendingWithCard(h);
    h.sim.users.set(USERS.alice.id, { ...USERS.alice, deleted: true });
    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(await answerText(h, click.responseUrl)).toContain(
      `<@${USERS.alice.id}>'s Slack account has been deactivated`,
    );
    expect((await waitForStatus(h, request.id, 'denied')).ineligible).toBe('deactivated');
    expect(addCalls(h)).toEqual([]);
  });

  it('within the directory’s cache period the cached membership is what counts (GROUP_CACHE_TTL_SECONDS)', async () => {
    h = await startHarness();
    const { request, card } = await pendingWithCard(h);
    h.sim.setUsergroup('SREQUESTERS', [USERS.bob.id]);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
  });
});

describe('the grantee’s own domain (item 4)', () => {
  it('a profile email outside ALLOWED_EMAIL_DOMAINS: /delegate refuses, naming it', async () => {
    h = await startHarness({ env: { ALLOWED_EMAIL_DOMAINS: 'example.com' } });
    h.sim.users.set(USERS.alice.id, { ...USERS.alice, email: 'alice.home@gmail.com' });
    const sent = await h.driver.command(USERS.alice.id, '/delegate', '');
    expect(await answerText(h, sent.responseUrl)).toBe(
      'Access would go to your Slack profile email, *alice.home@gmail.com*, and only addresses in @example.com can be given access here. ' +
        'Ask your Slack admin to put your work email on your Slack profile, then try again. No request was started.',
    );
    expect(h.sim.callsTo('views.open')).toEqual([]);
    // A form opened before the change is refused at submit, on the mailbox field.
    const answer = await h.driver.send(
      payloadBody(requestFormPayload(h, USERS.alice.id, { mailbox: 'sales@example.com', reason: 'needed' })),
    );
    expect(answer.json).toEqual({
      response_action: 'errors',
      errors: {
        mailbox:
          'Access would go to your Slack profile email, alice.home@gmail.com, and only addresses in @example.com can be given access here. ' +
          'Ask your Slack admin to put your work email on your Slack profile, then try again.',
      },
    });
    expect(await h.bot.store.listRequests({})).toEqual([]);
  });
});

describe('REQUEST_TTL_HOURS at decision time (item 5)', () => {
  it('approving a request past its time, before the sweep: the approver is told it expired, and it is', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startHarness({ clock });
    const { request, card } = await pendingWithCard(h);
    clock.advance(72 * 3_600_000 + 1000);
    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(await answerText(h, click.responseUrl)).toBe(
      `${request.id} expired without a decision. Nothing was changed.`,
    );
    await waitForStatus(h, request.id, 'expired');
    expect(await latestCardText(card.ts)).toContain(':hourglass: Expired without a decision');
    await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('expired after nobody decided it')),
    );
    expect(addCalls(h)).toEqual([]);
  });
});

describe('MAX_OPEN_REQUESTS (item 6)', () => {
  it('at the limit, the form /delegate opens turns into the open requests and how to free one', async () => {
    h = await startHarness({ env: { MAX_OPEN_REQUESTS: '2' } });
    const first = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const second = await submitRequest(h, USERS.alice.id, 'info@example.com');
    const sent = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(sent.triggerId);
    await h.bot.idle();
    const said = collectText(h.sim.findView(form.id)?.view.blocks ?? []);
    expect(said).toBe(
      'You already have 2 open requests, the most one person may have (2), so no request was started:\n' +
        `• ${second.id}: info@example.com\n• ${first.id}: sales@example.com\n` +
        'Cancel one you no longer need with `/delegate cancel DR-…`, or wait until one is decided, then run `/delegate` again.',
    );
    // Cancelling one frees a place.
    await h.driver.command(USERS.alice.id, '/delegate', `cancel ${first.id}`);
    await waitForStatus(h, first.id, 'cancelled');
    await submitRequest(h, USERS.alice.id, 'ceo@example.com');
    expect(await h.bot.store.listRequests({ requesterId: USERS.alice.id })).toHaveLength(3);
  });
});

describe('addresses that would show differently (item 8)', () => {
  it('a mailbox Slack would format is refused in the form', async () => {
    h = await startHarness();
    for (const mailbox of ['_ceo_@example.com', 'c*e*o@example.com', '~ceo~@example.com']) {
      const answer = await h.driver.send(
        payloadBody(requestFormPayload(h, USERS.alice.id, { mailbox, reason: 'needed' })),
      );
      expect(answer.json).toEqual({
        response_action: 'errors',
        errors: {
          mailbox:
            'Slack would show this address differently from the one that gets access (it has *, ~, ` or an _ that is not between two letters or digits), ' +
            'so it cannot be requested here. Check the address; if it is right, ask your IT team to grant it in Mimecast.',
        },
      });
    }
    expect(await h.bot.store.listRequests({})).toEqual([]);
  });

  it('alice+anything@ is Alice’s own mailbox', async () => {
    h = await startHarness();
    const answer = await h.driver.send(
      payloadBody(
        requestFormPayload(h, USERS.alice.id, { mailbox: 'Alice+Archive@Example.com', reason: 'needed' }),
      ),
    );
    expect(answer.json).toEqual({
      response_action: 'errors',
      errors: { mailbox: 'That is your own mailbox: you already have access to it.' },
    });
  });
});
