/**
 * What an employee (or a stale state) could still do, each refused in the core (issue 14, items 3 to
 * 8): a requester who may no longer be granted at approval or just before the Mimecast call, a grantee
 * address outside the allowed domains, requests approvable past their time, unlimited open requests,
 * a form submitted twice, and addresses that show differently from what is granted.
 */
import { describe, expect, it } from 'vitest';
import type { SubmissionInput, SubmitResult } from '../../src/requests/submit.js';
import { decisionRefusal } from '../../src/slack/copy/approver.js';
import { openRequestsFull, requestFormRefusal, submissionErrorText } from '../../src/slack/copy/requester.js';
import { serviceFixture } from '../support/fakes.js';

const ALICE = 'UALICE';
const BOB = 'UBOB';
const CAROL = 'UCAROL';
const HOUR = 3_600_000;

type Fixture = ReturnType<typeof serviceFixture>;

function ask(ctx: Fixture, mailbox = 'sales@example.com', more: Partial<SubmissionInput> = {}) {
  return ctx.service.submit({ requesterId: ALICE, mailbox, reason: 'cover the queue', ...more });
}

async function pending(ctx: Fixture, mailbox = 'sales@example.com') {
  const result = await ask(ctx, mailbox);
  if (!result.ok) throw new Error(`submit refused: ${JSON.stringify(result.errors)}`);
  return result.request;
}

const wordsOf = (result: SubmitResult) => (result.ok ? undefined : submissionErrorText(result.errors));

/** Every notice queued so far, in order, as `target:event` with its data (each marked delivered). */
async function queuedNotices(ctx: Fixture) {
  const later = new Date('2030-01-01');
  const seen: [string, unknown][] = [];
  for (;;) {
    const [notice] = await ctx.store.dueNotices(later, 1);
    if (!notice) return seen;
    seen.push([`${notice.target}:${notice.event}`, notice.data]);
    await ctx.store.markNoticeDelivered(notice.id, later);
  }
}

describe('eligibility on approval (item 3)', () => {
  it.each([
    [
      'removed from the requester groups',
      (ctx: Fixture) => ctx.directory.remove('SREQ', ALICE),
      'not_requester',
    ],
    ['deactivated in Slack', (ctx: Fixture) => ctx.directory.deactivated.add(ALICE), 'deactivated'],
    [
      'with a changed profile email',
      (ctx: Fixture) => ctx.directory.email(ALICE, 'alice.archer@example.com'),
      'email_changed',
    ],
  ] as const)('a requester %s is denied by the bot when an approver approves', async (_, change, why) => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    change(ctx);
    const result = await ctx.service.approve(request.id, BOB);
    expect(result).toMatchObject({
      ok: false,
      reason: 'ineligible',
      why,
      request: { status: 'denied', ineligible: why },
    });
    expect(ctx.mimecast.adds).toEqual([]);
    const stored = await ctx.store.getRequest(request.id);
    expect(stored).toMatchObject({ status: 'denied', ineligible: why });
    expect(stored?.decidedBy).toBeUndefined();
    const audit = await ctx.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => [e.actor, e.action, e.toStatus, e.details])).toEqual([
      [ALICE, 'submitted', 'pending', expect.anything()],
      ['system', 'denied_ineligible', 'denied', { reason: why, stage: 'approval', approver: BOB }],
    ]);
    const data = { reason: why, stage: 'approval', approver: BOB };
    expect(await queuedNotices(ctx)).toEqual([
      ['card:submitted', undefined],
      ['dm:submitted', undefined],
      ['card:denied_ineligible', undefined],
      ['thread:denied_ineligible', data],
      ['dm:denied_ineligible', data],
    ]);
    if (!result.ok && result.reason === 'ineligible') {
      const said = decisionRefusal(result);
      expect(said).toMatch(new RegExp(`^${request.id} was not approved: `));
      expect(said).toContain('The bot denied the request instead and told the requester.');
    }
  });

  it('words each reason for the approver', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    ctx.directory.remove('SREQ', ALICE);
    const result = await ctx.service.approve(request.id, BOB);
    if (result.ok) throw new Error('approved');
    expect(decisionRefusal(result)).toBe(
      `${request.id} was not approved: <@UALICE> is no longer in a group that may request delegate access. ` +
        'The bot denied the request instead and told the requester. Nothing was changed in Mimecast.',
    );
  });

  it('checks again just before the Mimecast call: an approval recorded before the requester left grants nothing', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    // Approved (say, just before a restart); the requester leaves before the grant runs.
    await ctx.store.transition({
      id: request.id,
      name: 'approve',
      at: ctx.clock(),
      patch: { decidedBy: BOB, decidedAt: ctx.clock() },
      audit: { actor: BOB, action: 'approved' },
    });
    ctx.directory.deactivated.add(ALICE);
    const done = await ctx.service.provision(request.id);
    expect(done).toMatchObject({ status: 'denied', ineligible: 'deactivated', decidedBy: BOB });
    expect(ctx.mimecast.adds).toEqual([]);
    expect(ctx.mimecast.finds).toEqual([]);
    const last = (await ctx.store.listAudit({ requestId: request.id })).at(-1);
    expect(last).toMatchObject({
      actor: 'system',
      action: 'denied_ineligible',
      fromStatus: 'approved',
      toStatus: 'denied',
      details: { reason: 'deactivated', stage: 'grant', approver: BOB },
    });
  });

  it('grants nothing when the directory cannot be asked just before the call (unconfirmed)', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    await ctx.store.transition({
      id: request.id,
      name: 'approve',
      at: ctx.clock(),
      patch: { decidedBy: BOB, decidedAt: ctx.clock() },
      audit: { actor: BOB, action: 'approved' },
    });
    ctx.directory.unreachable = true;
    expect(await ctx.service.provision(request.id)).toMatchObject({
      status: 'denied',
      ineligible: 'unconfirmed',
    });
    expect(ctx.mimecast.adds).toEqual([]);
  });

  it('checks again before adding once more after an unknown outcome: a requester who left gets nothing', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    ctx.mimecast.outcomes.push({ ok: false, kind: 'outcome_unknown', message: 'no answer within 10000 ms' });
    const approved = await ctx.service.approve(request.id, BOB);
    if (!approved.ok || !approved.provisioning) throw new Error('not approved');
    expect(await approved.provisioning).toMatchObject({ status: 'settling' });
    // The three searches find nothing; before the add once more, Alice has been deactivated.
    for (const wait of [30_000, 90_000, 480_000]) {
      if (wait === 480_000) ctx.directory.deactivated.add(ALICE);
      ctx.clock.advance(wait);
      await ctx.service.sweep();
    }
    expect(ctx.mimecast.adds).toHaveLength(1);
    expect(await ctx.store.getRequest(request.id)).toMatchObject({
      status: 'denied',
      ineligible: 'deactivated',
    });
    expect((await ctx.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
      action: 'denied_ineligible',
      fromStatus: 'settling',
      details: { reason: 'deactivated', stage: 'grant', approver: BOB },
    });
  });

  it('an eligible requester is approved and granted as before', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    const approved = await ctx.service.approve(request.id, BOB);
    if (!approved.ok) throw new Error(`refused: ${approved.reason}`);
    expect(await approved.provisioning).toMatchObject({ status: 'completed' });
    expect(ctx.mimecast.adds).toHaveLength(1);
  });
});

describe('the grantee address and ALLOWED_EMAIL_DOMAINS (item 4)', () => {
  it('refuses at submit and at form opening when the profile email is outside the allowed domains', async () => {
    const ctx = serviceFixture({ domains: ['example.com'] });
    ctx.directory.email(ALICE, 'alice.private@gmail.com');
    const result = await ask(ctx);
    expect(result).toEqual({
      ok: false,
      errors: {
        mailbox: {
          code: 'grantee_domain_not_allowed',
          granteeEmail: 'alice.private@gmail.com',
          allowedDomains: ['example.com'],
        },
      },
    });
    expect(wordsOf(result)).toEqual({
      mailbox:
        'Access would go to your Slack profile email, alice.private@gmail.com, and only addresses in @example.com ' +
        'can be given access here. Ask your Slack admin to put your work email on your Slack profile, then try again.',
    });
    const form = await ctx.service.requestForm(ALICE);
    expect(form).toMatchObject({ ok: false, reason: 'grantee_not_allowed' });
    if (!form.ok) expect(requestFormRefusal(form)).toContain('*alice.private@gmail.com*');
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it('an address inside the allowed domains still asks as before', async () => {
    const ctx = serviceFixture({ domains: ['example.com'] });
    expect((await ask(ctx)).ok).toBe(true);
    expect((await ctx.service.requestForm(ALICE)).ok).toBe(true);
  });
});

describe('REQUEST_TTL_HOURS at decision time (item 5)', () => {
  it.each(['approve', 'deny', 'mayDecide'] as const)(
    '%s on a request past its time expires it on the spot, whatever the sweep has done',
    async (verb) => {
      const ctx = serviceFixture();
      const request = await pending(ctx);
      ctx.clock.advance(72 * HOUR);
      const result =
        verb === 'approve'
          ? await ctx.service.approve(request.id, BOB)
          : verb === 'deny'
            ? await ctx.service.deny(request.id, BOB, 'no')
            : await ctx.service.mayDecide(request.id, BOB);
      expect(result).toMatchObject({ ok: false, reason: 'already_decided', request: { status: 'expired' } });
      if (!result.ok)
        expect(decisionRefusal(result)).toBe(
          `${request.id} expired without a decision. Nothing was changed.`,
        );
      expect(ctx.mimecast.adds).toEqual([]);
      const audit = await ctx.store.listAudit({ requestId: request.id });
      expect(audit.map((e) => [e.actor, e.action, e.toStatus, e.details])).toEqual([
        [ALICE, 'submitted', 'pending', expect.anything()],
        ['system', 'expired', 'expired', { afterHours: 72, when: 'decision', triedBy: BOB }],
      ]);
      // The sweep finds nothing left to expire.
      expect((await ctx.service.sweep()).expired).toEqual([]);
    },
  );

  it.each(['ownerAllow', 'ownerRefuse'] as const)(
    'the mailbox owner’s %s on a request past its time expires it too (approval policy with consent)',
    async (verb) => {
      const route = {
        approverGroupIds: ['SAPP'],
        approvals: 1,
        channelId: 'CAPPROVALS',
        durationChoicesHours: [24],
        defaultDurationHours: 24,
        autoApprove: false,
      };
      const ctx = serviceFixture({
        approvalPolicy: {
          file: { path: 'policy.yml', sha256: 'f'.repeat(64) },
          defaults: { name: 'defaults', mailboxes: ['*'], owner: 'none', ...route },
          rules: [{ name: 'ceo', mailboxes: ['ceo@example.com'], owner: 'consent', ...route }],
        },
      });
      ctx.directory.owners.set('ceo@example.com', 'UCEO');
      const request = await pending(ctx, 'ceo@example.com');
      ctx.clock.advance(72 * HOUR);
      const answer =
        verb === 'ownerAllow'
          ? await ctx.service.ownerAllow(request.id, 'UCEO')
          : await ctx.service.ownerRefuse(request.id, 'UCEO', 'not my mailbox to give');
      expect(answer).toMatchObject({ ok: false, reason: 'already_decided', request: { status: 'expired' } });
      expect((await ctx.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
        action: 'expired',
        details: { when: 'decision', triedBy: 'UCEO' },
      });
      expect(ctx.mimecast.adds).toEqual([]);
    },
  );

  it('a minute before its time it is still decided as usual', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    ctx.clock.advance(72 * HOUR - 60_000);
    expect(await ctx.service.approve(request.id, BOB)).toMatchObject({ ok: true });
  });

  it('someone who may not decide it changes nothing, even past its time', async () => {
    const ctx = serviceFixture();
    const request = await pending(ctx);
    ctx.clock.advance(100 * HOUR);
    expect(await ctx.service.approve(request.id, 'UNOBODY')).toEqual({ ok: false, reason: 'not_approver' });
    expect((await ctx.store.getRequest(request.id))?.status).toBe('pending');
  });
});

describe('MAX_OPEN_REQUESTS (item 6)', () => {
  it('refuses the request past the limit, naming the limit and the open ones; counts only open ones', async () => {
    const ctx = serviceFixture({ maxOpenRequests: 3 });
    const made = [];
    for (const mailbox of ['a@example.com', 'b@example.com', 'c@example.com']) {
      made.push(await pending(ctx, mailbox));
      ctx.clock.advance(60_000);
    }
    const fourth = await ask(ctx, 'd@example.com');
    const open = made.map((r) => ({ id: r.id, mailbox: r.mailbox })).reverse();
    expect(fourth).toEqual({ ok: false, errors: { mailbox: { code: 'too_many_open', limit: 3, open } } });
    expect(wordsOf(fourth)?.mailbox).toBe(
      `You already have 3 open requests, the most one person may have (3): ${open.map((r) => `${r.id} (${r.mailbox})`).join(', ')}. ` +
        'Cancel one you no longer need with /delegate cancel, or wait until one is decided.',
    );
    // The form opens without reading the store; the limit is asked alongside, and its words replace the form.
    expect((await ctx.service.requestForm(ALICE)).ok).toBe(true);
    const full = await ctx.service.openRequestsFull(ALICE);
    expect(full).toEqual({ limit: 3, open });
    if (full) {
      expect(openRequestsFull.text(full)).toBe(
        'You already have 3 open requests, the most one person may have (3), so no request was started:\n' +
          `${open.map((r) => `• ${r.id}: ${r.mailbox}`).join('\n')}\n` +
          'Cancel one you no longer need with `/delegate cancel DR-…`, or wait until one is decided, then run `/delegate` again.',
      );
    }
    // Others are not limited by Alice's requests.
    expect(
      (await ctx.service.submit({ requesterId: BOB, mailbox: 'd@example.com', reason: 'cover' })).ok,
    ).toBe(true);
    // A decided request no longer counts.
    await ctx.service.deny(made[0]!.id, CAROL);
    expect((await ask(ctx, 'd@example.com')).ok).toBe(true);
    expect(await ctx.store.listRequests({ requesterId: ALICE })).toHaveLength(4);
  });

  it('a waiting request past its time does not count, even before the sweep expires it', async () => {
    const ctx = serviceFixture({ maxOpenRequests: 1 });
    await pending(ctx, 'a@example.com');
    expect((await ask(ctx, 'b@example.com')).ok).toBe(false);
    ctx.clock.advance(72 * HOUR);
    expect((await ask(ctx, 'b@example.com')).ok).toBe(true);
  });

  it('defaults to 5', async () => {
    const ctx = serviceFixture();
    for (const n of [1, 2, 3, 4, 5]) await pending(ctx, `box${n}@example.com`);
    expect(await ask(ctx, 'box6@example.com')).toMatchObject({
      ok: false,
      errors: { mailbox: { code: 'too_many_open', limit: 5 } },
    });
  });
});

describe('one form, one request (item 7)', () => {
  it('the same form submitted again answers with the first request and makes no second', async () => {
    const ctx = serviceFixture();
    const first = await ask(ctx, 'sales@example.com', { viewId: 'V0FORM1' });
    expect(first).toMatchObject({ ok: true, request: { viewId: 'V0FORM1' } });
    // Sent again, even for another mailbox (a replay with edited values): the first request is the answer.
    const again = await ask(ctx, 'info@example.com', { viewId: 'V0FORM1' });
    expect(again).toEqual({ ok: true, request: first.ok ? first.request : undefined, replayed: true });
    const other = await ctx.service.submit({
      requesterId: BOB,
      mailbox: 'info@example.com',
      reason: 'mine now',
      viewId: 'V0FORM1',
    });
    expect(other).toEqual({ ok: false, errors: { mailbox: { code: 'form_already_used' } } });
    expect(await ctx.store.listRequests({})).toHaveLength(1);
    expect((await ctx.store.listAudit({})).map((e) => e.action)).toEqual(['submitted']);
  });

  it('the same form at the same moment (two deliveries racing) makes one request', async () => {
    const ctx = serviceFixture();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => ask(ctx, 'sales@example.com', { viewId: 'V0RACE' })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(results.map((r) => (r.ok ? r.request.id : '')))).toHaveProperty('size', 1);
    expect(await ctx.store.listRequests({})).toHaveLength(1);
  });
});

describe('addresses that show differently from what is granted (item 8)', () => {
  it.each([
    '_ceo_@example.com',
    'ce*o*@example.com',
    '~ceo~@example.com',
    'c`e`o@example.com',
    'ceo_@example.com',
    'a__b@example.com',
  ])('refuses %s: Slack would format it', async (mailbox) => {
    const ctx = serviceFixture();
    const result = await ask(ctx, mailbox);
    expect(result).toEqual({ ok: false, errors: { mailbox: { code: 'formatting_characters' } } });
    expect(wordsOf(result)?.mailbox).toMatch(
      /^Slack would show this address differently from the one that gets access/,
    );
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it.each(['first_last@example.com', 'a_b_c@example.com'])('accepts %s', async (mailbox) => {
    const ctx = serviceFixture();
    expect((await ask(ctx, mailbox)).ok).toBe(true);
  });

  it.each([
    ['o.brien+sales@example.com', 'o.brien@example.com'],
    ['Sales+Q3@Example.com', 'sales@example.com'],
    ['sales+@example.com', 'sales@example.com'],
  ])('refuses %s, a tagged form of %s, naming the plain address; nothing is stored', async (typed, plain) => {
    const ctx = serviceFixture();
    const result = await ask(ctx, typed);
    expect(result).toEqual({
      ok: false,
      errors: { mailbox: { code: 'sub_addressed', mailbox: typed.toLowerCase(), plain } },
    });
    expect(wordsOf(result)?.mailbox).toBe(
      `${typed.toLowerCase()} is a tagged form of ${plain}: ask for ${plain} itself.`,
    );
    expect(await ctx.store.listRequests({})).toEqual([]);
  });

  it.each(['alice+x@example.com', 'ALICE+Y@Example.com', 'Alice@EXAMPLE.com', 'alice+@example.com'])(
    '%s is the requester’s own mailbox',
    async (mailbox) => {
      const ctx = serviceFixture();
      expect(await ask(ctx, mailbox)).toEqual({ ok: false, errors: { mailbox: { code: 'own_mailbox' } } });
    },
  );

  it('a grantee profile email that Slack would format is refused when the form opens and at submit', async () => {
    const ctx = serviceFixture();
    ctx.directory.email(ALICE, '_alice_@example.com');
    expect(await ctx.service.requestForm(ALICE)).toMatchObject({
      ok: false,
      reason: 'grantee_not_allowed',
      problem: { code: 'grantee_formatting', granteeEmail: '_alice_@example.com' },
    });
    expect(await ask(ctx)).toEqual({
      ok: false,
      errors: { mailbox: { code: 'grantee_formatting', granteeEmail: '_alice_@example.com' } },
    });
  });
});
