import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { offsetClock } from '../support/fakes.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  settled,
  startHarness,
  submitRequest,
  textOf,
  USERS,
  waitForStatus,
} from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Recomputes the API 1.0 signature independently of both the client and the simulator. */
function expectedAuthorization(h: Harness, headers: Record<string, unknown>, path: string): string {
  const keys = h.mimecast.credentials.hmac;
  const data = `${headers['x-mc-date']}:${headers['x-mc-req-id']}:${path}:${keys.appKey}`;
  const signature = createHmac('sha1', Buffer.from(keys.secretKey, 'base64'))
    .update(data, 'utf8')
    .digest('base64');
  return `MC ${keys.accessKey}:${signature}`;
}

describe('the request flow, end to end over HTTP', () => {
  it('requests, approves and grants access, reporting in the thread and by DM', async () => {
    h = await startHarness();
    const command = await h.driver.command(USERS.alice.id, '/delegate', 'Sales@Example.com');
    expect(command.status).toBe(200);
    const modal = await h.sim.viewOpenedWith(command.triggerId);
    expect(textOf({ text: '', blocks: modal.view.blocks })).toContain(
      'You (*alice@example.com*) will get delegate access to *sales@example.com*',
    );

    const submitted = await h.driver.submitView(USERS.alice.id, modal, {
      reason: { reason_input: 'Covering the sales queue this week' },
    });
    expect(submitted.json).toMatchObject({ response_action: 'update' });
    const [request] = await h.bot.store.listRequests({ requesterId: USERS.alice.id });
    expect(request).toMatchObject({
      status: 'pending',
      granteeEmail: 'alice@example.com',
      mailbox: 'sales@example.com',
      reason: 'Covering the sales queue this week',
      durationHours: 24,
    });
    const id = request!.id;
    expect(JSON.stringify(submitted.json)).toContain(id);

    const card = await cardOf(h, id);
    expect(textOf(card)).toContain(
      'If approved, *alice@example.com* will get delegate access to *sales@example.com*',
    );
    const confirmation = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(id)),
    );
    expect(confirmation.text).toContain('is with the approvers');

    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(click.status).toBe(200);
    const done = await waitForStatus(h, id, 'completed');
    expect(done.decidedBy).toBe(USERS.carol.id);

    const adds = addCalls(h);
    expect(adds).toHaveLength(1);
    expect(JSON.parse(adds[0]!.rawBody)).toEqual({
      data: [{ primaryAddress: 'alice@example.com', delegateAddress: 'sales@example.com' }],
    });
    expect(adds[0]!.authOk).toBe(true);
    expect(adds[0]!.headers.authorization).toBe(
      expectedAuthorization(h, adds[0]!.headers, '/api/user/add-delegate-user'),
    );
    expect(adds[0]!.headers['x-mc-app-id']).toBe(h.mimecast.credentials.hmac.appId);
    expect(h.mimecast.rights).toEqual([
      expect.objectContaining({
        id: done.mimecastId,
        primaryAddress: 'alice@example.com',
        delegateAddress: 'sales@example.com',
      }),
    ]);

    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toContain(
      ':white_check_mark: Done: *alice@example.com* now has delegate access to *sales@example.com*',
    );
    expect(reply.text).toContain(done.mimecastId!);
    const outcome = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    expect(outcome.text).toContain('*alice@example.com* now has delegate access to *sales@example.com*');

    const updated = await h.sim.waitFor(() => {
      const latest = h.sim.findMessage(card.channel, card.ts);
      return latest && textOf(latest).includes('access granted') ? latest : undefined;
    });
    expect(JSON.stringify(updated.blocks)).not.toContain('approve_request');
    expect(textOf(updated)).toContain(`Approved by <@${USERS.carol.id}>`);

    const audit = await h.bot.store.listAudit({ requestId: id });
    expect(audit.map((e) => e.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(h.sim.problems).toEqual([]);
  });

  it('denies with a reason the requester sees', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'info@example.com');
    const card = await cardOf(h, request.id);
    const click = await h.driver.clickButton(USERS.bob.id, card, 'deny_request');
    const denyModal = await h.sim.viewOpenedWith(click.triggerId);
    const submit = await h.driver.submitView(USERS.bob.id, denyModal, {
      deny_reason: { deny_reason_input: 'Ask the info@ owner first' },
    });
    expect(submit.status).toBe(200);
    const denied = await waitForStatus(h, request.id, 'denied');
    expect(denied).toMatchObject({ decidedBy: USERS.bob.id, denyReason: 'Ask the info@ owner first' });
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was denied')),
    );
    expect(dm.text).toBe(
      `Your request *${request.id}* for delegate access to *info@example.com* was denied by <@UBOB>.\nReason: Ask the info@ owner first`,
    );
    await h.sim.waitFor(() =>
      textOf(h.sim.findMessage(card.channel, card.ts)!).includes('Denied by <@UBOB>'),
    );
    expect(addCalls(h)).toHaveLength(0);
  });

  it('refuses an ineligible requester without opening the form', async () => {
    h = await startHarness();
    const command = await h.driver.command(USERS.dave.id, '/delegate', '');
    expect(command.status).toBe(200);
    const answer = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === command.responseUrl));
    expect(answer.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('You are not in a group that may request mailbox delegate access'),
    });
    expect(h.sim.callsTo('views.open')).toHaveLength(0);
    expect(await h.bot.store.listRequests({})).toEqual([]);
  });

  it('refuses a requester with no email on their profile', async () => {
    h = await startHarness();
    const command = await h.driver.command(USERS.erin.id, '/delegate', '');
    const answer = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === command.responseUrl));
    expect(answer.body).toMatchObject({
      text: expect.stringContaining('Your Slack profile has no email address'),
    });
    expect(h.sim.callsTo('views.open')).toHaveLength(0);
  });

  it('asks to try again when the form could not open in time (trigger expired), changing nothing', async () => {
    h = await startHarness();
    h.sim.failNext('views.open', { error: 'expired_trigger_id' });
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const answer = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === command.responseUrl));
    expect(answer.body).toMatchObject({
      response_type: 'ephemeral',
      text: 'Slack gives an app 3 seconds to open a form, and the bot was slower than that this time, so nothing opened and nothing was changed. Please run `/delegate` again.',
    });
    expect(h.sim.views).toHaveLength(0);
    expect(await h.bot.store.listRequests({})).toEqual([]);

    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    h.sim.failNext('views.open', { error: 'expired_trigger_id' });
    const deny = await h.driver.clickButton(USERS.carol.id, await cardOf(h, request.id), 'deny_request');
    const told = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === deny.responseUrl));
    expect(told.body.text).toBe(
      'Slack gives an app 3 seconds to open a form, and the bot was slower than that this time, so nothing opened and nothing was changed. Please click Deny again.',
    );
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
  });

  it('answers bad submissions inside the modal and stores nothing', async () => {
    h = await startHarness({ env: { ALLOWED_EMAIL_DOMAINS: 'example.com' } });
    const cases: [string, string, Record<string, string>][] = [
      ['sales@other.org', 'needed', { mailbox: 'Only mailboxes in @example.com can be requested here.' }],
      [
        'alice@example.com',
        'needed',
        { mailbox: 'That is your own mailbox: you already have access to it.' },
      ],
    ];
    for (const [mailbox, reason, errors] of cases) {
      const command = await h.driver.command(USERS.alice.id, '/delegate', '');
      const modal = await h.sim.viewOpenedWith(command.triggerId);
      const result = await h.driver.submitView(USERS.alice.id, modal, {
        mailbox: { mailbox_input: mailbox },
        reason: { reason_input: reason },
      });
      expect(result.json).toEqual({ response_action: 'errors', errors });
    }
    expect(await h.bot.store.listRequests({})).toEqual([]);

    // An identical request already waiting is pointed to.
    const first = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const modal = await h.sim.viewOpenedWith(command.triggerId);
    const again = await h.driver.submitView(USERS.alice.id, modal, {
      mailbox: { mailbox_input: 'sales@example.com' },
      reason: { reason_input: 'again' },
    });
    expect(again.json).toEqual({
      response_action: 'errors',
      errors: {
        mailbox: `You already have a request for sales@example.com waiting (${first.id}). Use /delegate status ${first.id} to follow it.`,
      },
    });
    expect(await h.bot.store.listRequests({})).toHaveLength(1);
    expect(h.sim.problems).toEqual([]);
  });

  it('re-checks eligibility at submit', async () => {
    h = await startHarness({ env: { GROUP_CACHE_TTL_SECONDS: '0' } });
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const modal = await h.sim.viewOpenedWith(command.triggerId);
    h.sim.setUsergroup('SREQUESTERS', [USERS.bob.id]);
    const result = await h.driver.submitView(USERS.alice.id, modal, {
      mailbox: { mailbox_input: 'sales@example.com' },
      reason: { reason_input: 'needed' },
    });
    expect(result.json).toMatchObject({
      response_action: 'errors',
      errors: { mailbox: expect.stringContaining('You are not in a group that may request delegate access') },
    });
    expect(await h.bot.store.listRequests({})).toEqual([]);
  });

  it('tells a non-approver and a self-approver why not, and changes nothing', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.bob.id, 'sales@example.com');
    const card = await cardOf(h, request.id);

    const outsider = await h.driver.clickButton(USERS.dave.id, card, 'approve_request');
    const refusal = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === outsider.responseUrl));
    expect(refusal.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'Only members of the approver groups can approve or deny delegate access requests. Nothing was changed.',
    });

    const self = await h.driver.clickButton(USERS.bob.id, card, 'approve_request');
    const selfRefusal = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === self.responseUrl));
    expect(selfRefusal.body).toMatchObject({
      text: 'You cannot decide your own request: another approver has to. Nothing was changed.',
    });
    const selfDeny = await h.driver.clickButton(USERS.bob.id, card, 'deny_request');
    await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === selfDeny.responseUrl));
    expect(h.sim.callsTo('views.open')).toHaveLength(1); // only the request form

    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
    expect(addCalls(h)).toHaveLength(0);
  });

  it('decides once under a double click and concurrent approvals, calling Mimecast once', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    const clicks = await Promise.all([
      h.driver.clickButton(USERS.bob.id, card, 'approve_request'),
      h.driver.clickButton(USERS.bob.id, card, 'approve_request'),
      h.driver.clickButton(USERS.carol.id, card, 'approve_request'),
      h.driver.clickButton(USERS.carol.id, card, 'deny_request'),
    ]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    const done = await waitForStatus(h, request.id, 'completed');
    await h.sim.waitFor(
      () => h.sim.responses.filter((r) => clicks.some((c) => c.responseUrl === r.url)).length >= 3,
    );
    const losers = h.sim.responses.filter((r) => clicks.some((c) => c.responseUrl === r.url));
    const winnerName = done.decidedBy;
    for (const loser of losers) {
      expect(loser.body.text).toMatch(
        new RegExp(`^${request.id} was already approved by <@${winnerName}> on <!date\\^`),
      );
    }
    expect(addCalls(h)).toHaveLength(1);
    expect(
      (await h.bot.store.listAudit({ requestId: request.id })).filter((e) => e.action === 'approved'),
    ).toHaveLength(1);
  });

  it('escapes mrkdwn in the reason so it cannot ping or forge links', async () => {
    h = await startHarness();
    const request = await submitRequest(
      h,
      USERS.alice.id,
      'sales@example.com',
      'Urgent <!channel> <@UADMIN> see <https://evil.example|the ticket> & *bold*',
    );
    const card = await cardOf(h, request.id);
    const text = textOf(card);
    expect(text).toContain(
      '&lt;!channel&gt; &lt;@UADMIN&gt; see &lt;https://evil.example|the ticket&gt; &amp; *bold*',
    );
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@UADMIN>');
    expect(text).not.toContain('<https://evil.example');
  });

  it('refuses unsigned, wrongly signed and stale requests before any listener runs', async () => {
    h = await startHarness();
    const body = new URLSearchParams({
      command: '/delegate',
      text: '',
      user_id: USERS.alice.id,
      trigger_id: h.sim.createTrigger(),
      response_url: h.sim.createResponseUrl(),
      team_id: h.sim.teamId,
      channel_id: 'C1',
    }).toString();
    const unsigned = await h.driver.send(body, { signature: null });
    const wrong = await h.driver.send(body, { signature: 'v0=0000' });
    const stale = await h.driver.send(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([unsigned.status, wrong.status, stale.status]).toEqual([401, 401, 401]);
    await settled(h);
    expect(h.sim.callsTo('usergroups.users.list')).toHaveLength(0);
    expect(h.sim.callsTo('views.open')).toHaveLength(0);
    expect(h.sim.responses).toHaveLength(0);
  });

  it('keeps a pending request working across a restart', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    await h.stopBot();
    const first = h;
    h = await startHarness({
      reuse: { sim: first.sim, mimecast: first.mimecast, databasePath: first.databasePath },
    });
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'completed');
    expect(addCalls(h)).toHaveLength(1);
    await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('Done')),
    );
  });
});

describe('Mimecast failures, as users see them', () => {
  async function approveWithFault(
    fault: Parameters<Harness['mimecast']['inject']>[1],
    mailbox = 'sales@example.com',
  ) {
    h = await startHarness();
    h.mimecast.inject('/api/user/add-delegate-user', fault);
    const request = await submitRequest(h, USERS.alice.id, mailbox);
    const card = await cardOf(h, request.id);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    return { request, card };
  }

  it('expired keys: failed, and the thread says an admin must re-issue them', async () => {
    const { request, card } = await approveWithFault({ status: 418 });
    const failed = await waitForStatus(h, request.id, 'failed');
    expect(failed.failure).toMatchObject({ kind: 'binding_expired' });
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toContain("The bot's Mimecast API keys have expired: an admin must re-issue them.");
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('did not grant')),
    );
    expect(dm.text).toContain('an admin must re-issue them');
  });

  it('an unknown mailbox: Mimecast says why', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'nobody@example.com');
    const card = await cardOf(h, request.id);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    const failed = await waitForStatus(h, request.id, 'failed');
    expect(failed.failure?.kind).toBe('validation');
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toMatch(
      /^:warning: Mimecast did not grant the access\. Mimecast rejected the address: nobody@example\.com is not an internal address/,
    );
  });

  it('a dropped connection: the outcome is checked in Mimecast, not repeated, and settled', async () => {
    const clock = offsetClock();
    h = await startHarness({ clock });
    h.mimecast.inject('/api/user/add-delegate-user', { dropConnection: true });
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await waitForStatus(h, request.id, 'settling');
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toContain(':mag: Mimecast did not confirm the grant');
    expect(reply.text).toContain('Nobody needs to do anything');
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('did not confirm the grant straight away')),
    );
    expect(dm.text).toContain('please do not submit the request again');
    await settled(h);
    expect(addCalls(h)).toHaveLength(1);
    clock.advance(30_000);
    await h.bot.scheduler.runOnce();
    await waitForStatus(h, request.id, 'completed');
    expect(addCalls(h)).toHaveLength(1);
  });
});

describe('start-up', () => {
  it('refuses to start with a bot token Slack does not accept, saying which setting to fix', async () => {
    const first = await startHarness();
    h = first;
    await first.stopBot();
    await expect(
      startHarness({
        env: { SLACK_BOT_TOKEN: 'xoxb-wrong-token' },
        reuse: { sim: first.sim, mimecast: first.mimecast, databasePath: first.databasePath },
      }),
    ).rejects.toThrow(
      'Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token again from OAuth & Permissions',
    );
  });

  it('serves /healthz and /readyz', async () => {
    h = await startHarness();
    const base = `http://127.0.0.1:${h.port}`;
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([
      200,
      { status: 'ready', store: 'ok', config: 'loaded' },
    ]);
    await h.bot.store.close();
    const closed = await fetch(`${base}/readyz`);
    expect(closed.status).toBe(503);
  });

  it('/readyz says "stopping" when the stop begins while it checks the store', async () => {
    let pinged = () => {};
    const pinging = new Promise<void>((resolve) => {
      pinged = resolve;
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let hold = false;
    class HeldPing extends SqliteStore {
      override async ping() {
        if (hold) {
          pinged();
          await released;
        }
        return super.ping();
      }
    }
    const store = new HeldPing(join(mkdtempSync(join(tmpdir(), 'readyz-')), 'bot.sqlite'), {
      backgroundCheckpoints: false,
    });
    h = await startHarness({ store });
    hold = true;
    const answer = fetch(`http://127.0.0.1:${h.port}/readyz`);
    await pinging;
    const stopped = h.bot.stop();
    release();
    const ready = await answer;
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'stopping' }]);
    await stopped;
  });
});

describe('Slack retries', () => {
  it('drops a retried command and click this process already handled', async () => {
    h = await startHarness();
    const body = new URLSearchParams({
      command: '/delegate',
      text: '',
      user_id: USERS.alice.id,
      user_name: 'alice',
      trigger_id: h.sim.createTrigger({ userId: USERS.alice.id }),
      response_url: h.sim.createResponseUrl({ userId: USERS.alice.id }),
      team_id: h.sim.teamId,
      api_app_id: h.sim.appId,
      channel_id: 'C1',
    }).toString();
    expect((await h.driver.send(body)).status).toBe(200);
    await h.sim.waitFor(() => h.sim.callsTo('views.open')[0]);
    expect((await h.driver.send(body, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    await settled(h);
    expect(h.sim.callsTo('views.open')).toHaveLength(1);
    expect(h.sim.responses).toHaveLength(0); // no "something went wrong"
  });
});
