import { afterEach, describe, expect, it } from 'vitest';
import { decisionRefusal, extendRefusal } from '../../src/slack/copy/approver.js';
import { ownerRefusal } from '../../src/slack/copy/owner.js';
import { type Harness, startHarness, submitRequest, USERS, waitForStatus } from '../support/harness.js';
import { PEOPLE, requestUnderPolicy, startPolicyHarness } from '../support/policy.js';
import { run } from '../support/slack-answers.js';

/**
 * A request id typed or clicked by someone who may not see the request: "no such request" and "not
 * yours" read the same, word for word, so trying ids tells nobody which exist. Those who see every
 * request (approvers, admins) and the requester still get the precise answer.
 */
let h: Harness;
afterEach(async () => {
  await h?.close();
});

const NONE = 'DR-ZZZZZZ';

describe('ids cannot be probed', () => {
  it('/delegate cancel: someone else’s request and no request read the same; approvers get the precise answer', async () => {
    h = await startHarness();
    const bobs = await submitRequest(h, USERS.bob.id, 'info@example.com');
    await h.bot.idle();
    const before = await h.bot.store.getRequest(bobs.id);

    for (const userId of [USERS.alice.id, USERS.dave.id]) {
      const notYours = await run(h, userId, `cancel ${bobs.id}`);
      expect(notYours).toBe(
        `You have no request ${bobs.id} to cancel. You can cancel only your own requests: check the id in your confirmation message, or see yours with \`/delegate list\`. Nothing was changed.`,
      );
      expect(await run(h, userId, `cancel ${NONE}`)).toBe(notYours.replaceAll(bobs.id, NONE));
    }
    // Approvers and admins see every request: for them each answer is precise.
    expect(await run(h, USERS.carol.id, `cancel ${NONE}`)).toBe(
      `There is no request ${NONE}. Check the id in your confirmation message.`,
    );
    expect(await run(h, USERS.carol.id, `cancel ${bobs.id}`)).toBe(
      `Only the person who asked can cancel ${bobs.id}.`,
    );
    await h.bot.idle();
    expect(await h.bot.store.getRequest(bobs.id)).toEqual(before);
  });

  it('the Cancel, Approve, Deny and extend buttons, forged with another id, refuse alike', async () => {
    h = await startHarness();
    const bobs = await submitRequest(h, USERS.bob.id, 'info@example.com');
    const { service } = h.bot;
    // Cancel: a requester who is no approver.
    const cancelTheirs = await service.cancel(bobs.id, USERS.alice.id);
    expect(cancelTheirs).toEqual({ ok: false, reason: 'not_yours', seesAll: false });
    expect(await service.cancel(NONE, USERS.alice.id)).toEqual(cancelTheirs);
    // Approve and deny: someone in no group.
    const approveTheirs = await service.approve(bobs.id, USERS.dave.id);
    expect(approveTheirs).toEqual({ ok: false, reason: 'not_approver' });
    expect(await service.approve(NONE, USERS.dave.id)).toEqual(approveTheirs);
    expect(await service.deny(NONE, USERS.dave.id)).toEqual(approveTheirs);
    expect(decisionRefusal({ ok: false, reason: 'not_approver' })).toBe(
      'Only members of the approver groups can approve or deny delegate access requests. Nothing was changed.',
    );
    // Extend: someone in no group, on granted access and on no request.
    await h.bot.service.approve(bobs.id, USERS.carol.id);
    await waitForStatus(h, bobs.id, 'completed');
    const extendTheirs = await service.extend(bobs.id, USERS.dave.id, 24);
    expect(extendTheirs).toEqual({ ok: false, reason: 'not_approver' });
    expect(await service.extend(NONE, USERS.dave.id, 24)).toEqual(extendTheirs);
    expect(extendRefusal('not_approver')).toBe('Only approvers can extend access. Nothing was changed.');
    // End: only the grantee, whatever the id.
    expect(await service.endAccess(NONE, USERS.alice.id)).toEqual(
      await service.endAccess(bobs.id, USERS.alice.id),
    );
    // Approvers still hear that there is no such request.
    expect(await service.approve(NONE, USERS.carol.id)).toEqual({ ok: false, reason: 'not_found' });
    expect(await service.extend(NONE, USERS.carol.id, 24)).toEqual({ ok: false, reason: 'not_found' });
  });

  it("the owner's Allow and Refuse, forged with another id, refuse alike", async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
    const { service } = h.bot;
    const theirs = await service.ownerAllow(request.id, USERS.dave.id);
    expect(theirs).toEqual({ ok: false, reason: 'not_owner' });
    expect(await service.ownerAllow(NONE, USERS.dave.id)).toEqual(theirs);
    expect(await service.mayAnswerAsOwner(NONE, USERS.dave.id)).toEqual(theirs);
    expect(await service.ownerRefuse(NONE, USERS.dave.id, 'Because.')).toEqual(theirs);
    expect(ownerRefusal({ ok: false, reason: 'not_owner' }, request.id)).toBe(
      ownerRefusal({ ok: false, reason: 'not_owner' }, NONE).replaceAll(NONE, request.id),
    );
    expect((await service.ownerAllow(request.id, PEOPLE.cleo.id)).ok).toBe(true);
  });
});
