import { afterEach, describe, expect, it } from 'vitest';
import { FIND_SHAPES } from '../../testkit/mimecast/index.js';
import { offsetClock } from '../support/fakes.js';
import { describeErrors, logEntries, rawClick } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  type Harness,
  startHarness,
  textOf,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import {
  advance,
  approveWithAddFault,
  FIND,
  findBody,
  granted,
  mimecastCalls,
  REMOVE,
  removeBody,
  startMovable,
} from '../support/mimecast-flows.js';
import { run } from '../support/slack-answers.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

let h: Harness | undefined;
let others: Harness[] = [];
afterEach(async () => {
  for (const other of others) await other.stopBot();
  others = [];
  await h?.close();
  h = undefined;
});

/** The messages in the approvers' channel that are not cards of requests: drift findings. */
function findingMessages(stack: Harness) {
  return stack.sim
    .messagesIn(APPROVAL_CHANNEL)
    .filter((m) => !m.threadTs && m.text.includes('did not grant'));
}

/**
 * Three kinds of drift at once: Alice's grant of sales@ was removed in Mimecast by hand (a); Bob's
 * grant of info@ ended, but the removal Mimecast confirmed did not happen (b); an administrator gave
 * Alice ceo@ by hand (c). Then 20 minutes pass, so no grant is too fresh to judge.
 */
async function driftOfEachKind(stack: Harness, clock: ReturnType<typeof offsetClock>) {
  const alice = await granted(stack, 'sales@example.com', USERS.alice.id);
  const bob = await granted(stack, 'info@example.com', USERS.bob.id);
  const aliceRight = stack.mimecast.rights.find((r) => r.delegateAddress === 'sales@example.com')!;
  const bobRight = stack.mimecast.rights.find((r) => r.delegateAddress === 'info@example.com')!;
  stack.mimecast.revoke(aliceRight.id);
  stack.mimecast.inject(REMOVE, {
    status: 200,
    body: { meta: { status: 200 }, data: [{ success: true }], fail: [] },
  });
  expect(await run(stack, USERS.admin.id, `revoke ${bob.request.id}`)).toContain(`Revoked ${bob.request.id}`);
  await stack.bot.idle();
  const manual = stack.mimecast.grant('alice@example.com', 'ceo@example.com');
  clock.advance(20 * MINUTE);
  stack.mimecast.calls.length = 0;
  return { alice: alice.request, aliceCard: alice.card, bob: bob.request, bobRight, manual };
}

describe('reconciliation with Mimecast', () => {
  for (const [variant, shape] of Object.entries(FIND_SHAPES)) {
    it(`/delegate reconcile finds each kind of drift (${variant} shape), acts on it and says so`, async () => {
      const started = await startMovable({ shape });
      h = started.h;
      const { alice, aliceCard, bob, bobRight, manual } = await driftOfEachKind(h, started.clock);

      const answer = await run(h, USERS.admin.id, 'reconcile');
      await h.bot.idle();
      expect(answer).toBe(
        [
          '*Checked against Mimecast*: the delegate access of 2 people.',
          `• Removed outside the bot, now marked as ended (the grantee and <#${APPROVAL_CHANNEL}> are told): \`${alice.id}\``,
          `• Still in Mimecast after the grant ended, removed again: \`${bob.id}\``,
          `• 1 right the bot did not grant, posted in <#${APPROVAL_CHANNEL}> with a Remove button`,
          '1 right the bot did not grant is waiting for an admin: `/delegate drift`.',
        ].join('\n'),
      );
      // One search per grantee (two at a time, so in either order), and the one removal.
      expect(mimecastCalls(h).sort()).toEqual(
        [
          `200 ${FIND} ${findBody('alice@example.com')}`,
          `200 ${FIND} ${findBody('bob@example.com')}`,
          `200 ${REMOVE} ${removeBody(bobRight.id)}`,
        ].sort(),
      );

      // (a) Alice's grant ends as removed outside the bot; she and the admins are told.
      expect(await h.bot.store.getRequest(alice.id)).toMatchObject({
        status: 'removed',
        endReason: 'removed_outside_bot',
        endedBy: USERS.admin.id,
      });
      const gone = `*alice@example.com* no longer has delegate access to *sales@example.com*: it was removed in Mimecast outside this bot (a check against Mimecast no longer found it), so this grant is marked as ended.`;
      expect(h.sim.threadReplies(APPROVAL_CHANNEL, aliceCard.ts).at(-1)?.text).toBe(
        `:lock: <!subteam^SADMINS> ${gone}`,
      );
      expect(h.sim.dmsTo(USERS.alice.id).at(-1)?.text).toBe(
        `${gone} (*${alice.id}*) If you still need it, submit a new request with /delegate.`,
      );
      expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, aliceCard.ts)!)).toContain(':lock: Access ended');
      expect((await h.bot.store.listAudit({ requestId: alice.id })).at(-1)).toMatchObject({
        actor: USERS.admin.id,
        action: 'removed_outside_bot',
        fromStatus: 'completed',
        toStatus: 'removed',
      });

      // (b) Bob's ended grant was still listed: removed again, and audited.
      expect(h.mimecast.rights.find((r) => r.id === bobRight.id)).toBeUndefined();
      expect((await h.bot.store.listAudit({ requestId: bob.id })).at(-1)).toMatchObject({
        actor: USERS.admin.id,
        action: 'removed_again',
        details: { mimecastId: bobRight.id },
      });

      // (c) The right nobody asked the bot for: stored, audited, posted to the admins with a Remove button.
      const [finding] = await h.bot.store.listFindings({});
      expect(finding).toMatchObject({
        granteeEmail: 'alice@example.com',
        mailbox: 'ceo@example.com',
        mimecastId: manual.id,
        name: 'Ceo',
        source: 'ADCON',
        status: 'open',
      });
      const [message] = findingMessages(h);
      expect(finding!.message).toEqual({ channel: APPROVAL_CHANNEL, ts: message!.ts });
      expect(textOf(message!)).toContain(
        `:mag: <!subteam^SADMINS> A check against Mimecast found delegate access that this bot did not grant: *alice@example.com* can open *ceo@example.com* (Mimecast id \`${manual.id}\`, source ADCON). Nothing was changed. If it should not be there, an admin can press Remove; otherwise leave it. Finding \`${finding!.id}\`.`,
      );
      expect(textOf(message!)).toContain('Remove from Mimecast');
      const audit = await h.bot.store.listAudit({});
      expect(audit.filter((event) => event.action === 'drift_found')).toEqual([
        expect.objectContaining({
          requestId: null,
          actor: USERS.admin.id,
          details: {
            findingId: finding!.id,
            granteeEmail: 'alice@example.com',
            mailbox: 'ceo@example.com',
            mimecastId: manual.id,
            source: 'ADCON',
          },
        }),
      ]);
      expect(
        audit.filter((event) => ['admin_command', 'reconciled'].includes(event.action)).slice(-2),
      ).toEqual([
        expect.objectContaining({ actor: USERS.admin.id, details: { command: 'reconcile' } }),
        expect.objectContaining({
          actor: USERS.admin.id,
          action: 'reconciled',
          details: expect.objectContaining({
            searched: 2,
            removedOutside: [alice.id],
            removedAgain: [bob.id],
          }),
        }),
      ]);
      expect(describeErrors(h)).toEqual([]);
    });
  }

  it('a revoke whose removal is being retried, gone from Mimecast: the end is done as revoked, not "removed outside"', async () => {
    const started = await startMovable();
    h = started.h;
    const { request, card } = await granted(h);
    const right = h.mimecast.rights[0]!;
    started.clock.advance(20 * MINUTE); // no longer too fresh to judge
    h.mimecast.inject(REMOVE, { status: 503 });
    await run(h, USERS.admin.id, `revoke ${request.id}`);
    await h.bot.idle();
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      endReason: 'revoked',
      removalAttempts: 1,
    });
    // Someone removes it in Mimecast by hand before the bot's retry (a minute away) comes round.
    h.mimecast.revoke(right.id);
    h.mimecast.calls.length = 0;

    const answer = await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    expect(answer).toBe(
      [
        '*Checked against Mimecast*: the delegate access of 1 person.',
        `• Revoked, ended or expired, and no longer in Mimecast: the removal the bot was retrying is done (the grantee and <#${APPROVAL_CHANNEL}> are told): \`${request.id}\``,
        'No right the bot did not grant is waiting for an admin.',
      ].join('\n'),
    );
    expect(mimecastCalls(h)).toEqual([`200 ${FIND} ${findBody('alice@example.com')}`]);
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'removed',
      endReason: 'revoked',
      endedBy: USERS.admin.id,
    });
    expect((await h.bot.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
      actor: USERS.admin.id,
      action: 'removed',
      fromStatus: 'completed',
      toStatus: 'removed',
      details: {
        why: 'revoked',
        mimecastId: right.id,
        confirmedBy: 'reconciliation',
        found: 'no longer listed in Mimecast',
      },
    });
    const ended = `*alice@example.com* no longer has delegate access to *sales@example.com*: <@${USERS.admin.id}> revoked it.`;
    expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).at(-1)?.text).toBe(`:lock: ${ended}`);
    expect(h.sim.dmsTo(USERS.alice.id).at(-1)?.text).toBe(`${ended} (*${request.id}*)`);
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!)).toContain(':lock: Access ended');
    // Nothing left to retry: the sweep past the retry time calls Mimecast no more.
    await advance(h, started.clock, 2 * MINUTE);
    expect(mimecastCalls(h).filter((line) => line.includes(REMOVE))).toEqual([]);
    expect(describeErrors(h)).toEqual([]);
  });

  it('reports a right once; /delegate drift lists it; Remove is for admins and removes it in Mimecast', async () => {
    const started = await startMovable();
    h = started.h;
    const { manual } = await driftOfEachKind(h, started.clock);
    await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    const [finding] = await h.bot.store.listFindings({});

    // A second check: the same right is not reported again.
    h.mimecast.calls.length = 0;
    const second = await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    expect(second).toBe(
      [
        '*Checked against Mimecast*: the delegate access of 2 people.',
        '• Nothing new since the last check.',
        '1 right the bot did not grant is waiting for an admin: `/delegate drift`.',
      ].join('\n'),
    );
    expect(findingMessages(h)).toHaveLength(1);
    expect(await h.bot.store.listFindings({})).toEqual([
      expect.objectContaining({ id: finding!.id, version: 3 }),
    ]);
    expect((await h.bot.store.listAudit({})).filter((e) => e.action === 'drift_found')).toHaveLength(1);
    expect(mimecastCalls(h).every((call) => call.includes(FIND))).toBe(true);

    const list = await run(h, USERS.admin.id, 'drift');
    expect(list).toMatch(
      new RegExp(
        `^\\*Delegate access the bot did not grant\\* \\(1\\)\\n\`${finding!.id}\` alice@example\\.com → ceo@example\\.com · source ADCON · found <!date\\^`,
      ),
    );
    expect(await run(h, USERS.alice.id, 'drift')).toBe(
      '`/delegate drift` is for admins only, and you are not in an admin group. Nothing was changed. Ask an admin if this needs doing.',
    );
    expect(await run(h, USERS.alice.id, 'reconcile')).toBe(
      '`/delegate reconcile` is for admins only, and you are not in an admin group. Nothing was changed. Ask an admin if this needs doing.',
    );

    // Remove, pressed by an approver who is not an admin: refused, nothing removed.
    const message = findingMessages(h)[0]!;
    const refused = await h.driver.clickButton(USERS.carol.id, message, 'remove_drift_right');
    const refusal = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === refused.responseUrl));
    expect(refusal.body.text).toBe(
      'Only admins can remove delegate access the bot did not grant. Nothing was changed. Ask an admin if this needs doing.',
    );
    expect(h.mimecast.rights.some((r) => r.id === manual.id)).toBe(true);

    // By an admin: removed in Mimecast, the message updated, the admin told, all audited.
    h.mimecast.calls.length = 0;
    const click = await h.driver.clickButton(USERS.admin.id, message, 'remove_drift_right');
    const told = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === click.responseUrl));
    await h.bot.idle();
    expect(told.body.text).toBe(
      `Removed from Mimecast: alice@example.com can no longer open ceo@example.com (${finding!.id}). The message in the channel says so.`,
    );
    expect(mimecastCalls(h)).toEqual([`200 ${REMOVE} ${removeBody(manual.id)}`]);
    expect(h.mimecast.rights.some((r) => r.id === manual.id)).toBe(false);
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, message.ts)!)).toMatch(
      new RegExp(
        `^Mimecast lists delegate access the bot did not grant: .*\\n:lock: Removed from Mimecast by <@${USERS.admin.id}> on <!date\\^.*\\*alice@example\\.com\\* can no longer open \\*ceo@example\\.com\\*`,
        's',
      ),
    );
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, message.ts)!)).not.toContain('Remove from Mimecast');
    expect(await h.bot.store.getFinding(finding!.id)).toMatchObject({
      status: 'removed',
      resolvedBy: USERS.admin.id,
    });
    const audit = (await h.bot.store.listAudit({})).filter(
      (e) => e.details?.findingId === finding!.id || e.details?.target === finding!.id,
    );
    expect(audit.map((e) => `${e.actor} ${e.action}`)).toEqual([
      `${USERS.admin.id} drift_found`,
      `${USERS.carol.id} admin_command_refused`,
      `${USERS.admin.id} admin_command`,
      `${USERS.admin.id} drift_removal_started`,
      `${USERS.admin.id} drift_right_removed`,
    ]);

    // A second press (from a copy of the message still showing the button) finds it done.
    const again = await rawClick(h, USERS.admin.id, 'remove_drift_right', finding!.id);
    const doneAlready = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === again.responseUrl));
    expect(doneAlready.body.text).toBe(
      `${finding!.id} was already removed by <@${USERS.admin.id}>. Nothing else was done.`,
    );
    expect(await run(h, USERS.admin.id, 'drift')).toContain('*Delegate access the bot did not grant*\nNone');
  });

  it('Remove that Mimecast refuses: the admin is told in removal words, and the finding stays open', async () => {
    const started = await startMovable();
    h = started.h;
    const { manual } = await driftOfEachKind(h, started.clock);
    await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    const [finding] = await h.bot.store.listFindings({});
    h.mimecast.inject(REMOVE, { status: 403 });
    const click = await h.driver.clickButton(USERS.admin.id, findingMessages(h)[0]!, 'remove_drift_right');
    const told = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === click.responseUrl));
    await h.bot.idle();
    expect(told.body.text).toBe(
      "Mimecast did not remove it: The bot's Mimecast account may not remove delegates. An admin must give it the Directories | Internal | Create Alternate Address permission. " +
        'The finding stays open, so you can press Remove again later.',
    );
    expect(await h.bot.store.getFinding(finding!.id)).toMatchObject({ status: 'open' });
    expect(h.mimecast.rights.some((r) => r.id === manual.id)).toBe(true);
  });

  it('closes a finding whose right was removed elsewhere, and says so on its message', async () => {
    const started = await startMovable();
    h = started.h;
    const { manual } = await driftOfEachKind(h, started.clock);
    await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    h.mimecast.revoke(manual.id);
    const answer = await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    const [finding] = await h.bot.store.listFindings({});
    expect(finding).toMatchObject({ status: 'gone' });
    expect(answer).toContain(`• No longer in Mimecast, closed: \`${finding!.id}\``);
    expect(answer).toContain('No right the bot did not grant is waiting for an admin.');
    expect(textOf(findingMessages(h)[0]!)).toContain(':information_source: No longer listed in Mimecast');
    expect((await h.bot.store.listAudit({})).at(-2)).toMatchObject({
      action: 'drift_gone',
      details: { findingId: finding!.id, mimecastId: manual.id },
    });
  });

  it('waits as a 429 tells it (X-RateLimit-Reset, in ms), then checks all the same', async () => {
    const started = await startMovable();
    h = started.h;
    await granted(h, 'sales@example.com', USERS.alice.id);
    started.clock.advance(20 * MINUTE);
    h.mimecast.calls.length = 0;
    // Three 429s in a row: the client waits out two, the reconciliation the third (300 ms each).
    h.mimecast.inject(FIND, { status: 429, headers: { 'X-RateLimit-Reset': '300' }, times: 3 });
    const answer = await run(h, USERS.admin.id, 'reconcile');
    expect(answer).toBe(
      [
        '*Checked against Mimecast*: the delegate access of 1 person.',
        '• Everything matches.',
        'No right the bot did not grant is waiting for an admin.',
      ].join('\n'),
    );
    const finds = h.mimecast.calls.filter((call) => call.path === FIND);
    expect(finds.map((call) => call.status)).toEqual([429, 429, 429, 200]);
    expect(finds.every((call) => call.rawBody === findBody('alice@example.com'))).toBe(true);
    // After each 429, Mimecast was asked again only once the time it gave had passed.
    for (let i = 1; i < finds.length; i += 1) {
      expect(finds[i]!.at.getTime() - finds[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(295);
    }
    expect(
      logEntries(h).find((line) => line.msg === 'Mimecast rate limit reached while reconciling; waiting'),
    ).toMatchObject({
      waitMs: 300,
    });
    expect(await h.bot.store.listRequests({ statuses: ['completed'] })).toHaveLength(1);
  });

  it('on a schedule: two processes on one database reconcile once per interval', async () => {
    const first = await startHarness();
    h = first;
    await granted(first, 'sales@example.com', USERS.alice.id);
    await first.stopBot();
    first.mimecast.calls.length = 0;
    const reuse = { sim: first.sim, mimecast: first.mimecast, databasePath: first.databasePath };
    const clockA = offsetClock(HOUR);
    const clockB = offsetClock(HOUR);
    const env = { RECONCILE_INTERVAL_HOURS: '24' };
    const [a, b] = await Promise.all([
      startHarness({ reuse, env, clock: clockA }),
      startHarness({ reuse, env, clock: clockB }),
    ]);
    others = [a, b];
    await Promise.all([a.bot.scheduler.reconcileIfDue(), b.bot.scheduler.reconcileIfDue()]);
    await Promise.all([a.bot.idle(), b.bot.idle()]);
    const runs = async () => (await a.bot.store.listAudit({})).filter((e) => e.action === 'reconciled');
    expect(await runs()).toEqual([expect.objectContaining({ actor: 'system' })]);
    expect(mimecastCalls(a)).toEqual([`200 ${FIND} ${findBody('alice@example.com')}`]);

    // Later within the interval: not due, whoever asks.
    clockA.advance(23 * HOUR);
    await a.bot.scheduler.reconcileIfDue();
    expect(await runs()).toHaveLength(1);
    // Past it: one run more.
    clockA.advance(2 * HOUR);
    clockB.advance(25 * HOUR);
    await Promise.all([a.bot.scheduler.reconcileIfDue(), b.bot.scheduler.reconcileIfDue()]);
    expect(await runs()).toHaveLength(2);
    expect(mimecastCalls(a)).toHaveLength(2);
  });

  it('a right whose add is still being settled is not drift: nothing reported, before or after it completes', async () => {
    const started = await startMovable();
    h = started.h;
    // Alice has sales@ already (so she is checked); her add of info@ lands, but its answer is lost.
    await granted(h, 'sales@example.com', USERS.alice.id);
    const { request } = await approveWithAddFault(h, { dropConnection: true }, 'info@example.com');
    await waitForStatus(h, request.id, 'settling');
    await h.bot.idle();
    expect(h.mimecast.rights.map((r) => r.delegateAddress).sort()).toEqual([
      'info@example.com',
      'sales@example.com',
    ]);
    const clean = [
      '*Checked against Mimecast*: the delegate access of 1 person.',
      '• Everything matches.',
      'No right the bot did not grant is waiting for an admin.',
    ].join('\n');

    h.mimecast.calls.length = 0;
    expect(await run(h, USERS.admin.id, 'reconcile')).toBe(clean);
    await h.bot.idle();
    expect(mimecastCalls(h)).toEqual([`200 ${FIND} ${findBody('alice@example.com')}`]);
    expect(await h.bot.store.listFindings({})).toEqual([]);
    expect(findingMessages(h)).toEqual([]);

    // Settling finds the right: the request completes, and the next check still has nothing to report.
    await advance(h, started.clock, 30 * SECOND);
    await waitForStatus(h, request.id, 'completed');
    expect(await run(h, USERS.admin.id, 'reconcile')).toBe(clean);
    await h.bot.idle();
    expect(await h.bot.store.listFindings({})).toEqual([]);
    expect(await run(h, USERS.admin.id, 'drift')).toContain('*Delegate access the bot did not grant*\nNone');
    expect(describeErrors(h)).toEqual([]);
  });

  /**
   * A right given by hand is reported; then Alice asks the bot for the same access, and her request
   * completes on it (Mimecast already listed it). Returns the open finding and the grant.
   */
  async function findingThenGrant(stack: Harness, clock: ReturnType<typeof offsetClock>) {
    await granted(stack, 'sales@example.com', USERS.alice.id);
    const manual = stack.mimecast.grant('alice@example.com', 'info@example.com');
    clock.advance(20 * MINUTE);
    await run(stack, USERS.admin.id, 'reconcile');
    await stack.bot.idle();
    const [finding] = await stack.bot.store.listFindings({});
    expect(finding).toMatchObject({ status: 'open', mailbox: 'info@example.com', mimecastId: manual.id });
    const grant = await granted(stack, 'info@example.com', USERS.alice.id);
    expect(grant.request).toMatchObject({ status: 'completed', mimecastId: manual.id });
    stack.mimecast.calls.length = 0;
    return { finding: finding!, grant: grant.request, manual, message: findingMessages(stack)[0]! };
  }

  it('Remove on a finding whose right a grant of the bot now holds: refused, nothing removed, the finding closed', async () => {
    const started = await startMovable();
    h = started.h;
    const { finding, grant, manual, message } = await findingThenGrant(h, started.clock);

    const click = await h.driver.clickButton(USERS.admin.id, message, 'remove_drift_right');
    const told = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === click.responseUrl));
    await h.bot.idle();
    expect(told.body.text).toBe(
      `Not removed: alice@example.com's access to info@example.com is now held by the bot's grant ${grant.id}, so ${finding.id} is not drift and is closed. Nothing was changed in Mimecast. To end that access, revoke the grant: \`/delegate revoke ${grant.id}\`.`,
    );
    expect(mimecastCalls(h)).toEqual([]);
    expect(h.mimecast.rights.some((r) => r.id === manual.id)).toBe(true);
    expect(await h.bot.store.getRequest(grant.id)).toMatchObject({ status: 'completed' });
    expect(await h.bot.store.getFinding(finding.id)).toMatchObject({
      status: 'managed',
      resolvedBy: USERS.admin.id,
    });
    const shown = textOf(h.sim.findMessage(APPROVAL_CHANNEL, message.ts)!);
    expect(shown).toContain(':white_check_mark: Not drift after all (checked <!date^');
    expect(shown).toContain(
      "*alice@example.com*'s access to *info@example.com* is now held by a grant of this bot (its request completed), which ends it when the grant ends. Nothing to do.",
    );
    expect(shown).not.toContain('Remove from Mimecast');
    const audit = (await h.bot.store.listAudit({})).filter((e) => e.details?.findingId === finding.id);
    expect(audit.map((e) => `${e.actor} ${e.action}`)).toEqual([
      `${USERS.admin.id} drift_found`,
      `${USERS.admin.id} drift_managed`,
    ]);
    expect(audit[1]?.details).toMatchObject({ grantId: grant.id, mimecastId: manual.id });

    // The next check leaves the grant alone and reports nothing.
    const answer = await run(h, USERS.admin.id, 'reconcile');
    expect(answer).toContain('• Everything matches.');
    expect(await h.bot.store.getRequest(grant.id)).toMatchObject({ status: 'completed' });
    expect(await run(h, USERS.admin.id, 'drift')).toContain('*Delegate access the bot did not grant*\nNone');
  });

  it('the next check closes a finding whose right a grant of the bot now holds, and says so', async () => {
    const started = await startMovable();
    h = started.h;
    const { finding, grant, message } = await findingThenGrant(h, started.clock);
    const answer = await run(h, USERS.admin.id, 'reconcile');
    await h.bot.idle();
    expect(answer).toBe(
      [
        '*Checked against Mimecast*: the delegate access of 1 person.',
        `• Now held by a grant of the bot (its request completed), so not drift after all, closed: \`${finding.id}\``,
        'No right the bot did not grant is waiting for an admin.',
      ].join('\n'),
    );
    expect(mimecastCalls(h)).toEqual([`200 ${FIND} ${findBody('alice@example.com')}`]);
    expect(await h.bot.store.getFinding(finding.id)).toMatchObject({
      status: 'managed',
      resolvedBy: USERS.admin.id,
    });
    expect(textOf(h.sim.findMessage(APPROVAL_CHANNEL, message.ts)!)).toContain(
      ':white_check_mark: Not drift after all',
    );
    expect((await h.bot.store.listAudit({})).filter((e) => e.action === 'drift_managed')).toEqual([
      expect.objectContaining({
        actor: USERS.admin.id,
        details: expect.objectContaining({ findingId: finding.id, grantId: grant.id }),
      }),
    ]);
    expect(await run(h, USERS.admin.id, 'drift')).toContain('*Delegate access the bot did not grant*\nNone');
    // A Remove pressed afterwards (a stale copy of the message) removes nothing either.
    const again = await rawClick(h, USERS.admin.id, 'remove_drift_right', finding.id);
    const told = await h.sim.waitFor(() => h?.sim.responses.find((r) => r.url === again.responseUrl));
    expect(told.body.text).toBe(
      `Not removed: alice@example.com's access to info@example.com is now held by a grant of this bot, so ${finding.id} is not drift and is closed. Nothing was changed in Mimecast. To end that access, revoke the grant (\`/delegate audit alice@example.com\` shows its id).`,
    );
    expect(mimecastCalls(h).filter((call) => call.includes(REMOVE))).toEqual([]);
    expect(await h.bot.store.getRequest(grant.id)).toMatchObject({ status: 'completed' });
  });
});
