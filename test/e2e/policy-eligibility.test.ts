/**
 * A policy rule that takes requests only from some groups (`requesters:`): the request keeps those
 * groups, and the requester must still be in one of them when an approver approves, as they must still
 * be a requester at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { addCalls, type Harness, textOf, USERS, waitForStatus } from '../support/harness.js';
import { cardIn, latest, PEOPLE, requestUnderPolicy, startPolicyHarness } from '../support/policy.js';
import { answerText } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const POLICY = `defaults:
  approvers: [SAPPROVERS]
  channel: CAPPROVALS
  durations: [1d, 7d]
rules:
  - name: support-queue
    mailboxes: [support@example.com]
    requesters: [SSUPPORT]
    durations: [1d, 7d]
`;

const NO_CACHE = { GROUP_CACHE_TTL_SECONDS: '0' };

describe("the rule's requester groups, checked again on approval", () => {
  it('a requester taken out of the rule’s group: approval fails, the approver, card, thread and requester are told which group', async () => {
    h = await startPolicyHarness({ policy: POLICY, env: NO_CACHE });
    const request = await requestUnderPolicy(
      h,
      PEOPLE.sid.id,
      'support@example.com',
      'Covering the queue',
      '24',
    );
    expect(request.route).toMatchObject({ rule: 'support-queue', requesterGroupIds: ['SSUPPORT'] });
    const card = await cardIn(h, 'CAPPROVALS', request.id);
    await h.bot.idle();
    // Still a requester (SREQUESTERS), but no longer in the rule's group.
    h.sim.setUsergroup('SSUPPORT', [], { handle: 'support-team', name: 'Support team' });

    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(await answerText(h, click.responseUrl)).toBe(
      `${request.id} was not approved: <@${PEOPLE.sid.id}> is no longer in <!subteam^SSUPPORT>, the group the policy rule *support-queue* takes these requests from. ` +
        'The bot denied the request instead and told the requester. Nothing was changed in Mimecast.',
    );
    const denied = await waitForStatus(h, request.id, 'denied');
    expect(denied.ineligible).toBe('not_rule_requester');
    await h.bot.idle();
    expect(textOf(latest(h, card))).toContain(
      `:no_entry: Denied by the bot: <@${PEOPLE.sid.id}> is no longer in <!subteam^SSUPPORT>, the group the policy rule *support-queue* takes these requests from`,
    );
    const thread = await h.sim.waitFor(() => h.sim.threadReplies('CAPPROVALS', card.ts)[0]);
    expect(thread.text).toBe(
      `:no_entry: <@${USERS.carol.id}> approved this, but <@${PEOPLE.sid.id}> is no longer in <!subteam^SSUPPORT>, the group the policy rule *support-queue* takes these requests from, ` +
        'so the bot denied the request. Nothing was changed in Mimecast; the requester has been told.',
    );
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(PEOPLE.sid.id).find((m) => m.text.includes('was not granted')),
    );
    expect(dm.text).toBe(
      `Your request *${request.id}* for delegate access to *support@example.com* was not granted: you are no longer in <!subteam^SSUPPORT>, the group the policy rule *support-queue* takes these requests from. ` +
        'Nothing was changed in Mimecast. If you still need access, ask to join that group, then make a new request with /delegate.',
    );
    expect(addCalls(h)).toEqual([]);
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.at(-1)).toMatchObject({
      actor: 'system',
      action: 'denied_ineligible',
      fromStatus: 'pending',
      toStatus: 'denied',
      details: {
        reason: 'not_rule_requester',
        stage: 'approval',
        approver: USERS.carol.id,
        rule: 'support-queue',
        groups: ['SSUPPORT'],
        groupNames: ['@support-team'],
      },
    });
  });

  it('still in the rule’s group: approved and granted as usual', async () => {
    h = await startPolicyHarness({ policy: POLICY, env: NO_CACHE });
    const request = await requestUnderPolicy(
      h,
      PEOPLE.sid.id,
      'support@example.com',
      'Covering the queue',
      '24',
    );
    await h.driver.clickButton(USERS.carol.id, await cardIn(h, 'CAPPROVALS', request.id), 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    expect(addCalls(h)).toHaveLength(1);
  });
});
