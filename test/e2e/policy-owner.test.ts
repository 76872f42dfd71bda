import { afterEach, describe, expect, it } from 'vitest';
import { rawClick } from '../support/fault-tools.js';
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

/** The DMs the mailbox's owner has had, oldest first. */
const ownerDms = (userId: string) => h.sim.dmsTo(userId);

describe('the mailbox owner: notify', () => {
  it('tells the owner of the grant, the extension and the removal: who, until when, why', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'hr@example.com', 'Payroll run cover', '24');
    expect(request.route).toMatchObject({ owner: 'notify', ownerId: PEOPLE.harriet.id });
    const card = await cardIn(h, 'CAPPROVALS', request.id);
    expect(textOf(card)).toContain('*Owner:* <@UHARRIET> is told of every grant, extension and removal');
    // Notify asks nothing first: the owner hears only of the grant.
    await h.bot.idle();
    expect(ownerDms(PEOPLE.harriet.id)).toEqual([]);

    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    const done = await waitForStatus(h, request.id, 'completed');
    const granted = await h.sim.waitFor(() => ownerDms(PEOPLE.harriet.id)[0]);
    expect(granted.text).toBe(
      `:information_source: *alice@example.com* (<@UALICE>) now has delegate access to your mailbox *hr@example.com* until ${slackDate(done.expiresAt)}, approved by <@UCAROL> (${request.id}).\n*Reason*\n>Payroll run cover`,
    );

    // Approvers extend by the rule's durations only (1 day, 7 days; "permanent" is not an extension).
    const active = await h.sim.waitFor(() =>
      textOf(latest(h, card)).includes('access granted') ? latest(h, card) : undefined,
    );
    const select = JSON.stringify(active.blocks);
    expect(select).toContain(`"value":"${request.id}:24"`);
    expect(select).toContain(`"value":"${request.id}:168"`);
    expect(select).not.toContain(`"value":"${request.id}:720"`);
    await h.driver.clickButton(USERS.bob.id, active, 'extend_access', { value: `${request.id}:168` });
    const extended = await h.sim.waitFor(() => ownerDms(PEOPLE.harriet.id)[1]);
    const after = await h.bot.store.getRequest(request.id);
    expect(extended.text).toBe(
      `:information_source: *alice@example.com* (<@UALICE>)'s delegate access to your mailbox *hr@example.com* was extended by <@UBOB>: it now lasts until ${slackDate(after?.expiresAt)} (${request.id}).`,
    );

    const revoke = await h.driver.command(USERS.admin.id, '/delegate', `revoke ${request.id}`);
    expect(revoke.status).toBe(200);
    const removed = await h.sim.waitFor(() => ownerDms(PEOPLE.harriet.id)[2]);
    expect(removed.text).toBe(
      `:lock: *alice@example.com* (<@UALICE>) no longer has delegate access to your mailbox *hr@example.com* through ${request.id}: <@UADMIN> revoked it.`,
    );
    await h.bot.idle();
    expect(ownerDms(PEOPLE.harriet.id)).toHaveLength(3);
    expect(h.sim.problems).toEqual([]);
  });

  it('refuses an extension its rule does not offer, changing nothing', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'hr@example.com', 'Payroll run cover', '24');
    await h.driver.clickButton(USERS.carol.id, await cardIn(h, 'CAPPROVALS', request.id), 'approve_request');
    const done = await waitForStatus(h, request.id, 'completed');
    // 30 days is one of the settings' durations (ACCESS_DURATIONS), not of the hr rule's.
    expect(await h.bot.service.extend(request.id, USERS.bob.id, 720)).toEqual({
      ok: false,
      reason: 'bad_duration',
    });
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({ expiresAt: done.expiresAt });
  });
});

describe('the mailbox owner: consent', () => {
  it('asks the owner with Allow and Refuse; access needs both the quorum and Allow; a forged click is refused', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(
      h,
      USERS.alice.id,
      'ceo@example.com',
      'Board minutes for the audit',
      '4',
    );
    expect(request.route).toMatchObject({ rule: 'executives', owner: 'consent', ownerId: PEOPLE.cleo.id });
    const asked = await h.sim.waitFor(() => ownerDms(PEOPLE.cleo.id)[0]);
    expect(asked.text).toBe(
      `:raising_hand: <@UALICE> asks for delegate access to your mailbox *ceo@example.com* (${request.id}). If it is granted, *alice@example.com* can read its archived mail, held messages and sender lists in Mimecast's apps for 4 hours.\n*Reason*\n>Board minutes for the audit\nThe approvers decide too: access needs their approval *and* yours. Nothing is granted until both are in.`,
    );
    expect(JSON.stringify(asked.blocks)).toContain('"action_id":"owner_allow"');
    expect(JSON.stringify(asked.blocks)).toContain('"action_id":"owner_refuse"');
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    expect(textOf(card)).toContain('*Owner:* <@UCLEO> must allow it too: waiting for their answer');

    const card1 = await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    expect(await answerTo(h, card1)).toBe(
      `Your approval of ${request.id} is recorded: 1 of 2. It needs 1 more approval from another approver, and the mailbox owner's consent.`,
    );
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    const card2 = await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request');
    expect(await answerTo(h, card2)).toBe(
      `Your approval of ${request.id} is recorded: 2 of 2. Every approval is in: it now waits for the mailbox owner's consent.`,
    );
    const waiting = await requestWhen(h, request.id, (r) => r.approvals?.length === 2, 'two approvals');
    expect(waiting.status).toBe('pending');
    await h.sim.waitFor(() =>
      textOf(latest(h, card)).includes(
        "Approved by <@USAM> and <@USUE>; waiting for the mailbox owner's consent",
      )
        ? true
        : undefined,
    );
    expect(addCalls(h)).toHaveLength(0);

    // Someone else pressing the owner's Allow (a forged click) is refused, and nothing changes.
    const forged = await h.driver.clickButton(USERS.dave.id, asked, 'owner_allow');
    expect(await answerTo(h, forged)).toBe(
      `Only the owner of the mailbox can allow or refuse ${request.id}. Nothing was changed.`,
    );
    const forgedRefuse = await h.driver.clickButton(USERS.bob.id, asked, 'owner_refuse');
    expect(await answerTo(h, forgedRefuse)).toBe(
      `Only the owner of the mailbox can allow or refuse ${request.id}. Nothing was changed.`,
    );
    await h.bot.idle();
    expect(h.sim.views.find((v) => v.triggerId === forgedRefuse.triggerId)).toBeUndefined();
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'pending',
      version: waiting.version,
    });

    const allow = await h.driver.clickButton(PEOPLE.cleo.id, asked, 'owner_allow');
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.ownerAnswer).toMatchObject({ answer: 'allowed', by: PEOPLE.cleo.id });
    expect(addCalls(h)).toHaveLength(1);
    // The consent DM's buttons give way to the answer.
    const answered = await h.sim.waitFor(() => {
      const now = h.sim.findMessage(asked.channel, asked.ts);
      return now && !JSON.stringify(now.blocks).includes('owner_allow') ? now : undefined;
    });
    expect(textOf(answered)).toContain(
      `:white_check_mark: You allowed ${request.id}. The approvals were already in, so the access is being granted now.`,
    );
    expect(allow.status).toBe(200);
    const granted = await h.sim.waitFor(() =>
      ownerDms(PEOPLE.cleo.id).find((m) => m.text.includes('now has')),
    );
    expect(granted.text).toContain('approved by <@USAM> and <@USUE>');

    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => `${e.action}:${e.actor}:${e.fromStatus ?? ''}>${e.toStatus}`)).toEqual([
      `submitted:UALICE:>pending`,
      'approval_recorded:USAM:pending>pending',
      'approval_recorded:USUE:pending>pending',
      'owner_allowed:UCLEO:pending>approved',
      'provisioning_started:system:approved>provisioning',
      'provisioned:system:provisioning>completed',
    ]);
    expect(audit[0]?.details).toMatchObject({ ownerId: PEOPLE.cleo.id });
    expect(audit[2]?.details).toEqual({ rule: 'executives', approvals: 2, needed: 2, waitingForOwner: true });
    await h.bot.idle();
    expect(h.sim.problems).toEqual([]);
  });

  it('the owner may allow first: the last approval then approves', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '24');
    const asked = await h.sim.waitFor(() => ownerDms(PEOPLE.cleo.id)[0]);
    await h.driver.clickButton(PEOPLE.cleo.id, asked, 'owner_allow');
    const allowed = await requestWhen(h, request.id, (r) => r.ownerAnswer !== undefined, 'the owner allowed');
    expect(allowed.status).toBe('pending');
    const answered = await h.sim.waitFor(() => {
      const now = h.sim.findMessage(asked.channel, asked.ts);
      return now?.updates ? now : undefined;
    });
    expect(textOf(answered)).toContain(
      `You allowed ${request.id}. It still needs 2 more approvals; you will hear here when access is granted.`,
    );
    const again = await h.driver.clickButton(PEOPLE.cleo.id, answered, 'owner_allow').catch((e: Error) => e);
    expect(String(again)).toContain("no button 'owner_allow'");

    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done.decidedBy).toBe(PEOPLE.sam.id);
    expect(addCalls(h)).toHaveLength(1);
  });

  it('Refuse asks why, denies the request and tells the requester the reason; the card says so', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    const asked = await h.sim.waitFor(() => ownerDms(PEOPLE.cleo.id)[0]);
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');

    const refuse = await h.driver.clickButton(PEOPLE.cleo.id, asked, 'owner_refuse');
    const form = await h.sim.viewOpenedWith(refuse.triggerId);
    expect(textOf({ text: '', blocks: form.view.blocks })).toContain(
      "Refuse <@UALICE>'s request for delegate access to your mailbox *ceo@example.com*? The request is denied.",
    );
    const submitted = await h.driver.submitView(PEOPLE.cleo.id, form, {
      owner_reason: { owner_reason_input: 'Ask me directly, please.' },
    });
    expect(submitted.json).toBeUndefined();
    const denied = await waitForStatus(h, request.id, 'denied');
    expect(denied).toMatchObject({
      decidedBy: PEOPLE.cleo.id,
      denyReason: 'Ask me directly, please.',
      ownerAnswer: { answer: 'refused', by: PEOPLE.cleo.id },
    });
    const told = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('refused')),
    );
    expect(told.text).toBe(
      `Your request *${request.id}* for delegate access to *ceo@example.com* was refused by the mailbox's owner, <@UCLEO>.\nReason: Ask me directly, please.`,
    );
    const shown = await h.sim.waitFor(() =>
      textOf(latest(h, card)).includes("Refused by the mailbox's owner") ? latest(h, card) : undefined,
    );
    expect(textOf(shown)).toMatch(
      /:no_entry: Refused by the mailbox's owner <@UCLEO> on <!date\^\d+\^[^>]+>: Ask me directly, please\./,
    );
    expect(JSON.stringify(shown.blocks)).not.toContain('approve_request');
    const dm = await h.sim.waitFor(() => {
      const now = h.sim.findMessage(asked.channel, asked.ts);
      return now?.updates ? now : undefined;
    });
    expect(textOf(dm)).toContain(
      `:no_entry: You refused ${request.id}. <@UALICE> has been told, with your reason.`,
    );

    // Too late for anyone else.
    const late = await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request').catch((e: Error) => e);
    expect(String(late)).toContain("no button 'approve_request'");
    expect(await h.bot.service.approve(request.id, PEOPLE.sue.id)).toMatchObject({
      ok: false,
      reason: 'already_decided',
    });
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.at(-1)).toMatchObject({
      action: 'owner_refused',
      actor: PEOPLE.cleo.id,
      fromStatus: 'pending',
      toStatus: 'denied',
      details: { rule: 'executives', reason: 'Ask me directly, please.' },
    });
    await h.bot.idle();
    expect(addCalls(h)).toHaveLength(0);
    expect(h.sim.problems).toEqual([]);
  });

  it('refuses a forged Refuse form from someone else, changing nothing', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    await h.bot.idle();
    const before = await h.bot.store.getRequest(request.id);
    const forged = await h.driver.send(
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'view_submission',
          team: { id: h.sim.teamId },
          user: { id: USERS.dave.id },
          api_app_id: h.sim.appId,
          trigger_id: h.sim.createTrigger({ userId: USERS.dave.id }),
          view: {
            id: 'VFORGED01',
            callback_id: 'delegate_owner_refuse',
            private_metadata: JSON.stringify({ requestId: request.id }),
            state: {
              values: {
                owner_reason: { owner_reason_input: { type: 'plain_text_input', value: 'No way.' } },
              },
            },
          },
        }),
      }).toString(),
    );
    expect(forged.json).toEqual({
      response_action: 'errors',
      errors: {
        owner_reason: `Only the owner of the mailbox can allow or refuse ${request.id}. Nothing was changed.`,
      },
    });
    await h.bot.idle();
    expect(await h.bot.store.getRequest(request.id)).toEqual(before);
    expect(h.sim.callsTo('chat.update')).toEqual([]);
  });

  it('refuses a refusal without a reason, changing nothing', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    await h.bot.idle();
    const before = await h.bot.store.getRequest(request.id);
    expect(await h.bot.service.ownerRefuse(request.id, PEOPLE.cleo.id, '  \u200b ')).toEqual({
      ok: false,
      reason: 'no_reason',
      min: 3,
    });
    expect(await h.bot.service.ownerRefuse(request.id, USERS.dave.id, 'Because.')).toEqual({
      ok: false,
      reason: 'not_owner',
    });
    expect(await h.bot.store.getRequest(request.id)).toEqual(before);
  });

  it('someone who has left (a deactivated user) cannot be asked: the approvers decide alone', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'former@example.com', 'Handover', '4');
    expect(request.route).toMatchObject({ rule: 'executives', owner: 'consent' });
    expect(request.route?.ownerId).toBeUndefined();
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    expect(textOf(card)).toContain('so the approvers decide alone');
    const submitted = (await h.bot.store.listAudit({ requestId: request.id }))[0];
    expect(submitted?.details).toMatchObject({ rule: 'executives', ownerMissing: true });
    expect(h.sim.callsTo('users.lookupByEmail').map((c) => [c.args.email, c.error])).toEqual([
      ['former@example.com', 'users_not_found'],
    ]);
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await requestWhen(h, request.id, (r) => r.approvals?.length === 1, 'one approval');
    await h.driver.clickButton(PEOPLE.sue.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    await h.bot.idle();
    expect(h.sim.dmsTo(PEOPLE.gone.id)).toEqual([]);
  });
});

describe("the owner's buttons naming no request", () => {
  it("Allow and Refuse say in the owner's words that nothing was changed, without pointing to /delegate status", async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    const asked = await h.sim.waitFor(() => ownerDms(PEOPLE.cleo.id)[0]);
    await h.bot.idle();
    const before = await h.bot.store.getRequest(request.id);
    for (const action of ['owner_allow', 'owner_refuse']) {
      const click = await rawClick(h, PEOPLE.cleo.id, action, 'DR-gone', { channelId: asked.channel });
      expect(click.status).toBe(200);
      expect(await answerTo(h, click)).toBe(
        'That button no longer names a request you can answer: the request may be gone or already decided. Nothing was changed, and nothing is needed from you. If a newer message asks about your mailbox, answer with its buttons.',
      );
      expect(h.sim.views.find((v) => v.triggerId === click.triggerId)).toBeUndefined();
    }
    await h.bot.idle();
    expect(await h.bot.store.getRequest(request.id)).toEqual(before);
  });
});

/** A date as the bot writes it for Slack. */
function slackDate(date: Date | undefined): string {
  if (!date) throw new Error('no date');
  const unix = Math.floor(date.getTime() / 1000);
  return `<!date^${unix}^{date_short_pretty} at {time}|${date.toISOString().slice(0, 16).replace('T', ' ')} UTC>`;
}
