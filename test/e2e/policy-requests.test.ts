import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addCalls,
  type Harness,
  startHarness,
  submitRequest,
  textOf,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import {
  cardIn,
  durationBlockOf,
  latest,
  PEOPLE,
  POLICY_MAILBOXES,
  requestUnderPolicy,
  SECURITY_CHANNEL,
  seedPolicyWorkspace,
  startPolicyHarness,
} from '../support/policy.js';
import { run } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Opens the form, types the mailbox; returns the form and the answer to the submission. */
async function submitForm(
  userId: string,
  mailbox: string,
  extra: Record<string, Record<string, string>> = {},
): Promise<{ body: { response_action?: string; errors?: Record<string, string> } | undefined }> {
  const command = await h.driver.command(userId, '/delegate', mailbox);
  const view = await h.sim.viewOpenedWith(command.triggerId);
  const submitted = await h.driver.submitView(userId, view, { reason: { reason_input: 'Needed' }, ...extra });
  return {
    body: submitted.json as { response_action?: string; errors?: Record<string, string> } | undefined,
  };
}

describe('policy rules at submit', () => {
  it('auto-approval: granted at once for the rule’s requesters, the rule named as approver; the card informs, with Revoke', async () => {
    h = await startPolicyHarness();
    const request = await requestUnderPolicy(
      h,
      PEOPLE.sid.id,
      'queue@help.example.com',
      'Covering support',
      '168',
    );
    expect(request.route).toMatchObject({ rule: 'support-inboxes', autoApproved: true });
    const done = await waitForStatus(h, request.id, 'completed');
    expect(done).toMatchObject({ decidedBy: 'policy:support-inboxes', durationHours: 168 });
    expect(addCalls(h)).toHaveLength(1);
    const card = await cardIn(h, 'CAPPROVALS', request.id);
    const shown = await h.sim.waitFor(() =>
      textOf(latest(h, card)).includes('access granted') ? latest(h, card) : undefined,
    );
    expect(textOf(shown)).toContain(
      'Granted at once by the policy rule *support-inboxes* for its requesters: this card is for information. An admin can revoke the access.',
    );
    expect(textOf(shown)).toContain('Approved by the policy rule *support-inboxes*');
    expect(JSON.stringify(shown.blocks)).toContain('"action_id":"revoke_access"');
    expect(JSON.stringify(shown.blocks)).not.toContain('approve_request');
    const audit = await h.bot.store.listAudit({ requestId: request.id });
    expect(audit.map((e) => `${e.action}:${e.actor}`)).toEqual([
      'submitted:USID',
      'approved:policy:support-inboxes',
      'provisioning_started:system',
      'provisioned:system',
    ]);
    expect(audit[1]?.details).toEqual({ rule: 'support-inboxes', autoApproved: true });
    // The requester hears of the grant, not "with the approvers".
    await h.bot.idle();
    const dms = h.sim.dmsTo(PEOPLE.sid.id).map((m) => m.text);
    expect(dms).toHaveLength(1);
    expect(dms[0]).toContain(`:white_check_mark: Your request *${request.id}* was approved`);
    expect(h.sim.problems).toEqual([]);
  });

  it('requesters narrowing: someone outside the rule’s groups is told which group, on the mailbox field', async () => {
    h = await startPolicyHarness();
    const { body } = await submitForm(USERS.alice.id, 'support@example.com');
    expect(body).toEqual({
      response_action: 'errors',
      errors: {
        mailbox:
          'Requests for this mailbox are taken only from members of @support-team. Ask to join that group if you need this access.',
      },
    });
    expect(await h.bot.store.listRequests({})).toEqual([]);
    expect(h.sim.callsTo('usergroups.list')).toHaveLength(1);
    // Still within REQUESTER_GROUP_IDS: a member of the rule's group who is no requester may not ask.
    h.sim.addUser({ id: 'USUPONLY', name: 'supportonly', email: 'so@example.com' });
    h.sim.setUsergroup('SSUPPORT', [PEOPLE.sid.id, 'USUPONLY']);
    const outsider = await h.driver.command('USUPONLY', '/delegate', 'support@example.com');
    const said = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === outsider.responseUrl));
    expect(String(said.body.text)).toContain(
      'You are not in a group that may request mailbox delegate access',
    );
  });

  it('a deny rule refuses with its text on the mailbox field, and nothing is stored', async () => {
    h = await startPolicyHarness();
    const { body } = await submitForm(USERS.alice.id, 'Someone@Partner.example');
    expect(body).toEqual({
      response_action: 'errors',
      errors: { mailbox: 'Partner mailboxes are not delegated; ask IT.' },
    });
    expect(await h.bot.store.listRequests({})).toEqual([]);
    expect(await h.bot.store.listAudit({})).toEqual([expect.objectContaining({ action: 'policy_loaded' })]);
  });

  it('a +tag mailbox does not escape its rule: refused naming the plain address, at submit, in the form and in policy test', async () => {
    const policy = `rules:
  - name: executives
    mailboxes: [ceo@example.com]
    approvers: [SSECURITY]
    approvals: 2
    owner: consent
    requesters: [SREQUESTERS]
  - name: closed
    mailboxes: [hr@example.com]
    deny: HR mailboxes are not delegated; ask HR.
`;
    h = await startPolicyHarness({ policy });
    const words = (typed: string, plain: string) =>
      `${typed} is a tagged form of ${plain}: ask for ${plain} itself.`;
    // `/delegate <address>` pre-fills the form; submitting it is refused on the mailbox field.
    for (const [typed, plain] of [
      ['CEO+x@example.com', 'ceo@example.com'],
      ['hr+anything@example.com', 'hr@example.com'],
    ] as const) {
      const { body } = await submitForm(USERS.alice.id, typed);
      expect(body).toEqual({
        response_action: 'errors',
        errors: { mailbox: words(typed.toLowerCase(), plain) },
      });
    }
    // The pre-filled form already says so, instead of the defaults' single approver.
    const prefilled = await h.driver.command(USERS.bob.id, '/delegate', 'ceo+board@example.com');
    const opened = await h.sim.viewOpenedWith(prefilled.triggerId);
    expect(textOf({ text: '', blocks: opened.view.blocks })).toContain(
      `:no_entry: ${words('ceo+board@example.com', 'ceo@example.com')}`,
    );
    // Enter in the form's mailbox field (dispatch_action): the same words.
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(command.triggerId);
    await h.driver.enterInView(USERS.alice.id, form, 'mailbox', 'ceo+x@example.com');
    await h.bot.idle();
    const updated = h.sim.findView(form.id);
    if (!updated) throw new Error('form gone');
    const shown = textOf({ text: '', blocks: updated.view.blocks });
    expect(shown).toContain(`:no_entry: ${words('ceo+x@example.com', 'ceo@example.com')}`);
    expect(shown).not.toContain('1 approver');
    // `/delegate policy test` names the plain address to test instead.
    expect(await run(h, USERS.admin.id, 'policy test ceo+x@example.com <@UALICE>')).toBe(
      `*ceo+x@example.com* is a tagged form of *ceo@example.com*, so no rule applies: the form refuses it ("${words('ceo+x@example.com', 'ceo@example.com')}"). Test the plain address: \`/delegate policy test ceo@example.com\`. Nothing was created.`,
    );
    // Nothing was stored, asked of Mimecast, or posted to the approvers.
    expect(await h.bot.store.listRequests({})).toEqual([]);
    expect((await h.bot.store.listAudit({})).filter((e) => !e.action.startsWith('admin_command'))).toEqual([
      expect.objectContaining({ action: 'policy_loaded' }),
    ]);
    expect(addCalls(h)).toEqual([]);
    await h.bot.idle();
    expect(h.sim.messages.filter((m) => !m.channel.startsWith('D'))).toEqual([]);
  });

  it('durations per rule: Enter in the mailbox field shows the rule’s choices; submit checks again', async () => {
    h = await startPolicyHarness();
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(command.triggerId);
    // The form as first opened: the view record changes with every update.
    const before = structuredClone(form.view);
    const mailboxBlock = (
      form.view.blocks as { block_id: string; dispatch_action?: boolean; element: object }[]
    )[1];
    expect(mailboxBlock).toMatchObject({
      block_id: 'mailbox',
      dispatch_action: true,
      element: { dispatch_action_config: { trigger_actions_on: ['on_enter_pressed'] } },
    });
    expect(durationBlockOf(form)).toBe('duration');
    expect(optionsOf(form, 'duration')).toEqual(['24', '168']);

    const entered = await h.driver.enterInView(USERS.alice.id, form, 'mailbox', 'CEO@example.com');
    expect(entered.status).toBe(200);
    await h.bot.idle();
    const [update] = h.sim.callsTo('views.update');
    expect(update).toMatchObject({ ok: true, args: { view_id: form.id, hash: before.hash } });
    const updated = h.sim.findView(form.id);
    if (!updated) throw new Error('form gone');
    expect(durationBlockOf(updated)).toBe('duration.4-24');
    expect(optionsOf(updated, 'duration.4-24')).toEqual(['4', '24']);
    expect(textOf({ text: '', blocks: updated.view.blocks })).toContain(
      "2 approvers in <#CSECURITY> must approve. The mailbox's owner is asked too, and must allow it.",
    );
    expect(JSON.stringify(updated.view.blocks)).toContain('"initial_value":"ceo@example.com"');

    // Whatever the form showed, the choice is checked again: 7 days is not the executives' rule's.
    const forged = await h.driver.send(
      new URLSearchParams({
        payload: JSON.stringify({
          type: 'view_submission',
          team: { id: h.sim.teamId },
          user: { id: USERS.alice.id },
          api_app_id: h.sim.appId,
          trigger_id: h.sim.createTrigger({ userId: USERS.alice.id, viewId: form.id }),
          view: {
            ...before,
            state: {
              values: {
                mailbox: { mailbox_input: { type: 'email_text_input', value: 'ceo@example.com' } },
                reason: { reason_input: { type: 'plain_text_input', value: 'Board pack' } },
                duration: {
                  duration_select: {
                    type: 'static_select',
                    selected_option: { text: { type: 'plain_text', text: '7 days' }, value: '168' },
                  },
                },
              },
            },
          },
        }),
      }).toString(),
    );
    expect(forged.json).toEqual({
      response_action: 'errors',
      errors: { duration: 'Choose one of the offered durations. For this mailbox: 4 hours or 1 day.' },
    });
    expect(await h.bot.store.listRequests({})).toEqual([]);

    const submitted = await h.driver.submitView(USERS.alice.id, updated, {
      reason: { reason_input: 'Board pack' },
      'duration.4-24': { duration_select: '4' },
    });
    expect(submitted.json).toMatchObject({ response_action: 'update' });
    const [request] = await h.bot.store.listRequests({});
    expect(request).toMatchObject({
      mailbox: 'ceo@example.com',
      durationHours: 4,
      route: { rule: 'executives' },
    });
    expect(h.sim.problems).toEqual([]);
  });

  it('two quick Enters: the stale one is refused by Slack (hash_conflict) and the bot carries on', async () => {
    h = await startPolicyHarness();
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(command.triggerId);
    await Promise.all([
      h.driver.enterInView(USERS.alice.id, form, 'mailbox', 'ceo@example.com'),
      h.driver.enterInView(USERS.alice.id, form, 'mailbox', 'hr@example.com'),
    ]);
    await h.bot.idle();
    expect(
      h.sim
        .callsTo('views.update')
        .map((c) => c.error ?? 'ok')
        .sort(),
    ).toEqual(['hash_conflict', 'ok']);
    expect(h.logLines.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);
  });

  it('a mailbox field action that is not from the request form (or unreadable) changes nothing', async () => {
    h = await startPolicyHarness();
    const action = (view: unknown) =>
      h.driver.send(
        new URLSearchParams({
          payload: JSON.stringify({
            type: 'block_actions',
            user: { id: USERS.alice.id },
            api_app_id: h.sim.appId,
            team: { id: h.sim.teamId },
            trigger_id: h.sim.createTrigger({ userId: USERS.alice.id }),
            container: { type: 'view', view_id: 'V0FORGED' },
            ...(view ? { view } : {}),
            actions: [
              {
                type: 'email_text_input',
                block_id: 'mailbox',
                action_id: 'mailbox_input',
                value: 'ceo@example.com',
              },
            ],
          }),
        }).toString(),
      );
    expect((await action(undefined)).status).toBe(200);
    expect((await action({ id: 'V0FORGED', hash: 'h', callback_id: 'something_else' })).status).toBe(200);
    await h.bot.idle();
    expect(h.sim.callsTo('views.update')).toEqual([]);
    const warnings = h.logLines
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === 'unreadable mailbox field action');
    expect(warnings).toHaveLength(2);
  });

  it('an address that is not one yet leaves the form as it is', async () => {
    h = await startPolicyHarness();
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(command.triggerId);
    await h.driver.enterInView(USERS.alice.id, form, 'mailbox', 'ceo@');
    await h.bot.idle();
    expect(h.sim.callsTo('views.update')).toEqual([]);
  });

  it('the first matching rule wins, ignoring case; unmatched mailboxes get the defaults', async () => {
    const policy = `rules:
  - name: vip
    mailboxes: ["VIP-*@example.com"]
    approvals: 2
  - name: company
    mailboxes: ["*@example.com"]
    durations: [12h]
`;
    h = await startPolicyHarness({ policy });
    h.mimecast.addMailbox('vip-ops@example.com');
    h.mimecast.addMailbox('shared@other.example');
    const vip = await requestUnderPolicy(h, USERS.alice.id, 'Vip-Ops@EXAMPLE.com', 'Ops', '24');
    const company = await requestUnderPolicy(h, USERS.bob.id, 'sales@example.com', 'Sales', '12');
    const other = await requestUnderPolicy(h, PEOPLE.sam.id, 'shared@other.example', 'Shared', '24');
    expect([vip, company, other].map((r) => [r.mailbox, r.route?.rule, r.route?.approvals])).toEqual([
      ['vip-ops@example.com', 'vip', 2],
      ['sales@example.com', 'company', 1],
      ['shared@other.example', 'defaults', 1],
    ]);
    expect(vip.route?.durationChoicesHours).toEqual([24, 168, 720]);
    expect(company.durationHours).toBe(12);
  });
});

describe('a request keeps the rule it was made under', () => {
  it('is decided by its rule even when the policy changes before it is, and the change is audited at start', async () => {
    h = await startPolicyHarness();
    const first = await h.bot.store.listAudit({});
    expect(first).toEqual([
      expect.objectContaining({
        action: 'policy_loaded',
        actor: 'system',
        details: {
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
          path: (h as Harness & { policyPath: string }).policyPath,
          rules: ['executives', 'hr', 'support-inboxes', 'partners'],
        },
      }),
    ]);
    const oldHash = first[0]?.details?.hash;
    const request = await requestUnderPolicy(
      h,
      USERS.alice.id,
      'board-minutes@example.com',
      'Board pack',
      '4',
    );
    const card = await cardIn(h, SECURITY_CHANNEL, request.id);
    await h.driver.clickButton(PEOPLE.sam.id, card, 'approve_request');
    await h.bot.idle();

    // The executives now need one approval, from the settings' approvers; the request keeps its two.
    const path = (h as Harness & { policyPath: string }).policyPath;
    writeFileSync(path, 'rules:\n  - name: executives\n    mailboxes: ["board-*@example.com"]\n');
    await h.stopBot();
    h = await startHarness({
      env: { POLICY_PATH: path },
      reuse: { sim: h.sim, mimecast: h.mimecast, databasePath: h.databasePath },
    });
    const changed = (await h.bot.store.listAudit({})).filter((e) => e.action.startsWith('policy_'));
    expect(changed.map((e) => e.action)).toEqual(['policy_loaded', 'policy_changed']);
    expect(changed[1]?.details).toMatchObject({
      previousHash: oldHash,
      hash: expect.not.stringMatching(String(oldHash)),
    });

    const carol = await h.bot.service.approve(request.id, USERS.carol.id);
    expect(carol).toEqual({ ok: false, reason: 'not_approver' });
    const sue = await h.bot.service.approve(request.id, PEOPLE.sue.id);
    expect(sue.ok && sue.provisioning !== undefined).toBe(true);
    await waitForStatus(h, request.id, 'completed');

    // A restart with the same file records nothing more.
    await h.stopBot();
    h = await startHarness({
      env: { POLICY_PATH: path },
      reuse: { sim: h.sim, mimecast: h.mimecast, databasePath: h.databasePath },
    });
    expect((await h.bot.store.listAudit({})).filter((e) => e.action.startsWith('policy_'))).toHaveLength(2);
  });
});

describe('where requests show', () => {
  it('App Home shows each approver only what they may decide; /delegate pending names each request’s rule', async () => {
    h = await startPolicyHarness();
    const exec = await requestUnderPolicy(h, USERS.alice.id, 'board-minutes@example.com', 'Board pack', '4');
    const plain = await requestUnderPolicy(h, USERS.bob.id, 'sales@example.com', 'Sales', '24');
    await h.driver.event({ type: 'app_home_opened', user: PEOPLE.sam.id, tab: 'home' });
    await h.driver.event({ type: 'app_home_opened', user: USERS.carol.id, tab: 'home' });
    await h.bot.idle();
    const home = (userId: string) => JSON.stringify(h.sim.homeViews.get(userId)?.view.blocks);
    expect(home(PEOPLE.sam.id)).toContain(`queue:${exec.id}`);
    expect(home(PEOPLE.sam.id)).not.toContain(`queue:${plain.id}`);
    expect(home(USERS.carol.id)).toContain(`queue:${plain.id}`);
    expect(home(USERS.carol.id)).not.toContain(`queue:${exec.id}`);

    const command = await h.driver.command(USERS.admin.id, '/delegate', 'pending');
    const answer = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === command.responseUrl));
    const text = String(answer.body.text);
    expect(text).toContain(
      `\`${exec.id}\` alice@example.com → board-minutes@example.com · Waiting for an approver · rule *executives*, 0 of 2 approvals`,
    );
    expect(text).toContain(
      `\`${plain.id}\` bob@example.com → sales@example.com · Waiting for an approver · rule *defaults*`,
    );
  });

  it('without POLICY_PATH the form has no dispatch and requests keep no rule', async () => {
    h = await startHarness({ mimecast: { mailboxes: POLICY_MAILBOXES } });
    seedPolicyWorkspace(h);
    const command = await h.driver.command(USERS.alice.id, '/delegate', 'ceo@example.com');
    const form = await h.sim.viewOpenedWith(command.triggerId);
    expect(JSON.stringify(form.view.blocks)).not.toContain('dispatch_action');
    const request = await submitRequest(h, USERS.alice.id, 'ceo@example.com');
    expect(request.route).toBeUndefined();
    expect((await h.bot.store.listAudit({ requestId: request.id }))[0]?.details).toEqual({
      granteeEmail: 'alice@example.com',
      mailbox: 'ceo@example.com',
      durationHours: 24,
    });
    expect(await h.bot.store.lastAuditEvent(['policy_loaded', 'policy_changed'])).toBeUndefined();
    expect(h.sim.callsTo('users.lookupByEmail')).toEqual([]);
  });
});

function optionsOf(view: { view: { blocks?: unknown } }, blockId: string): string[] {
  const blocks = view.view.blocks as { block_id: string; element: { options?: { value: string }[] } }[];
  return blocks.find((b) => b.block_id === blockId)?.element.options?.map((o) => o.value) ?? [];
}
