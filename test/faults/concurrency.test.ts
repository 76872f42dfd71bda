import { afterEach, describe, expect, it } from 'vitest';
import { SOMETHING_WENT_WRONG } from '../../src/slack/copy/common.js';
import { addApprovers, auditActions, describeErrors } from '../support/fault-tools.js';
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
} from '../support/harness.js';
import { answersOn } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('many approvers at once', () => {
  it('20 approvers clicking Approve together: one decision, one Mimecast add, 19 clear refusals', async () => {
    h = await startHarness({ env: { GROUP_CACHE_TTL_SECONDS: '0' } });
    const approvers = addApprovers(h, 20);
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);

    // Every payload is built from the card as it is now, before any click is sent: all 20 saw the button.
    const clicks = await Promise.all(
      approvers.map((userId) => h.driver.clickButton(userId, card, 'approve_request')),
    );
    expect(clicks.map((click) => click.status)).toEqual(approvers.map(() => 200));

    const done = await waitForStatus(h, request.id, 'completed');
    expect(approvers).toContain(done.decidedBy);
    const winner = done.decidedBy!;

    // The 19 others are told, privately and in words, who got there first.
    const losers = clicks.filter((_, index) => approvers[index] !== winner);
    expect(losers).toHaveLength(19);
    await h.sim.waitFor(() => losers.every((click) => answersOn(h, click.responseUrl).length > 0));
    for (const click of losers) {
      const answers = answersOn(h, click.responseUrl);
      expect(answers).toHaveLength(1);
      expect(answers[0]!.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(String(answers[0]!.body.text)).toMatch(
        new RegExp(
          `^${request.id} was already approved by <@${winner}> on <!date\\^\\d+\\^.*>\\. Nothing was changed\\.$`,
        ),
      );
    }
    // The winner hears nothing privately: the card, the thread and the DM say it.
    const winnerClick = clicks[approvers.indexOf(winner)]!;
    const reply = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('Done')),
    );
    expect(reply.text).toContain('*alice@example.com* now has delegate access to *sales@example.com*');
    expect(answersOn(h, winnerClick.responseUrl)).toEqual([]);

    // Exactly one decision and one provisioning in the audit log; exactly one add in Mimecast.
    expect(await auditActions(h, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.find((e) => e.action === 'approved')?.actor).toBe(winner);
    expect(addCalls(h)).toHaveLength(1);
    expect(h.mimecast.rights).toHaveLength(1);
    expect(h.mimecast.rights[0]!.id).toBe(done.mimecastId);

    // One card, updated to say who approved; one thread reply; no error anywhere.
    await h.sim.waitFor(() => textOf(h.sim.findMessage(card.channel, card.ts)!).includes('access granted'));
    expect(textOf(h.sim.findMessage(card.channel, card.ts)!)).toContain(`Approved by <@${winner}>`);
    expect(h.sim.messagesIn(APPROVAL_CHANNEL).filter((m) => !m.threadTs)).toHaveLength(1);
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)).toHaveLength(1);
    expect(h.sim.responses.map((r) => r.body.text)).not.toContain(SOMETHING_WENT_WRONG);
    expect(describeErrors(h)).toEqual([]);
    expect(h.sim.problems).toEqual([]);
  });

  it('10 approve and 10 deny at the same moment: exactly one decision, and the deny forms lose cleanly', async () => {
    h = await startHarness({ env: { GROUP_CACHE_TTL_SECONDS: '0' } });
    const approvers = addApprovers(h, 20);
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);

    const clicks = await Promise.all(
      approvers.map((userId, index) =>
        h.driver.clickButton(userId, card, index % 2 === 0 ? 'approve_request' : 'deny_request'),
      ),
    );
    expect(clicks.every((click) => click.status === 200)).toBe(true);
    const done = await waitForStatus(h, request.id, 'completed');
    const winner = done.decidedBy!;
    expect(approvers.indexOf(winner) % 2).toBe(0);

    // Deny clicks either opened the deny form (they came before the approval) or were told it is approved.
    const denyClicks = clicks.filter((_, index) => index % 2 === 1);
    await h.sim.waitFor(() =>
      denyClicks.every(
        (click) =>
          answersOn(h, click.responseUrl).length > 0 ||
          h.sim.views.some((v) => v.triggerId === click.triggerId),
      ),
    );
    // Whoever still has a deny form open and submits it is refused inside the form, in plain words.
    for (const click of denyClicks) {
      const form = h.sim.views.find((v) => v.triggerId === click.triggerId);
      if (!form) {
        expect(String(answersOn(h, click.responseUrl)[0]!.body.text)).toMatch(
          new RegExp(`^${request.id} was already approved by <@${winner}>`),
        );
        continue;
      }
      const userId = approvers[clicks.indexOf(click)]!;
      const submitted = await h.driver.submitView(userId, form, {
        deny_reason: { deny_reason_input: 'Too late?' },
      });
      expect(submitted.json).toEqual({
        response_action: 'errors',
        errors: {
          deny_reason: `${request.id} was already approved by another approver. Nothing was changed.`,
        },
      });
    }

    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.filter((e) => e.action === 'approved' || e.action === 'denied')).toHaveLength(1);
    expect(addCalls(h)).toHaveLength(1);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('completed');
    expect(describeErrors(h)).toEqual([]);
    expect(h.sim.problems).toEqual([]);
  });
});
