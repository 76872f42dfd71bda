import { afterEach, describe, expect, it } from 'vitest';
import { SOMETHING_WENT_WRONG } from '../../src/slack/copy/common.js';
import {
  approveClick,
  auditActions,
  commandBody,
  describeErrors,
  logEntries,
  payloadBody,
  requestFormPayload,
} from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import { answersOn, answerText } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const RETRY = { retryNum: 1, retryReason: 'http_timeout' } as const;

function droppedRetries(h: Harness) {
  return logEntries(h).filter((line) => line.msg === 'answered a Slack retry from the first delivery');
}

/** Carol's click on the card's Approve button, as Slack would send it (and send it again). */
function approveClickBody(h: Harness, cardTs: string, requestId: string) {
  const { payload, responseUrl } = approveClick(h, cardTs, requestId);
  return { body: payloadBody(payload), responseUrl };
}

/** A deny-form submission by `userId`, as Slack would send it (and send it again). */
function denySubmission(h: Harness, userId: string, form: { view: Record<string, unknown> }, reason: string) {
  return payloadBody({
    type: 'view_submission',
    team: { id: h.sim.teamId, domain: h.sim.teamDomain },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: h.sim.teamId },
    api_app_id: h.sim.appId,
    trigger_id: h.sim.createTrigger({ userId }),
    view: {
      ...form.view,
      state: { values: { deny_reason: { deny_reason_input: { type: 'plain_text_input', value: reason } } } },
    },
    response_urls: [],
  });
}

describe('Slack delivering the same thing again (x-slack-retry-num)', () => {
  it('an Approve click delivered twice: one decision, one add, and nothing at all shown for the retry', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);

    // The same payload, byte for byte, first as Slack sent it and then as Slack's retry.
    const { body, responseUrl } = approveClickBody(h, card.ts, request.id);
    const first = await h.driver.send(body);
    const retry = await h.driver.send(body, RETRY);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.text).toBe('');

    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.decidedBy).toBe(USERS.carol.id);
    await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('Done')),
    );
    await h.bot.dispatcher.idle();

    // Carol sees the outcome on the card and in the thread; for the retry she is told nothing, no error.
    expect(answersOn(h, responseUrl)).toEqual([]);
    expect(droppedRetries(h)).toEqual([
      expect.objectContaining({ level: 30, retryNum: 1, reason: 'http_timeout' }),
    ]);
    expect(await auditActions(h, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(addCalls(h)).toHaveLength(1);
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  it('a retry that arrives while the first Approve is still calling Mimecast: still one add', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    h.mimecast.inject('/api/user/add-delegate-user', { latencyMs: 400 });
    const { body, responseUrl } = approveClickBody(h, card.ts, request.id);
    const first = await h.driver.send(body);
    await h.sim.waitFor(() => addCalls(h).length === 1);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('provisioning');
    const retry = await h.driver.send(body, RETRY);
    expect([first.status, retry.status]).toEqual([200, 200]);
    await waitForStatus(h, request.id, 'completed');
    await h.bot.dispatcher.idle();
    expect(answersOn(h, responseUrl)).toEqual([]);
    expect(addCalls(h)).toHaveLength(1);
    expect((await auditActions(h, request.id)).filter((a) => a === 'approved')).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  it('a retry of a click this process never saw (the first delivery was lost) is acted on', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    const { body, responseUrl } = approveClickBody(h, card.ts, request.id);
    const retry = await h.driver.send(body, { retryNum: 2, retryReason: 'http_error' });
    expect(retry.status).toBe(200);
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.decidedBy).toBe(USERS.carol.id);
    expect(addCalls(h)).toHaveLength(1);
    expect(answersOn(h, responseUrl)).toEqual([]);
    expect(droppedRetries(h)).toEqual([]);
  });

  it('a retry reaching a restarted bot (which forgot what it handled) decides nothing twice', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    const { body, responseUrl } = approveClickBody(h, card.ts, request.id);
    await h.driver.send(body);
    await waitForStatus(h, request.id, 'completed');
    await h.bot.dispatcher.idle();
    await h.stopBot();
    const first = h;
    h = await startHarness({
      reuse: { sim: first.sim, mimecast: first.mimecast, databasePath: first.databasePath },
    });
    const retry = await h.driver.send(body, RETRY);
    expect(retry.status).toBe(200);
    // Handled as new: the compare-and-set refuses it, and Carol reads who approved (she did), not an error.
    expect(await answerText(h, responseUrl)).toMatch(
      new RegExp(
        `^${request.id} was already approved by <@${USERS.carol.id}> on <!date\\^\\d+\\^.+>\\. Nothing was changed\\.$`,
      ),
    );
    expect(addCalls(h)).toHaveLength(1);
    expect((await auditActions(h, request.id)).filter((a) => a === 'approved')).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  it('a deny form submitted twice: one decision, one DM, and the retry just closes the form', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'info@example.com');
    const card = await cardOf(h, request.id);
    const click = await h.driver.clickButton(USERS.bob.id, card, 'deny_request');
    const form = await h.sim.viewOpenedWith(click.triggerId);
    const body = denySubmission(h, USERS.bob.id, form, 'Ask the owner');
    const first = await h.driver.send(body);
    const retry = await h.driver.send(body, RETRY);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect([first.text, retry.text]).toEqual(['', '']); // both close the form

    const denied = await waitForStatus(h, request.id, 'denied');
    expect(denied).toMatchObject({ decidedBy: USERS.bob.id, denyReason: 'Ask the owner' });
    await h.sim.waitFor(() => h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was denied')));
    await h.bot.dispatcher.idle();
    expect(h.sim.dmsTo(USERS.alice.id).filter((m) => m.text.includes('was denied'))).toHaveLength(1);
    expect((await auditActions(h, request.id)).filter((a) => a === 'denied')).toHaveLength(1);
    expect(addCalls(h)).toHaveLength(0);
    expect(describeErrors(h)).toEqual([]);
  });

  // A retry of a handled view submission gets the first delivery's answer again (src/slack/listeners/
  // retries.ts: dropHandledRetries, rememberingAck), since an empty ack would close the form: an approver
  // whose first answer was lost still reads "already approved", not a form closed as if the deny went through.
  it('the retry of a refused deny gets the same refusal, not a silently closed form', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'info@example.com');
    const card = await cardOf(h, request.id);
    const click = await h.driver.clickButton(USERS.bob.id, card, 'deny_request');
    const form = await h.sim.viewOpenedWith(click.triggerId);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');

    const body = denySubmission(h, USERS.bob.id, form, 'No');
    const first = await h.driver.send(body);
    expect(first.json).toEqual({
      response_action: 'errors',
      errors: { deny_reason: `${request.id} was already approved by another approver. Nothing was changed.` },
    });
    const retry = await h.driver.send(body, RETRY);
    expect(retry.json).toEqual(first.json);
  });

  it('a request form submitted twice: one request, one card, one confirmation DM', async () => {
    h = await startHarness();
    const payload = requestFormPayload(h, USERS.alice.id, {
      mailbox: 'sales@example.com',
      reason: 'Covering the queue',
      duration: '24',
    });
    const first = await h.driver.send(payloadBody(payload));
    const retry = await h.driver.send(payloadBody(payload), RETRY);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(first.json).toMatchObject({ response_action: 'update' });
    // The retry gets the first delivery's answer again: the same "request sent" view, nothing re-run.
    expect(retry.json).toEqual(first.json);

    const requests = await h.bot.store.listRequests({});
    expect(requests).toHaveLength(1);
    const id = requests[0]!.id;
    await cardOf(h, id);
    await h.sim.waitFor(() => h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(id)));
    await h.bot.dispatcher.idle();
    expect(h.sim.messagesIn(APPROVAL_CHANNEL).filter((m) => m.text.includes(id))).toHaveLength(1);
    expect(h.sim.dmsTo(USERS.alice.id)).toHaveLength(1);
    expect(await auditActions(h, id)).toEqual(['submitted']);
    expect(describeErrors(h)).toEqual([]);
  });

  it('/delegate cancel delivered twice: cancelled once, answered once', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const { body, responseUrl } = commandBody(h, USERS.alice.id, `cancel ${request.id}`);
    const first = await h.driver.send(body);
    const said = await answerText(h, responseUrl);
    const retry = await h.driver.send(body, RETRY);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(said).toBe(`Cancelled ${request.id}. The approvers' card shows it as cancelled.`);
    await h.bot.dispatcher.idle();
    expect(answersOn(h, responseUrl)).toHaveLength(1);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('cancelled');
    expect(await auditActions(h, request.id)).toEqual(['submitted', 'cancelled']);
    expect(describeErrors(h)).toEqual([]);
  });

  it('/delegate (the form) delivered twice: one form, no request, no error shown or logged', async () => {
    h = await startHarness();
    const { body, triggerId, responseUrl } = commandBody(h, USERS.alice.id, 'sales@example.com');
    const first = await h.driver.send(body);
    const form = await h.sim.viewOpenedWith(triggerId);
    const retry = await h.driver.send(body, RETRY);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(form.view.callback_id).toBe('delegate_request');
    await h.sim.waitFor(() => droppedRetries(h).length === 1);
    expect(h.sim.callsTo('views.open')).toHaveLength(1);
    expect(await h.bot.store.listRequests({})).toEqual([]);
    expect(answersOn(h, responseUrl).map((r) => r.body.text)).not.toContain(SOMETHING_WENT_WRONG);
    expect(answersOn(h, responseUrl)).toEqual([]);
    expect(describeErrors(h)).toEqual([]);
  });
});
