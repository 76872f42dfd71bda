import { afterEach, describe, expect, it } from 'vitest';
import { FIND_SHAPES, type SimulatorFault } from '../../testkit/mimecast/index.js';
import { auditActions, describeErrors } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  cardOf,
  type Harness,
  submitRequest,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import {
  ADD,
  FIND,
  findBody,
  granted,
  mimecastCalls,
  REMOVE,
  removeBody,
  startMovable,
} from '../support/mimecast-flows.js';
import { run } from '../support/slack-answers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('what the bot reads from Mimecast before it adds', () => {
  for (const [variant, shape] of Object.entries(FIND_SHAPES)) {
    it(`detects access that already exists (${variant} shape): nothing added, never removed by the bot`, async () => {
      h = (await startMovable({ shape })).h;
      const manual = h.mimecast.grant('alice@example.com', 'sales@example.com');
      // Another right of Alice's, and one of Bob's to the same mailbox, are not this access.
      h.mimecast.grant('alice@example.com', 'ceo@example.com');
      h.mimecast.grant('bob@example.com', 'sales@example.com');
      const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
      const card = await cardOf(h, request.id);
      await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
      const done = await waitForStatus(h, request.id, 'completed');
      await h.bot.idle();
      expect(done).toMatchObject({ mimecastId: manual.id, preexisting: true });
      expect(mimecastCalls(h)).toEqual([`200 ${FIND} ${findBody('alice@example.com')}`]);
      expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]?.text).toBe(
        ':information_source: alice@example.com already had delegate access to sales@example.com in Mimecast, so nothing was added. That access was not granted by this bot, so it will not be removed when this request ends.',
      );
      expect(await auditActions(h, request.id)).toEqual([
        'submitted',
        'approved',
        'provisioning_started',
        'already_had_access',
      ]);

      // When the grant ends, the access it found stays in Mimecast.
      await run(h, USERS.admin.id, `revoke ${request.id}`);
      await waitForStatus(h, request.id, 'removed');
      expect(h.mimecast.calls.some((call) => call.path === REMOVE)).toBe(false);
      expect(h.mimecast.rights.some((right) => right.id === manual.id)).toBe(true);
      expect(describeErrors(h)).toEqual([]);
    });
  }
});

describe('removing a right that is already gone', () => {
  // [what Mimecast answers, the fault that makes it, whether someone removed the right by hand first]
  const answers: Array<[string, SimulatorFault | undefined, boolean, number]> = [
    // Mimecast's own answer to an unknown id: 200 with err_delegate_not_found in fail[].
    ['"not found" in fail[]', undefined, true, 200],
    ['HTTP 404', { status: 404 }, true, 404],
    // The removal is made, but its answer comes too late (MIMECAST_TIMEOUT_MS is 1000 here).
    ['a timeout', { latencyMs: 1500 }, false, 200],
  ];
  for (const [variant, shape] of Object.entries(FIND_SHAPES)) {
    for (const [what, fault, byHand, removeStatus] of answers) {
      it(`answered with ${what} (${variant} shape): checked with a search, and counted as removed`, async () => {
        h = (await startMovable({ shape })).h;
        const { request, card } = await granted(h);
        const right = h.mimecast.rights[0]!;
        // Alice also holds another right; only this one's absence matters.
        h.mimecast.grant('alice@example.com', 'ceo@example.com');
        if (byHand) h.mimecast.revoke(right.id);
        if (fault) h.mimecast.inject(REMOVE, fault);
        h.mimecast.calls.length = 0;
        const answer = await run(h, USERS.admin.id, `revoke ${request.id}`);
        expect(answer).toBe(
          `Revoked ${request.id}: alice@example.com no longer has access to sales@example.com through it.`,
        );
        await h.bot.idle();
        // The late answer of the timeout case arrives after the bot gave up on it.
        await h.sim.waitFor(() => h?.mimecast.calls.every((call) => call.status !== 0), 5000);
        expect(mimecastCalls(h)).toEqual([
          `${removeStatus} ${REMOVE} ${removeBody(right.id)}`,
          `200 ${FIND} ${findBody('alice@example.com')}`,
        ]);
        const removed = await h.bot.store.getRequest(request.id);
        expect(removed).toMatchObject({ status: 'removed', endReason: 'revoked' });
        expect((await h.bot.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
          action: 'removed',
          details: { why: 'revoked', mimecastId: right.id, alreadyGone: true },
        });
        expect(h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).at(-1)?.text).toBe(
          `:lock: *alice@example.com* no longer has delegate access to *sales@example.com*: <@${USERS.admin.id}> revoked it.`,
        );
        expect(h.mimecast.rights.map((r) => r.delegateAddress)).toEqual(['ceo@example.com']);
      });
    }
  }

  it('a right still listed after "not found" is not counted as removed: a failed removal, said so', async () => {
    h = (await startMovable()).h;
    const { request } = await granted(h);
    h.mimecast.inject(REMOVE, { status: 404 });
    h.mimecast.calls.length = 0;
    const answer = await run(h, USERS.admin.id, `revoke ${request.id}`);
    expect(answer).toBe(
      `Mimecast did not remove the access for ${request.id} yet: Mimecast answered "not found", but the bot could not confirm that the access is gone; it may still be there. The bot keeps retrying.`,
    );
    await h.bot.idle();
    expect(mimecastCalls(h)).toEqual([
      `404 ${REMOVE} ${removeBody(h.mimecast.rights[0]!.id)}`,
      `200 ${FIND} ${findBody('alice@example.com')}`,
    ]);
    expect(await h.bot.store.getRequest(request.id)).toMatchObject({
      status: 'completed',
      removalAttempts: 1,
      failure: { kind: 'not_found' },
    });
    expect(h.mimecast.calls.some((call) => call.path === ADD)).toBe(false);
  });
});
