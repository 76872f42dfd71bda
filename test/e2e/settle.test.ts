import { afterEach, describe, expect, it } from 'vitest';
import { slackDate } from '../../src/slack/mrkdwn.js';
import { FIND_SHAPES } from '../../testkit/mimecast/index.js';
import { auditActions, describeErrors } from '../support/fault-tools.js';
import { APPROVAL_CHANNEL, type Harness, textOf, USERS, waitForStatus } from '../support/harness.js';
import {
  ADD,
  addBody,
  advance,
  approveWithAddFault,
  FIND,
  findBody,
  mimecastCalls,
  startMovable,
} from '../support/mimecast-flows.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CHECKING_DM = (id: string) =>
  `Your request *${id}* was approved, but Mimecast did not confirm the grant straight away. The bot is checking whether it went through and will tell you here within about a quarter of an hour. You do not need to do anything; please do not submit the request again.`;

const checkingReply = (why: string, mcReqId: string) =>
  `:mag: Mimecast did not confirm the grant: ${why}. The bot is checking in Mimecast whether alice@example.com has delegate access to sales@example.com: it looks 30 seconds, 2 minutes and 10 minutes after the call, and if the access is still not there it asks Mimecast once more under this approval. This thread will say how it ends. Nobody needs to do anything: please do not add the access by hand or approve a new request for it.\nMimecast request id for support: \`${mcReqId}\``;

const LOST = 'no answer came back (a timeout or a lost connection)';
const FIVE_HUNDRED = 'Mimecast answered with an error of its own after it had received the request';

function addReqIds(stack: Harness): string[] {
  return stack.mimecast.calls
    .filter((call) => call.path === ADD)
    .map((call) => String(call.headers['x-mc-req-id']));
}

describe('an add whose outcome is unknown is settled by searching Mimecast', () => {
  for (const [variant, shape] of Object.entries(FIND_SHAPES)) {
    it(`present at the first search (${variant} shape): completed with the id found, everyone told it went through`, async () => {
      const started = await startMovable({ shape });
      h = started.h;
      const { clock } = started;
      // Mimecast makes the right, then the connection drops before its answer.
      const { request, card } = await approveWithAddFault(h, { dropConnection: true });
      const settling = await waitForStatus(h, request.id, 'settling');
      await h.bot.idle();
      expect(settling).toMatchObject({ failure: { kind: 'outcome_unknown' }, settleChecks: 0 });

      // What everyone is told while it is checked: plainly, and that nobody should retry.
      const [checking] = h.sim.threadReplies(APPROVAL_CHANNEL, card.ts);
      expect(checking?.text).toBe(checkingReply(LOST, addReqIds(h)[0]!));
      expect(h.sim.dmsTo(USERS.alice.id).at(-1)?.text).toBe(CHECKING_DM(request.id));
      expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!)).toContain(
        'checking in Mimecast whether the access was granted; nobody needs to retry (see thread)',
      );

      // Not before 30 s.
      await advance(h, clock, 29 * SECOND);
      expect(mimecastCalls(h)).toHaveLength(2);
      await advance(h, clock, 1 * SECOND);
      const done = await waitForStatus(h, request.id, 'completed');
      const right = h.mimecast.rights[0]!;
      expect(done).toMatchObject({ mimecastId: right.id, grantedAt: settling.settleSince, settleChecks: 1 });
      expect(mimecastCalls(h)).toEqual([
        `200 ${FIND} ${findBody('alice@example.com')}`,
        `dropped ${ADD} ${addBody('alice@example.com', 'sales@example.com')}`,
        `200 ${FIND} ${findBody('alice@example.com')}`,
      ]);

      const replies = h.sim.threadReplies(APPROVAL_CHANNEL, card.ts);
      expect(replies.map((reply) => reply.text)).toEqual([
        checkingReply(LOST, addReqIds(h)[0]!),
        `:white_check_mark: Checked in Mimecast: it went through after all. *alice@example.com* now has delegate access to *sales@example.com* until ${slackDate(done.expiresAt!)}. Mimecast id: \`${right.id}\``,
      ]);
      const dm = h.sim.dmsTo(USERS.alice.id).at(-1)!;
      expect(dm.text).toBe(
        `:white_check_mark: Your request *${request.id}* went through after all: *alice@example.com* now has delegate access to *sales@example.com* until ${slackDate(done.expiresAt!)}. Switch to that account in the Mimecast Personal Portal, Mimecast for Outlook or Mimecast Mobile. When you no longer need it, press "I'm done".`,
      );
      expect(textOf(dm)).toContain("I'm done");
      expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!)).toContain('access granted until');
      expect(await auditActions(h, request.id)).toEqual([
        'submitted',
        'approved',
        'provisioning_started',
        'provisioning_outcome_unknown',
        'outcome_check_started',
        'outcome_settled',
      ]);
      expect(describeErrors(h)).toEqual([]);
    });

    it(`absent at every search (${variant} shape): added once more under the same approval, and granted`, async () => {
      const started = await startMovable({ shape });
      h = started.h;
      const { clock } = started;
      // A 503 once Mimecast had the request: nothing was made, but that cannot be known from it.
      const { request, card } = await approveWithAddFault(h, { status: 503 });
      const settling = await waitForStatus(h, request.id, 'settling');
      await h.bot.idle();
      expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]?.text).toBe(
        checkingReply(FIVE_HUNDRED, addReqIds(h)[0]!),
      );

      await advance(h, clock, 30 * SECOND);
      await advance(h, clock, 90 * SECOND);
      expect(await h.bot.store.getRequest(request.id)).toMatchObject({ status: 'settling', settleChecks: 2 });
      await advance(h, clock, 8 * MINUTE);
      const done = await waitForStatus(h, request.id, 'completed');
      await h.bot.idle();
      const right = h.mimecast.rights[0]!;
      expect(done).toMatchObject({ mimecastId: right.id, addAttempt: 2, decidedBy: USERS.carol.id });
      expect(h.mimecast.rights).toHaveLength(1);
      expect(mimecastCalls(h)).toEqual([
        `200 ${FIND} ${findBody('alice@example.com')}`,
        `503 ${ADD} ${addBody('alice@example.com', 'sales@example.com')}`,
        `200 ${FIND} ${findBody('alice@example.com')}`,
        `200 ${FIND} ${findBody('alice@example.com')}`,
        `200 ${FIND} ${findBody('alice@example.com')}`,
        `200 ${ADD} ${addBody('alice@example.com', 'sales@example.com')}`,
      ]);
      // The checks came when they were due, counted from the outcome (the simulator stamps arrivals by real time).
      expect(settling.nextSettleAt!.getTime() - settling.settleSince!.getTime()).toBe(30 * SECOND);
      expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).at(-1)?.text).toBe(
        `:white_check_mark: Done: *alice@example.com* now has delegate access to *sales@example.com* until ${slackDate(done.expiresAt!)}. Mimecast id: \`${right.id}\` The access was still not in Mimecast after three checks, so the bot added it once more under the same approval.`,
      );
      expect(h.sim.dmsTo(USERS.alice.id).at(-1)?.text).toContain(
        `:white_check_mark: Your request *${request.id}* was approved: *alice@example.com* now has delegate access to *sales@example.com*`,
      );
      const audit = await h.bot.store.listAudit({ requestId: request.id });
      expect(audit.map((event) => event.action)).toEqual([
        'submitted',
        'approved',
        'provisioning_started',
        'provisioning_outcome_unknown',
        'outcome_check_started',
        'outcome_check_absent',
        'outcome_check_started',
        'outcome_check_absent',
        'outcome_check_started',
        'provisioning_retried',
        'provisioned',
      ]);
      expect(audit.find((event) => event.action === 'provisioning_retried')?.details).toMatchObject({
        attempt: 2,
        checks: 3,
        approvedBy: USERS.carol.id,
        firstOutcome: 'server_error',
      });
      expect(describeErrors(h)).toEqual([]);
    });
  }

  it('a second unknown outcome goes to the admins, mentioned, with what the bot already did', async () => {
    const started = await startMovable();
    h = started.h;
    const { clock } = started;
    const { request, card } = await approveWithAddFault(h, { status: 503, times: 2 });
    await waitForStatus(h, request.id, 'settling');
    await advance(h, clock, 10 * MINUTE);
    const unknown = await waitForStatus(h, request.id, 'outcome_unknown');
    await h.bot.idle();
    expect(unknown).toMatchObject({ addAttempt: 2, failure: { kind: 'server_error' } });
    expect(addReqIds(h)).toHaveLength(2);
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).at(-1)?.text).toBe(
      `:rotating_light: <!subteam^SADMINS> Outcome unknown: Mimecast answered with an error of its own after it had received the request, so the access may or may not exist. An admin must check in Mimecast before anyone retries.\nThe bot had checked three times without finding the access, so it asked Mimecast once more under the same approval; that answer could not be confirmed either.\nMimecast request id for support: \`${addReqIds(h)[1]}\`\nCheck whether alice@example.com has delegate access to sales@example.com in the Mimecast Administration Console.`,
    );
    expect(h.sim.dmsTo(USERS.alice.id).at(-1)?.text).toBe(
      `Your request *${request.id}* was approved, but we could not confirm it in Mimecast. An admin has been asked to check; you do not need to submit it again.`,
    );
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!)).toContain(
      'outcome unknown, an admin must check Mimecast',
    );
    await advance(h, clock, 60 * MINUTE);
    expect(addReqIds(h)).toHaveLength(2);
    expect(describeErrors(h)).toEqual([]);
  });

  it('a search Mimecast refuses (404) goes to the admins at once, and nothing is added again', async () => {
    const started = await startMovable();
    h = started.h;
    const { clock } = started;
    const { request, card } = await approveWithAddFault(h, { latencyMs: 1500 });
    await waitForStatus(h, request.id, 'settling');
    h.mimecast.inject(FIND, { status: 404 });
    await advance(h, clock, 30 * SECOND);
    const unknown = await waitForStatus(h, request.id, 'outcome_unknown');
    await h.bot.idle();
    expect(unknown).toMatchObject({ settleProblem: { kind: 'not_found' }, settleChecks: 1 });
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).at(-1)?.text).toBe(
      `:rotating_light: <!subteam^SADMINS> Outcome unknown: the request reached Mimecast but no answer came back (timeout or lost connection), so the access may or may not exist. An admin must check in Mimecast before anyone retries.\nThe bot could not check it itself: Mimecast's delegate search is not available for this account (it answered "not found").\nMimecast request id for support: \`${addReqIds(h)[0]}\`\nCheck whether alice@example.com has delegate access to sales@example.com in the Mimecast Administration Console.`,
    );
    expect((await h.bot.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
      action: 'outcome_check_refused',
      details: { check: 1, kind: 'not_found' },
    });
    await advance(h, clock, 60 * MINUTE);
    expect(addReqIds(h)).toHaveLength(1);
  });

  it('/delegate status says it is being checked, and a second request for the same mailbox waits for it', async () => {
    const started = await startMovable();
    h = started.h;
    const { request } = await approveWithAddFault(h, { dropConnection: true });
    await waitForStatus(h, request.id, 'settling');
    await h.bot.idle();
    const command = await h.driver.command(USERS.alice.id, '/delegate', `status ${request.id}`);
    const answer = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === command.responseUrl));
    expect(String(answer.body.text)).toContain(
      `*${request.id}*: Approved: checking in Mimecast whether the access was granted…`,
    );
    expect(String(answer.body.text)).toContain(
      `• Mimecast did not confirm the grant (${LOST}); the bot is checking whether it went through. Nobody needs to retry.`,
    );
    const form = await h.driver.command(USERS.alice.id, '/delegate', '');
    const view = await h.sim.viewOpenedWith(form.triggerId);
    const again = await h.driver.submitView(USERS.alice.id, view, {
      mailbox: { mailbox_input: 'sales@example.com' },
      reason: { reason_input: 'Did it work?' },
    });
    expect(again.json).toEqual({
      response_action: 'errors',
      errors: {
        mailbox: `You already have a request for sales@example.com waiting (${request.id}). Use /delegate status ${request.id} to follow it.`,
      },
    });
    expect(await h.bot.store.listRequests({})).toHaveLength(1);
  });
});
