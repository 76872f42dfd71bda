import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/requests/model.js';
import { extendRefusal } from '../../src/slack/copy/approver.js';
import { slackDate } from '../../src/slack/mrkdwn.js';
import { describeErrors } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import {
  advance,
  granted,
  mimecastCalls,
  type OffsetClock,
  REMOVE,
  removeBody,
  startMovable,
} from '../support/mimecast-flows.js';
import { answerText, run } from '../support/slack-answers.js';

/**
 * A revoke or "I'm done" whose removal fails (or is interrupted) is an end still asked for: the grant
 * stays active with its reason kept, the sweep retries it (whatever its expiry: permanent access too),
 * and when Mimecast finally removes it, everyone hears it was revoked or ended, not that it expired.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MINUTE = 60_000;
const removeCalls = (stack: Harness) => stack.mimecast.calls.filter((call) => call.path === REMOVE);

async function audit(stack: Harness, id: string) {
  return (await stack.bot.store.listAudit({ requestId: id })).map((event) => ({
    actor: event.actor,
    action: event.action,
    why: event.details?.why,
  }));
}

/** Alice's grant for sales@ (permanent with ALLOW_PERMANENT and duration '0'), approved by Carol. */
async function permanentGrant(stack: Harness) {
  const request = await submitRequest(stack, USERS.alice.id, 'sales@example.com', undefined, '0');
  const card = await cardOf(stack, request.id);
  await stack.driver.clickButton(USERS.carol.id, card, 'approve_request');
  const done = await waitForStatus(stack, request.id, 'completed');
  await stack.bot.idle();
  expect(done.expiresAt).toBeUndefined();
  return { request: done, card };
}

async function movable(env?: Record<string, string>): Promise<{ h: Harness; clock: OffsetClock }> {
  const started = await startMovable(env ? { env } : {});
  h = started.h;
  return started;
}

describe('a revoke or "I\'m done" whose removal fails is retried until it happens', () => {
  it('revoke, Mimecast answers 503: the grant stays ending, the sweep removes it, recorded and told as revoked', async () => {
    const { h, clock } = await movable();
    const { request, card } = await granted(h);
    const right = h.mimecast.rights[0]!;
    h.mimecast.inject(REMOVE, { status: 503 });
    h.mimecast.calls.length = 0;
    const answer = await run(h, USERS.admin.id, `revoke ${request.id}`);
    expect(answer).toBe(
      `Mimecast did not remove the access for ${request.id} yet: Mimecast did not confirm the removal; the access may still be there. The bot keeps retrying.`,
    );
    await h.bot.idle();
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      endReason: 'revoked',
      endedBy: USERS.admin.id,
      removalAttempts: 1,
    });

    // Not due before its retry time, although the grant has most of a day left.
    await advance(h, clock, 30_000);
    expect(removeCalls(h)).toHaveLength(1);
    await advance(h, clock, MINUTE);
    const removed = await waitForStatus(h, request.id, 'removed');
    expect(removed).toMatchObject({ endReason: 'revoked', endedBy: USERS.admin.id });
    expect(mimecastCalls(h).filter((line) => line.includes(REMOVE))).toEqual([
      `503 ${REMOVE} ${removeBody(right.id)}`,
      `200 ${REMOVE} ${removeBody(right.id)}`,
    ]);
    expect(h.mimecast.rights).toEqual([]);
    expect((await audit(h, request.id)).slice(-4)).toEqual([
      { actor: USERS.admin.id, action: 'removal_started', why: 'revoked' },
      { actor: USERS.admin.id, action: 'removal_failed', why: undefined },
      { actor: SYSTEM_ACTOR, action: 'removal_started', why: 'revoked' },
      { actor: SYSTEM_ACTOR, action: 'removed', why: 'revoked' },
    ]);
    const ended = `*alice@example.com* no longer has delegate access to *sales@example.com*: <@${USERS.admin.id}> revoked it.`;
    const reply = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('no longer has')),
    );
    expect(reply.text).toBe(`:lock: ${ended}`);
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('no longer has')),
    );
    expect(dm.text).toBe(`${ended} (*${request.id}*)`);
    // And nothing more: the next sweeps leave it alone.
    await advance(h, clock, 2 * 60 * MINUTE);
    expect(removeCalls(h)).toHaveLength(2);
    expect(describeErrors(h)).toEqual([]);
  });

  it('"I\'m done" on permanent access, Mimecast rate-limits: retried by the sweep, told as ended by the grantee', async () => {
    const { h, clock } = await movable({ ALLOW_PERMANENT: 'true' });
    const { request } = await permanentGrant(h);
    const approved = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')),
    );
    // Mimecast asks for a wait longer than the bot waits within one call: the removal fails at once.
    h.mimecast.inject(REMOVE, { status: 429, headers: { 'X-RateLimit-Reset': '600000' } });
    const click = await h.driver.clickButton(USERS.alice.id, approved, 'end_access');
    expect(await answerText(h, click.responseUrl)).toBe(
      `Mimecast did not remove the access for ${request.id} yet: Mimecast is limiting how fast the bot may call it; the access is still there. The bot keeps retrying.`,
    );
    await h.bot.idle();
    expect(removeCalls(h).map((call) => call.status)).toEqual([429]);
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      endReason: 'ended_by_grantee',
      endedBy: USERS.alice.id,
    });

    await advance(h, clock, MINUTE);
    const removed = await waitForStatus(h, request.id, 'removed');
    expect(removed.endReason).toBe('ended_by_grantee');
    expect(removeCalls(h).map((call) => call.status)).toEqual([429, 200]);
    expect(h.mimecast.rights).toEqual([]);
    expect((await audit(h, request.id)).at(-1)).toEqual({
      actor: SYSTEM_ACTOR,
      action: 'removed',
      why: 'ended_by_grantee',
    });
    const dm = await h.sim.waitFor(() =>
      h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('no longer has')),
    );
    expect(dm.text).toBe(
      `*alice@example.com* no longer has delegate access to *sales@example.com*: the grantee ended it. (*${request.id}*)`,
    );
  });

  it('three failed retries alert the admins in the thread', async () => {
    const { h, clock } = await movable();
    const { request, card } = await granted(h);
    h.mimecast.inject(REMOVE, { status: 500, times: 3 });
    await run(h, USERS.admin.id, `revoke ${request.id}`);
    await h.bot.idle();
    await advance(h, clock, MINUTE);
    await advance(h, clock, 5 * MINUTE);
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      removalAttempts: 3,
      endReason: 'revoked',
    });
    const alert = await h.sim.waitFor(() =>
      h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('has failed')),
    );
    expect(alert.text).toContain(
      "Removing alice@example.com's delegate access to sales@example.com has failed 3 times.",
    );
    await advance(h, clock, 15 * MINUTE);
    expect(await waitForStatus(h, request.id, 'removed')).toMatchObject({ endReason: 'revoked' });
  });

  it('an approver cannot extend a revoked grant whose removal is still being retried', async () => {
    const { h } = await movable();
    const { request, card } = await granted(h);
    h.mimecast.inject(REMOVE, { status: 503 });
    await run(h, USERS.admin.id, `revoke ${request.id}`);
    await h.bot.idle();
    const before = await h.bot.store.getRequest(request.id);
    // The card no longer offers it (see below); an extension sent from a client that had not redrawn
    // the card yet is refused all the same.
    const latest = h.sim.findMessage(card.channel, card.ts)!;
    expect(JSON.stringify(latest.blocks)).not.toContain('extend_access');
    const result = await h.bot.service.extend(request.id, USERS.carol.id, 168);
    expect(result).toMatchObject({ ok: false, reason: 'ending' });
    if (result.ok || result.reason !== 'ending') throw new Error('not refused as ending');
    expect(extendRefusal(result.reason, result.request)).toBe(
      `${request.id} can no longer be extended: it was revoked, and the bot keeps retrying its removal in Mimecast. Nothing was changed; if access is still needed, the grantee can request it again.`,
    );
    await h.bot.idle();
    expect(await h.bot.store.getRequest(request.id)).toEqual(before);
  });
});

describe('a revoke or "I\'m done" being retried is shown as ending everywhere', () => {
  it('the card loses Extend and Revoke and says why; status, active and the App Home say the bot is retrying', async () => {
    const { h } = await movable();
    const { request, card } = await granted(h);
    h.mimecast.inject(REMOVE, { status: 503 });
    const updatesBefore = h.sim.callsTo('chat.update').length;
    await run(h, USERS.admin.id, `revoke ${request.id}`);
    await h.bot.idle();
    const ending = (await h.bot.store.getRequest(request.id))!;
    expect(ending).toMatchObject({ status: 'completed', endReason: 'revoked', removalAttempts: 1 });
    const next = slackDate(ending.nextRemovalAt!);
    const retrying = `Revoked by <@${USERS.admin.id}>; removal from Mimecast failed, the bot is retrying (next try ${next}). The access works until Mimecast removes it.`;

    const updates = h.sim
      .callsTo('chat.update')
      .slice(updatesBefore)
      .filter((call) => call.args.ts === card.ts);
    expect(updates).toHaveLength(1);
    const shown = updates[0]!.args;
    expect(shown.text).toBe(
      `Mailbox access request ${request.id}: Access being removed: the bot is retrying`,
    );
    const blocks = shown.blocks as { type: string; elements?: { text?: string }[] }[];
    expect(blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'section', 'context']);
    expect(blocks.at(-1)?.elements?.[0]?.text).toBe(
      `:lock: Approved by <@${USERS.carol.id}> on ${slackDate(ending.decidedAt!)} · ${retrying}`,
    );
    expect(JSON.stringify(blocks)).not.toMatch(/extend_access|revoke_access/);

    const status = await run(h, USERS.alice.id, `status ${request.id}`);
    expect(status.split('\n')[0]).toBe(`*${request.id}*: Access being removed: the bot is retrying`);
    expect(status).toContain(`\n• ${retrying}`);
    const active = await run(h, USERS.admin.id, 'active');
    expect(active).toContain(
      `\`${request.id}\` alice@example.com → sales@example.com · Being removed: ${retrying}`,
    );

    await h.driver.event({ type: 'app_home_opened', user: USERS.alice.id, channel: 'DALICE', tab: 'home' });
    const home = await h.sim.waitFor(() => h.sim.homeViews.get(USERS.alice.id));
    const mine = (
      home.view.blocks as { block_id?: string; text?: { text: string }; accessory?: unknown }[]
    ).find((block) => block.block_id === `mine:${request.id}`);
    expect(mine?.text?.text).toContain(`Being removed: ${retrying}`);
    expect(mine?.accessory).toBeUndefined(); // no "I'm done": it is ending already
  });
});

describe('a removal interrupted by a crash is retried after the restart', () => {
  // Simulated, as in crash-safety.test.ts: the store is left as a process that died during the
  // Mimecast call leaves it (removing, with its claim), and the bot restarted on the same database.
  it('revoke of permanent access, the bot gone mid-call: after restart removed once, as revoked', async () => {
    const stack = await startHarness({ env: { ALLOW_PERMANENT: 'true' } });
    h = stack;
    const { request, card } = await permanentGrant(stack);
    const started = await stack.bot.store.transition({
      id: request.id,
      name: 'startRemoval',
      at: new Date(),
      patch: {
        endedBy: USERS.admin.id,
        endReason: 'revoked',
        claim: { owner: 'crashed-process', until: new Date(Date.now() + 30_000) },
      },
      audit: { actor: USERS.admin.id, action: 'removal_started', details: { why: 'revoked' } },
    });
    expect(started.ok).toBe(true);
    await stack.bot.dispatcher.idle();
    await stack.stopBot();
    stack.mimecast.calls.length = 0;

    const restarted = await startHarness({
      reuse: { sim: stack.sim, mimecast: stack.mimecast, databasePath: stack.databasePath },
    });
    h = restarted;
    const removed = await waitForStatus(restarted, request.id, 'removed');
    await restarted.bot.idle();
    expect(removed).toMatchObject({ endReason: 'revoked', endedBy: USERS.admin.id });
    expect(removeCalls(restarted)).toHaveLength(1);
    expect(restarted.mimecast.rights).toEqual([]);
    expect((await audit(restarted, request.id)).slice(-4)).toEqual([
      { actor: USERS.admin.id, action: 'removal_started', why: 'revoked' },
      { actor: SYSTEM_ACTOR, action: 'removal_interrupted', why: undefined },
      { actor: SYSTEM_ACTOR, action: 'removal_started', why: 'revoked' },
      { actor: SYSTEM_ACTOR, action: 'removed', why: 'revoked' },
    ]);
    const reply = await restarted.sim.waitFor(() =>
      restarted.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('no longer has')),
    );
    expect(reply.text).toBe(
      `:lock: *alice@example.com* no longer has delegate access to *sales@example.com*: <@${USERS.admin.id}> revoked it.`,
    );
  });
});

describe('a new grant made while an older one for the same access is being removed', () => {
  it('takes the right over as the bot’s: the older removal leaves it, the newer one’s end removes it', async () => {
    const { h, clock } = await movable();
    const first = (await granted(h)).request;
    const right = h.mimecast.rights[0]!;
    // The first grant's removal is under way in another process (its claim still running).
    const started = await h.bot.store.transition({
      id: first.id,
      name: 'startRemoval',
      at: clock(),
      patch: {
        endedBy: USERS.admin.id,
        endReason: 'revoked',
        claim: { owner: 'another-process', until: new Date(clock().getTime() + 30_000) },
      },
      audit: { actor: USERS.admin.id, action: 'removal_started', details: { why: 'revoked' } },
    });
    expect(started.ok).toBe(true);

    const second = (await granted(h)).request;
    expect(second).toMatchObject({ mimecastId: right.id });
    expect(second.preexisting).toBeUndefined();

    // The other process is gone: its removal is taken over, and finds the right still covered.
    await advance(h, clock, MINUTE);
    expect(await waitForStatus(h, first.id, 'removed')).toMatchObject({ endReason: 'revoked' });
    expect(h.mimecast.rights.map((r) => r.id)).toEqual([right.id]);
    expect(removeCalls(h)).toHaveLength(0);

    // The newer grant's end is the last one: the right goes.
    expect(await run(h, USERS.admin.id, `revoke ${second.id}`)).not.toContain('Mimecast did not');
    await waitForStatus(h, second.id, 'removed');
    expect(h.mimecast.rights).toEqual([]);
    expect(removeCalls(h)).toHaveLength(1);
  });
});
