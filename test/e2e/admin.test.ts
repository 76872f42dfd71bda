import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/store/audit-chain.js';
import { fixedClock } from '../support/fakes.js';
import {
  APPROVAL_CHANNEL,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  textOf,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import { run } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function grant(userId: string = USERS.alice.id, mailbox = 'sales@example.com', duration?: string) {
  const request = await submitRequest(h, userId, mailbox, 'Covering the queue', duration);
  const card = await cardOf(h, request.id);
  await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
  const done = await waitForStatus(h, request.id, 'completed');
  return { request: done, card };
}

describe('/delegate subcommands', () => {
  it('shows help fitting the caller, and help for unknown subcommands', async () => {
    h = await startHarness();
    const everyone = await run(h, USERS.alice.id, 'help');
    expect(everyone).toContain('`/delegate status DR-XXXXXX`');
    expect(everyone).not.toContain('Admin commands');
    const admin = await run(h, USERS.admin.id, 'help');
    expect(admin).toContain('*Admin commands*');
    expect(admin).toContain('`/delegate revoke DR-XXXXXX`');
    const unknown = await run(h, USERS.alice.id, 'frobnicate now');
    expect(unknown).toMatch(/^I do not know `frobnicate now`\.\n\*\/delegate\* asks for/);
  });

  it('status and list for the requester; status refused to others', async () => {
    h = await startHarness();
    const { request } = await grant();
    const status = await run(h, USERS.alice.id, `status ${request.id.toLowerCase()}`);
    expect(status).toContain(`*${request.id}*: Access granted`);
    expect(status).toContain('alice@example.com → delegate access to sales@example.com, 1 day');
    expect(status).toContain(`Approved by <@${USERS.carol.id}>`);
    // Someone else's request and no request at all read the same to those who see only their own.
    const notYours = await run(h, USERS.dave.id, `status ${request.id}`);
    expect(notYours).toBe(
      `You have no request ${request.id}. You can see only your own requests: check the id in your confirmation message, or see them all with \`/delegate list\`.`,
    );
    expect(await run(h, USERS.dave.id, 'status DR-ZZZZZZ')).toBe(
      notYours.replaceAll(request.id, 'DR-ZZZZZZ'),
    );
    expect(await run(h, USERS.alice.id, 'status DR-ZZZZZZ')).toBe(
      notYours.replaceAll(request.id, 'DR-ZZZZZZ'),
    );
    // Approvers and admins see every request: for them, no such request is just that.
    expect(await run(h, USERS.carol.id, 'status DR-ZZZZZZ')).toBe(
      'There is no request DR-ZZZZZZ. Check the id in your confirmation message.',
    );
    expect(await run(h, USERS.alice.id, 'status nonsense!')).toBe(
      'Give a request id, like `/delegate status DR-7KQ2M9`.',
    );

    const list = await run(h, USERS.alice.id, 'list');
    expect(list).toContain('*Your access* (1)');
    expect(list).toContain(
      `\`${request.id}\` alice@example.com → sales@example.com · Access granted until <!date^`,
    );
    expect(list).toContain('*Waiting*\nNo requests waiting.');
  });

  it('lets the requester cancel a waiting request, and no one else', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'info@example.com');
    const card = await cardOf(h, request.id);
    expect(await run(h, USERS.bob.id, `cancel ${request.id}`)).toBe(
      `Only the person who asked can cancel ${request.id}.`,
    );
    expect(await run(h, USERS.alice.id, `cancel ${request.id}`)).toBe(
      `Cancelled ${request.id}. The approvers' card shows it as cancelled.`,
    );
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('cancelled');
    await h.sim.waitFor(() =>
      textOf(h.sim.findMessage(card.channel, card.ts)!).includes('Cancelled by the requester'),
    );
    expect(JSON.stringify(h.sim.findMessage(card.channel, card.ts)?.blocks)).not.toContain('approve_request');
    expect(await run(h, USERS.alice.id, `cancel ${request.id}`)).toBe(`${request.id} is already cancelled.`);
    const other = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    await h.driver.clickButton(USERS.carol.id, await cardOf(h, other.id), 'deny_request');
    await h.bot.service.deny(other.id, USERS.carol.id);
    expect(await run(h, USERS.alice.id, `cancel ${other.id}`)).toBe(
      `${other.id} can no longer be cancelled: it is no longer waiting (status: Denied). Nothing was changed.`,
    );
  });

  it('refuses admin commands to non-admins, logs and audits the attempt', async () => {
    h = await startHarness();
    const { request } = await grant();
    for (const sub of ['pending', 'active', `revoke ${request.id}`, `audit ${request.id}`, 'health']) {
      const name = sub.split(' ')[0];
      expect(await run(h, USERS.alice.id, sub)).toBe(
        `\`/delegate ${name}\` is for admins only, and you are not in an admin group. Nothing was changed. Ask an admin if this needs doing.`,
      );
    }
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('completed');
    expect(h.mimecast.calls.filter((c) => c.path === '/api/user/remove-delegate-user')).toHaveLength(0);
    const refused = (await h.bot.store.listAudit({})).filter((e) => e.action === 'admin_command_refused');
    expect(refused.map((e) => [e.actor, e.details?.command])).toEqual([
      [USERS.alice.id, 'pending'],
      [USERS.alice.id, 'active'],
      [USERS.alice.id, 'revoke'],
      [USERS.alice.id, 'audit'],
      [USERS.alice.id, 'health'],
    ]);
    expect(h.logLines.some((line) => line.includes('non-admin tried an admin command'))).toBe(true);
  });

  it('pending, active, audit and revoke for admins', async () => {
    h = await startHarness();
    const waiting = await submitRequest(h, USERS.bob.id, 'info@example.com');
    const { request, card } = await grant();

    const pending = await run(h, USERS.admin.id, 'pending');
    expect(pending).toContain('*Waiting for a decision* (1)');
    expect(pending).toContain(
      `\`${waiting.id}\` bob@example.com → info@example.com · Waiting for an approver`,
    );
    const active = await run(h, USERS.admin.id, 'active');
    expect(active).toContain('*Current access* (1)');
    expect(active).toContain(`\`${request.id}\` alice@example.com → sales@example.com`);

    const audit = await run(h, USERS.admin.id, `audit ${request.id}`);
    expect(audit).toMatch(new RegExp(`submitted \\(– → pending\\) by <@${USERS.alice.id}>`));
    expect(audit).toContain(`approved (pending → approved) by <@${USERS.carol.id}>`);
    expect(audit).toContain('provisioned (provisioning → completed) by the bot');
    const byEmail = await run(h, USERS.admin.id, 'audit SALES@example.com');
    expect(byEmail).toContain(`\`${request.id}\` submitted`);
    expect(byEmail).not.toContain(waiting.id);

    const revoked = await run(h, USERS.admin.id, `revoke ${request.id}`);
    expect(revoked).toBe(
      `Revoked ${request.id}: alice@example.com no longer has access to sales@example.com through it.`,
    );
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'removed',
      endedBy: USERS.admin.id,
      endReason: 'revoked',
    });
    const removes = h.mimecast.calls.filter((c) => c.path === '/api/user/remove-delegate-user');
    expect(removes.map((c) => JSON.parse(c.rawBody))).toEqual([{ data: [{ id: request.mimecastId }] }]);
    expect(h.mimecast.rights).toEqual([]);
    const thread = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('no longer has')),
    );
    expect(thread.text).toBe(
      `:lock: *alice@example.com* no longer has delegate access to *sales@example.com*: <@${USERS.admin.id}> revoked it.`,
    );
    expect(await run(h, USERS.admin.id, `revoke ${request.id}`)).toBe(
      `${request.id} has no active access to revoke (status: Access ended). Nothing was changed.`,
    );
    expect(verifyChain(await h.bot.store.listAudit({}))).toMatchObject({ ok: true });
  });

  it('health summarises settings without secrets and checks Slack and Mimecast', async () => {
    h = await startHarness();
    const health = await run(h, USERS.admin.id, 'health');
    expect(health).toContain('*Settings* (secrets are not shown)');
    expect(health).toContain(`• mimecastBaseUrl: ${h.mimecast.url}`);
    expect(health).toContain('• mimecastApi: 1.0 (HMAC keys)');
    expect(health).toContain('*Slack*: :white_check_mark: connected');
    expect(health).toContain(
      `*Approvers' channel* <#${APPROVAL_CHANNEL}>: :white_check_mark: no waiting request is missing its card`,
    );
    expect(health).toContain('*Mimecast*: :white_check_mark: credentials accepted');
    for (const secret of [
      h.config.slack.botToken,
      h.config.slack.signingSecret,
      h.mimecast.credentials.hmac.secretKey,
    ]) {
      expect(health).not.toContain(secret);
    }
  });

  it('health reports Mimecast keys that stopped working', async () => {
    h = await startHarness();
    h.mimecast.setBindingExpired(true);
    const health = await run(h, USERS.admin.id, 'health');
    expect(health).toContain(
      "*Mimecast*: :x: The bot's Mimecast API 1.0 keys have expired: re-issue them in Mimecast and set MIMECAST_ACCESS_KEY and MIMECAST_SECRET_KEY.",
    );
    expect(health).not.toContain('binding_expired');
  });
});

describe('grant buttons', () => {
  it('the grantee ends access early with "I\'m done"', async () => {
    h = await startHarness();
    const { request } = await grant();
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    const otherClick = await h.driver.clickButton(USERS.bob.id, dm, 'end_access');
    const refusal = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === otherClick.responseUrl));
    expect(refusal.body.text).toBe(
      'Only the person who has the access can end it this way. Nothing was changed.',
    );

    await h.driver.clickButton(USERS.alice.id, dm, 'end_access');
    await waitForStatus(h, request.id, 'removed');
    const notice = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('no longer has')),
    );
    expect(notice.text).toBe(
      `*alice@example.com* no longer has delegate access to *sales@example.com*: the grantee ended it. (*${request.id}*)`,
    );
    expect(h.mimecast.rights).toEqual([]);
  });

  it('"I\'m done" while Mimecast refuses the removal: the grantee is told the access may still be there and what happens next', async () => {
    h = await startHarness();
    const { request } = await grant();
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    h.mimecast.inject('/api/user/remove-delegate-user', { status: 500 });
    const click = await h.driver.clickButton(USERS.alice.id, dm, 'end_access');
    const answer = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === click.responseUrl));
    const stored = await h.bot.store.getRequest(request.id);
    expect(stored?.status).toBe('completed');
    expect(stored?.nextRemovalAt).toBeInstanceOf(Date);
    expect(answer.body.text).toBe(
      `Mimecast did not remove the access for ${request.id} yet: Mimecast did not confirm the removal; the access may still be there. The bot keeps retrying.`,
    );
    expect(h.mimecast.rights).toHaveLength(1);
  });

  it('an approver extends access from the card; the requester cannot', async () => {
    h = await startHarness();
    const { request, card } = await grant();
    const granted = await h.sim.waitFor(() => {
      const latest = h.sim.findMessage(card.channel, card.ts);
      return latest && JSON.stringify(latest.blocks).includes('extend_access') ? latest : undefined;
    });
    const own = await h.driver.clickButton(USERS.alice.id, granted, 'extend_access', {
      value: `${request.id}:168`,
    });
    const ownRefusal = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === own.responseUrl));
    expect(ownRefusal.body.text).toBe('You cannot extend your own access: another approver has to.');
    const outsider = await h.driver.clickButton(USERS.dave.id, granted, 'extend_access', {
      value: `${request.id}:168`,
    });
    const refusal = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === outsider.responseUrl));
    expect(refusal.body.text).toBe('Only approvers can extend access. Nothing was changed.');
    expect((await h.bot.store.getRequest(request.id))?.expiresAt).toEqual(request.expiresAt);

    await h.driver.clickButton(USERS.bob.id, granted, 'extend_access', { value: `${request.id}:168` });
    const extended = await h.sim.waitFor(async () => {
      const latest = await h.bot.store.getRequest(request.id);
      return latest && latest.expiresAt! > request.expiresAt! ? latest : undefined;
    });
    expect((extended?.expiresAt?.getTime() ?? 0) - (request.expiresAt?.getTime() ?? 0)).toBe(168 * 3_600_000);
    await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('extended')),
    );
    await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was extended by <@UBOB>')),
    );
  });

  it('revoke on the card is for admins only', async () => {
    h = await startHarness();
    const { request, card } = await grant();
    const granted = await h.sim.waitFor(() => {
      const latest = h.sim.findMessage(card.channel, card.ts);
      return latest && JSON.stringify(latest.blocks).includes('revoke_access') ? latest : undefined;
    });
    const approver = await h.driver.clickButton(USERS.carol.id, granted, 'revoke_access');
    const refusal = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === approver.responseUrl));
    expect(refusal.body.text).toBe(
      'Only admins can revoke access, and you are not in an admin group. Nothing was changed. Ask an admin if this needs doing.',
    );
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('completed');
    await h.driver.clickButton(USERS.admin.id, granted, 'revoke_access');
    await waitForStatus(h, request.id, 'removed');
  });

  it('the requester cancels from the confirmation DM', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(request.id)),
    );
    const click = await h.driver.clickButton(USERS.alice.id, dm, 'cancel_request');
    await waitForStatus(h, request.id, 'cancelled');
    // In the same words as `/delegate cancel`.
    const told = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === click.responseUrl));
    expect(told.body.text).toBe(`Cancelled ${request.id}. The approvers' card shows it as cancelled.`);
  });
});

describe('App Home', () => {
  it("shows the caller's requests, and approvers the queue with working buttons", async () => {
    h = await startHarness();
    const mine = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const bobs = await submitRequest(h, USERS.bob.id, 'info@example.com');

    await h.driver.event({ type: 'app_home_opened', user: USERS.alice.id, channel: 'DALICE', tab: 'home' });
    const aliceHome = await h.sim.waitFor(() => h.sim.homeViews.get(USERS.alice.id));
    const aliceText = JSON.stringify(aliceHome.view.blocks);
    expect(aliceText).toContain(mine.id);
    expect(aliceText).toContain('cancel_request');
    expect(aliceText).not.toContain('Waiting for your decision');

    await h.driver.event({ type: 'app_home_opened', user: USERS.bob.id, channel: 'DBOB', tab: 'home' });
    const bobHome = await h.sim.waitFor(() => h.sim.homeViews.get(USERS.bob.id));
    const queueText = JSON.stringify(bobHome.view.blocks);
    expect(queueText).toContain('Waiting for your decision');
    expect(queueText).toContain(`decide:${mine.id}`);
    expect(queueText).not.toContain(`decide:${bobs.id}`); // never his own

    // Approving from the Home tab follows the card's rules and decides once.
    // A double click: both land before the tab is re-rendered.
    await Promise.all([
      h.driver.clickInView(USERS.bob.id, bobHome, 'approve_request', { blockId: `decide:${mine.id}` }),
      h.driver.clickInView(USERS.bob.id, bobHome, 'approve_request', { blockId: `decide:${mine.id}` }),
    ]);
    await waitForStatus(h, mine.id, 'completed');
    const refusal = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.bob.id).find((m) => m.text.startsWith(`${mine.id} was already approved`)),
    );
    expect(refusal.text).toContain('Nothing was changed.');
    expect(h.mimecast.calls.filter((c) => c.path === '/api/user/add-delegate-user')).toHaveLength(1);
    // The Home tab is re-rendered after a click, without the decided request in the queue.
    await h.sim.waitFor(() => {
      const latest = h.sim.homeViews.get(USERS.bob.id);
      return latest && !JSON.stringify(latest.view.blocks).includes(`decide:${mine.id}`) ? latest : undefined;
    });
    expect(h.sim.problems).toEqual([]);
  });
});

describe('time-bound access through the running bot', () => {
  it('removes expired access in Mimecast, says so in the thread and by DM, and reminds approvers', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startHarness({ clock });
    const { request, card } = await grant();
    const waiting = await submitRequest(h, USERS.bob.id, 'info@example.com');
    const waitingCard = await cardOf(h, waiting.id);

    clock.advance(24 * 3_600_000);
    await h.bot.scheduler.runOnce();
    await waitForStatus(h, request.id, 'removed');
    const removes = h.mimecast.calls.filter((c) => c.path === '/api/user/remove-delegate-user');
    expect(removes.map((c) => [c.authOk, JSON.parse(c.rawBody)])).toEqual([
      [true, { data: [{ id: request.mimecastId }] }],
    ]);
    const thread = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('no longer has')),
    );
    expect(thread.text).toBe(
      ':lock: *alice@example.com* no longer has delegate access to *sales@example.com*: it expired.',
    );
    await h.sim.waitFor(() => h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('it expired')));
    const reminder = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, waitingCard.ts).find((m) => m.text.includes(':bell:')),
    );
    expect(reminder.text).toContain('Approvers, please approve or deny it.');

    clock.advance(72 * 3_600_000);
    await h.bot.scheduler.runOnce();
    await waitForStatus(h, waiting.id, 'expired');
    await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.bob.id).find((m) => m.text.includes('expired after nobody decided')),
    );
    await h.sim.waitFor(() =>
      textOf(h.sim.findMessage(waitingCard.channel, waitingCard.ts)!).includes('Expired without'),
    );
    expect(h.sim.problems).toEqual([]);
  });

  it('an expired grant whose removal Mimecast keeps refusing: admins are told, in removal words, after three tries', async () => {
    const clock = fixedClock(new Date().toISOString());
    h = await startHarness({ clock });
    const { request, card } = await grant();
    h.mimecast.inject('/api/user/remove-delegate-user', { status: 403, times: 3 });
    // The sweep at the end, then the retries after 1 and 5 minutes.
    for (const wait of [24 * 3_600_000, 60_000, 5 * 60_000]) {
      clock.advance(wait);
      await h.bot.scheduler.runOnce();
      await h.bot.idle();
    }
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      removalAttempts: 3,
      failure: { kind: 'permission' },
    });
    const alert = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes(':rotating_light:')),
    );
    expect(alert.text).toBe(
      `:rotating_light: <!subteam^SADMINS> Removing alice@example.com's delegate access to sales@example.com has failed 3 times. ` +
        "The bot's Mimecast account may not remove delegates. An admin must give it the Directories | Internal | Create Alternate Address permission. " +
        'The bot keeps retrying. If this persists, remove it by hand in the Mimecast Administration Console.',
    );
    expect(h.mimecast.rights).toHaveLength(1);
  });
});
