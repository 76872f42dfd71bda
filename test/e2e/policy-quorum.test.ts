import { afterEach, describe, expect, it } from 'vitest';
import { addCalls, type Harness, textOf, USERS, waitForStatus } from '../support/harness.js';
import {
  answerTo,
  cardIn,
  latest,
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

describe('policy quorum: distinct approvers from the rule’s groups', () => {
  it('one approval (the hr rule): approved at the first click, in the defaults’ channel', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'hr@example.com', 'Payroll cover', '24');
    expect(request.route).toMatchObject({
      rule: 'hr',
      approvals: 1,
      channelId: 'CAPPROVALS',
      owner: 'notify',
    });
    const card = await cardIn(h, 'CAPPROVALS', request.id);
    expect(textOf(card)).toContain('*Rule*\nhr');
    expect(textOf(card)).not.toContain('Approvals:');

    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done).toMatchObject({ decidedBy: USERS.carol.id, approvals: [{ by: USERS.carol.id }] });
    expect(addCalls(h)).toHaveLength(1);
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => e.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(audit[0]?.details).toMatchObject({ rule: 'hr', ownerId: PEOPLE.harriet.id });
    expect(audit[0]?.details?.policyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit[1]?.details).toEqual({ rule: 'hr', approvers: [USERS.carol.id] });
    await h.bot.idle();
    expect(h.sim.problems).toEqual([]);
  });

  it('two approvals: the first is counted and shown, the same approver twice is told so, the second approves', async () => {
    h = await startPolicyHarness();
    // board-minutes@ has no Slack user: the owner cannot be asked, so the approvers decide alone.
    const request = await requestUnderPolicy(
      h,
      USERS.alice.id,
      'board-minutes@example.com',
      'Board pack',
      '4',
    );
    expect(request.route).toMatchObject({ rule: 'executives', approvals: 2, owner: 'consent' });
    expect(request.route?.ownerId).toBeUndefined();
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    expect(textOf(card)).toContain('*Approvals:* 0 of 2');
    expect(textOf(card)).toContain(
      "No Slack user has this mailbox's address (a shared mailbox, or someone who has left), so the approvers decide alone.",
    );
    expect(textOf(card)).toContain('Waiting for approvers (0 of 2)');

    // An approver of the settings' groups is not an approver of this rule.
    const carol = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(await answerTo(h, carol)).toBe(
      'Only members of the approver groups can approve or deny delegate access requests. Nothing was changed.',
    );

    const first = await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    expect(await answerTo(h, first)).toBe(
      `Your approval of ${request.id} is recorded: 1 of 2. It needs 1 more approval from another approver.`,
    );
    const counted = await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    expect(counted.status).toBe('pending');
    const shown = await h.sim.waitFor(() =>
      textOf(latest(h, card)).includes('*Approvals:* 1 of 2 (<@USAM>)') ? latest(h, card) : undefined,
    );
    expect(textOf(shown)).toContain('Waiting for approvers (1 of 2)');

    const again = await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    expect(await answerTo(h, again)).toBe(
      `You already approved ${request.id}: it has 1 of 2 approvals. It needs 1 more approval from another approver. Nothing was changed.`,
    );
    expect(addCalls(h)).toHaveLength(0);

    await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request');
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.approvals?.map((a) => a.by)).toEqual([PEOPLE.sam.id, PEOPLE.sue.id]);
    expect(done.decidedBy).toBe(PEOPLE.sue.id);
    expect(addCalls(h)).toHaveLength(1);
    const granted = await h.sim.waitFor(() =>
      textOf(latest(h, card)).includes('access granted') ? latest(h, card) : undefined,
    );
    expect(textOf(granted)).toContain('Approved by <@USAM> and <@USUE> on <!date^');

    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => `${e.action}:${e.actor}`)).toEqual([
      `submitted:${USERS.alice.id}`,
      `approval_recorded:${PEOPLE.sam.id}`,
      `approved:${PEOPLE.sue.id}`,
      'provisioning_started:system',
      'provisioned:system',
    ]);
    expect(audit[0]?.details).toMatchObject({ rule: 'executives', ownerMissing: true });
    expect(audit[1]?.details).toEqual({ rule: 'executives', approvals: 1, needed: 2 });
    await h.bot.idle();
    expect(h.sim.problems).toEqual([]);
  });

  it('never counts the requester, even when they are one of the rule’s approvers', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(
      h,
      PEOPLE.sam.id,
      'board-minutes@example.com',
      'Board pack',
      '4',
    );
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    const own = await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    expect(await answerTo(h, own)).toBe(
      'You cannot decide your own request: another approver has to. Nothing was changed.',
    );
    await h.bot.idle();
    expect((await h.bot.store.getRequest(request.id))?.approvals).toBeUndefined();
  });

  it('one deny ends it, whatever approvals it has', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(
      h,
      USERS.alice.id,
      'board-minutes@example.com',
      'Board pack',
      '4',
    );
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    const deny = await h.driver.clickButton(PEOPLE.sue.id, card, 'deny_request');
    const form = await h.sim.viewOpenedWith(deny.triggerId);
    await h.driver.submitView(PEOPLE.sue.id, form, { deny_reason: { deny_reason_input: 'Not for this.' } });
    const denied = await waitForStatus(h, request.id, 'denied');
    expect(denied).toMatchObject({ decidedBy: PEOPLE.sue.id, denyReason: 'Not for this.' });
    await h.bot.idle();
    expect(addCalls(h)).toHaveLength(0);
  });

  it('20 concurrent clicks on a 2-approval request record exactly 2 approvals and make one Mimecast call', async () => {
    h = await startPolicyHarness();
    const approvers = Array.from({ length: 20 }, (_, i) => ({
      id: `UAPP${String(i).padStart(2, '0')}`,
      name: `approver${i}`,
    }));
    for (const person of approvers) h.sim.addUser(person);
    h.sim.setUsergroup(
      'SSECURITY',
      approvers.map((a) => a.id),
    );
    const request = await requestUnderPolicy(
      h,
      USERS.alice.id,
      'board-minutes@example.com',
      'Board pack',
      '4',
    );
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    const clicks = await Promise.all(
      approvers.map((a) => h.driver.clickButton(a.id, card, 'approve_request')),
    );
    expect(clicks.map((c) => c.status)).toEqual(approvers.map(() => 200));
    await waitForStatus(h, request.id, 'completed');
    await h.bot.idle();

    const done = await h.bot.store.getRequest(request.id);
    expect(done?.approvals).toHaveLength(2);
    expect(new Set(done?.approvals?.map((a) => a.by)).size).toBe(2);
    expect(addCalls(h)).toHaveLength(1);
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.filter((e) => e.action === 'approval_recorded')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'approved')).toHaveLength(1);
    const answers = clicks.map((c) => h.sim.responses.find((r) => r.url === c.responseUrl)?.body.text);
    expect(
      answers.filter((a) => String(a).startsWith(`Your approval of ${request.id} is recorded: 1 of 2.`)),
    ).toHaveLength(1);
    expect(answers.filter((a) => String(a).startsWith(`${request.id} was already approved by`))).toHaveLength(
      18,
    );
    // The one that completed it hears nothing: the card, thread and DMs say it.
    expect(answers.filter((a) => a === undefined)).toHaveLength(1);
    expect(h.sim.problems).toEqual([]);
  });
});
