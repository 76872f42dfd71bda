import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, USERS } from '../support/harness.js';
import { PEOPLE, POLICY, startPolicyHarness } from '../support/policy.js';
import { run } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('/delegate policy and /delegate policy test', () => {
  it('shows admins every rule in plain words and the hash; refuses and audits others', async () => {
    h = await startPolicyHarness();
    const [loaded] = await h.bot.store.listAudit({});
    const hash = String(loaded?.details?.hash);
    const text = await run(h, USERS.admin.id, 'policy');
    expect(text).toContain(`sha256 \`${hash}\``);
    expect(text).toContain(
      [
        '*1. executives*: `ceo@example.com`, `board-*@example.com`, `former@example.com`',
        '• 2 approvals from different people from <!subteam^SSECURITY>; the card goes to <#CSECURITY>',
        "• the mailbox's owner must allow it too",
        '• durations: 4 hours or 1 day',
        '*2. hr*: `hr@example.com`',
        '• 1 approval from <!subteam^SAPPROVERS>; the card goes to <#CAPPROVALS>',
        "• the mailbox's owner is told of every grant, extension and removal",
        '• durations: 1 day, 7 days or Until revoked',
        '*3. support-inboxes*: `support@example.com`, `*@help.example.com`',
        '• only members of <!subteam^SSUPPORT> may ask',
        '• granted at once, with no approver (auto-approval); the card goes to <#CAPPROVALS> for information',
        '• durations: 1 day or 7 days',
        '*4. partners*: `*@partner.example`',
        '• refused, with: _Partner mailboxes are not delegated; ask IT._',
        '*Every other mailbox* (defaults)',
        '• 1 approval from <!subteam^SAPPROVERS>; the card goes to <#CAPPROVALS>',
        '• durations: 1 day or 7 days',
      ].join('\n'),
    );
    expect(await run(h, USERS.carol.id, 'policy')).toBe(
      '`/delegate policy` is for admins only, and you are not in an admin group. Nothing was changed. Ask an admin if this needs doing.',
    );
    const audit = (await h.bot.store.listAudit({})).filter((e) => e.action.startsWith('admin_command'));
    expect(audit.map((e) => [e.action, e.actor, e.details])).toEqual([
      ['admin_command', USERS.admin.id, { command: 'policy' }],
      ['admin_command_refused', USERS.carol.id, { command: 'policy' }],
    ]);
  });

  it('tests a mailbox for admins and approvers: the rule, the owner and what would happen, creating nothing', async () => {
    h = await startPolicyHarness();
    // Sam approves only for the executives' rule, and may test too.
    const ceo = await run(h, PEOPLE.sam.id, 'policy test CEO@example.com <@UALICE|alice>');
    expect(ceo).toMatch(
      /^\*ceo@example\.com\* falls under the rule \*executives\* \(sha256 `[0-9a-f]{12}…`\)\.\n/,
    );
    expect(ceo).toContain('• the owner is <@UCLEO>');
    expect(ceo).toContain('If <@UALICE> asks: it goes to the approvers, as above.\n_Nothing was created._');

    const board = await run(h, USERS.admin.id, 'policy test board-minutes@example.com');
    expect(board).toContain(
      '• no Slack user has this address (a shared mailbox, or someone who has left), so the approvers would decide alone',
    );
    expect(board).not.toContain('If ');

    expect(await run(h, USERS.admin.id, 'policy test support@example.com sid@example.com')).toContain(
      'If <@USID> asks: granted at once, with no approver.',
    );
    expect(await run(h, USERS.admin.id, 'policy test support@example.com UALICE')).toContain(
      'If <@UALICE> asks: refused in the form: "Requests for this mailbox are taken only from members of @support-team. Ask to join that group if you need this access."',
    );
    expect(await run(h, USERS.admin.id, 'policy test x@partner.example <@UALICE>')).toContain(
      'If <@UALICE> asks: refused in the form: "Partner mailboxes are not delegated; ask IT."',
    );
    expect(await run(h, USERS.admin.id, 'policy test sales@example.com <@UDAVE>')).toContain(
      'If <@UDAVE> asks: they may not ask: they are in no requester group (REQUESTER_GROUP_IDS).',
    );
    expect(await run(h, USERS.admin.id, 'policy test sales@example.com')).toMatch(
      /^No rule matches \*sales@example\.com\*, so the policy's defaults apply/,
    );
    expect(await run(h, USERS.admin.id, 'policy test sales@example.com nobody@nowhere.example')).toBe(
      'I cannot tell who would ask. Name them with a mention picked from the list, their user id (U…) or the email address on their Slack profile, like `/delegate policy test ceo@example.com alice@example.com`. Nothing was created.',
    );
    expect(await run(h, USERS.admin.id, 'policy test not-an-address')).toBe(
      'Give a mailbox address, and optionally who would ask: `/delegate policy test ceo@example.com @alice` (or their email address). Nothing was created.',
    );
    expect(await run(h, USERS.alice.id, 'policy test ceo@example.com')).toBe(
      '`/delegate policy test` is for admins and approvers, and you are neither. Nothing was done.',
    );

    expect(await h.bot.store.listRequests({})).toEqual([]);
    const audit = (await h.bot.store.listAudit({})).filter((e) => e.action.startsWith('admin_command'));
    expect(audit).toHaveLength(10);
    expect(audit[0]).toMatchObject({
      action: 'admin_command',
      actor: PEOPLE.sam.id,
      requestId: null,
      details: { command: 'policy test', target: 'CEO@example.com <@UALICE|alice>' },
    });
    expect(audit.at(-1)).toMatchObject({
      action: 'admin_command_refused',
      actor: USERS.alice.id,
      details: { command: 'policy test', target: 'ceo@example.com' },
    });
    await h.bot.idle();
    expect(h.sim.messages.filter((m) => !m.channel.startsWith('D'))).toEqual([]);
  });

  it('says "their own mailbox" as submit does: the profile email in any case or with a +tag', async () => {
    h = await startPolicyHarness();
    h.sim.addUser({ id: 'UTOM', name: 'tom', email: 'Tom+Slack@Example.com' });
    h.sim.setUsergroup('SREQUESTERS', [USERS.alice.id, 'UTOM']);
    expect(await run(h, USERS.admin.id, 'policy test tom@example.com <@UTOM>')).toContain(
      'If <@UTOM> asks: it is their own mailbox, so there is nothing to ask for.',
    );
    expect(await run(h, USERS.admin.id, 'policy test tom@example.com <@UALICE>')).toContain(
      'If <@UALICE> asks: it goes to the approvers, as above.',
    );
  });

  it('a tagged form of the requester\'s own address is their own mailbox, as at submit, not "a tagged form"', async () => {
    h = await startPolicyHarness();
    expect(await run(h, USERS.admin.id, 'policy test alice+x@example.com <@UALICE>')).toBe(
      '*alice+x@example.com* is <@UALICE>\'s own mailbox (their address with a +tag), so no rule applies: the form refuses it ("That is your own mailbox: you already have access to it."). Nothing was created.',
    );
    // Someone else asking for it hears of the tagged form, as before.
    expect(await run(h, USERS.admin.id, 'policy test alice+x@example.com <@UBOB>')).toContain(
      '*alice+x@example.com* is a tagged form of *alice@example.com*, so no rule applies',
    );
    await h.bot.idle();
    expect(await h.bot.store.listRequests({})).toEqual([]);
  });

  it('lists the policy commands in help for who may use them', async () => {
    h = await startPolicyHarness();
    const admin = await run(h, USERS.admin.id, 'help');
    expect(admin).toContain('• `/delegate policy` shows the approval policy, rule by rule, and its sha256');
    expect(admin).toContain('• `/delegate policy test someone@example.com [@requester]`');
    const approver = await run(h, USERS.carol.id, 'help');
    expect(approver).toContain(
      '*Approver commands*\n• `/delegate policy test someone@example.com [@requester]`',
    );
    expect(approver).not.toContain('`/delegate policy` shows');
    const requester = await run(h, USERS.alice.id, 'help');
    expect(requester).not.toContain('policy');
  });
});

describe('/delegate health and the policy', () => {
  it('warns when a rule’s approver groups have fewer members than its approvals', async () => {
    const policy = POLICY.replace('approvals: 2', 'approvals: 3');
    // Groups read afresh each time (no cache), so a change shows at once.
    h = await startPolicyHarness({ policy, env: { GROUP_CACHE_TTL_SECONDS: '0' } });
    const text = await run(h, USERS.admin.id, 'health');
    expect(text).toMatch(/\*Approval policy\*: `[^`]+policy\.yml` · sha256 `[0-9a-f]{12}…` · 4 rules/);
    expect(text).toContain(
      ':warning: Rule *executives* needs 3 approvals, but its approver groups (<!subteam^SSECURITY>) have 2 members: its requests could never be approved. Add approvers to the groups, or lower `approvals`.',
    );
    expect(text.match(/:warning: Rule/g)).toHaveLength(1);
    // Enough approvers: no warning.
    h.sim.setUsergroup('SSECURITY', [PEOPLE.sam.id, PEOPLE.sue.id, USERS.carol.id]);
    expect(await run(h, USERS.admin.id, 'health')).toContain(
      ':white_check_mark: every rule that needs approvers has enough of them',
    );
  });
});
