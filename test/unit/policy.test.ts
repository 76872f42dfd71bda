import { describe, expect, it } from 'vitest';
import {
  type ApprovalPolicy,
  mailboxMatches,
  type PolicyRule,
  progressOf,
  ruleFor,
  settingsPolicy,
} from '../../src/requests/policy.js';
import { serviceFixture } from '../support/fakes.js';

const ROUTE = {
  approverGroupIds: ['SAPP'],
  approvals: 1,
  channelId: 'CAPPROVALS',
  durationChoicesHours: [24, 168],
  defaultDurationHours: 24,
  owner: 'none' as const,
};

function rule(name: string, mailboxes: string[], extra: Partial<PolicyRule> = {}): PolicyRule {
  return { name, mailboxes, autoApprove: false, ...ROUTE, ...extra };
}

function policy(...rules: PolicyRule[]): ApprovalPolicy {
  return {
    file: { path: 'policy.yml', sha256: 'f'.repeat(64) },
    defaults: rule('defaults', ['*']),
    rules,
  };
}

describe('matching a mailbox to a rule', () => {
  it('ignores case, reads * as any characters (none too), and nothing else as special', () => {
    expect(mailboxMatches('CEO@Corp.Example', 'ceo@corp.example')).toBe(true);
    expect(mailboxMatches('ceo@corp.example', ' CEO@CORP.EXAMPLE ')).toBe(true);
    expect(mailboxMatches('board-*@corp.example', 'board-@corp.example')).toBe(true);
    expect(mailboxMatches('board-*@corp.example', 'board-minutes@corp.example')).toBe(true);
    expect(mailboxMatches('board-*@corp.example', 'board-x@corp.example.evil')).toBe(false);
    expect(mailboxMatches('board-*@corp.example', 'xboard-x@corp.example')).toBe(false);
    expect(mailboxMatches('*@help.corp.example', 'a@help.corp.example')).toBe(true);
    expect(mailboxMatches('*@help.corp.example', 'a@helpxcorp.example')).toBe(false);
    // Dots, pluses and other regular-expression characters mean themselves.
    expect(mailboxMatches('a.b+c@x.example', 'a.b+c@x.example')).toBe(true);
    expect(mailboxMatches('a.b+c@x.example', 'aXb+c@x.example')).toBe(false);
    expect(mailboxMatches('a.b+c@x.example', 'a.bbc@x.example')).toBe(false);
    expect(mailboxMatches('(a|b)@x.example', 'a@x.example')).toBe(false);
    expect(mailboxMatches('*', 'anyone@anywhere.example')).toBe(true);
    expect(mailboxMatches('*a*', 'bab@c.example')).toBe(true);
  });

  it('takes the first rule that matches, and the defaults when none does', () => {
    const p = policy(
      rule('vip', ['vip-*@corp.example']),
      rule('corp', ['*@corp.example']),
      rule('vip2', ['vip-a@corp.example']),
    );
    expect(ruleFor(p, 'vip-a@corp.example').name).toBe('vip');
    expect(ruleFor(p, 'sales@corp.example').name).toBe('corp');
    expect(ruleFor(p, 'sales@other.example').name).toBe('defaults');
  });

  it('without a file, the settings are the defaults and there are no rules', () => {
    const p = settingsPolicy({
      approverGroupIds: ['SAPP'],
      approvalChannelId: 'CAPP',
      durationChoicesHours: [24],
      defaultDurationHours: 24,
    });
    expect(p.file).toBeUndefined();
    expect(ruleFor(p, 'ceo@corp.example')).toMatchObject({
      name: 'defaults',
      approvals: 1,
      owner: 'none',
      channelId: 'CAPP',
    });
  });
});

describe('a quorum in the service (real store, fake Slack and Mimecast)', () => {
  const exec = rule('executives', ['ceo@example.com'], { approvals: 2, owner: 'consent' });

  async function pending(ctx: ReturnType<typeof serviceFixture>) {
    const result = await ctx.service.submit({
      requesterId: 'UALICE',
      mailbox: 'ceo@example.com',
      reason: 'Board',
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.request;
  }

  it('records each of 20 concurrent approvals once at most: exactly 2 count, one approves, one Mimecast add', async () => {
    const ctx = serviceFixture({
      approvalPolicy: policy(rule('executives', ['ceo@example.com'], { approvals: 2 })),
    });
    const approvers = Array.from({ length: 20 }, (_, i) => `UAPP${i}`);
    ctx.directory.member('SAPP', ...approvers);
    const request = await pending(ctx);
    const results = await Promise.all(approvers.map((id) => ctx.service.approve(request.id, id)));
    expect(results.filter((r) => r.ok && r.provisioning === undefined)).toHaveLength(1);
    expect(results.filter((r) => r.ok && r.provisioning !== undefined)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'already_decided')).toHaveLength(18);
    await ctx.service.idle();
    const done = await ctx.store.getRequest(request.id);
    expect(done?.status).toBe('completed');
    expect(done?.approvals).toHaveLength(2);
    expect(ctx.mimecast.adds).toHaveLength(1);
  });

  it('the same approver clicking twice at once is counted once', async () => {
    const ctx = serviceFixture({ approvalPolicy: policy(exec) });
    const request = await pending(ctx);
    const twice = await Promise.all([
      ctx.service.approve(request.id, 'UBOB'),
      ctx.service.approve(request.id, 'UBOB'),
    ]);
    expect(twice.map((r) => (r.ok ? 'recorded' : r.reason)).sort()).toEqual(['already_approved', 'recorded']);
    expect((await ctx.store.getRequest(request.id))?.approvals?.map((a) => a.by)).toEqual(['UBOB']);
  });

  it('the owner’s Allow and the last approval landing together approve once', async () => {
    const ctx = serviceFixture({ approvalPolicy: policy(exec) });
    ctx.directory.owners.set('ceo@example.com', 'UCEO');
    const request = await pending(ctx);
    expect(request.route?.ownerId).toBe('UCEO');
    await ctx.service.approve(request.id, 'UBOB');
    const [approval, allow] = await Promise.all([
      ctx.service.approve(request.id, 'UCAROL'),
      ctx.service.ownerAllow(request.id, 'UCEO'),
    ]);
    expect(approval.ok && allow.ok).toBe(true);
    expect([approval, allow].filter((r) => r.ok && r.provisioning !== undefined)).toHaveLength(1);
    await ctx.service.idle();
    const done = await ctx.store.getRequest(request.id);
    expect(done).toMatchObject({ status: 'completed', ownerAnswer: { answer: 'allowed', by: 'UCEO' } });
    expect(done && progressOf(done, done.route!)).toMatchObject({
      approvals: 2,
      needed: 2,
      owner: 'allowed',
    });
    expect(ctx.mimecast.adds).toHaveLength(1);
    expect(await ctx.service.ownerAllow(request.id, 'UCEO')).toMatchObject({
      ok: false,
      reason: 'already_decided',
    });
  });

  it('refuses the owner’s answer to anyone else, to a rule without consent, and twice', async () => {
    const ctx = serviceFixture({ approvalPolicy: policy(exec, rule('plain', ['sales@example.com'])) });
    ctx.directory.owners.set('ceo@example.com', 'UCEO');
    const request = await pending(ctx);
    expect(await ctx.service.ownerAllow(request.id, 'UBOB')).toEqual({ ok: false, reason: 'not_owner' });
    // Someone who sees only their own requests hears the same for no request as for another's mailbox.
    expect(await ctx.service.ownerAllow('DR-AAAAAA', 'UCEO')).toEqual({ ok: false, reason: 'not_owner' });
    await ctx.service.ownerAllow(request.id, 'UCEO');
    expect(await ctx.service.ownerAllow(request.id, 'UCEO')).toMatchObject({
      ok: false,
      reason: 'already_answered',
    });
    const plain = await ctx.service.submit({
      requesterId: 'UALICE',
      mailbox: 'sales@example.com',
      reason: 'Sales',
    });
    if (!plain.ok) throw new Error('submit failed');
    expect(await ctx.service.ownerAllow(plain.request.id, 'UCEO')).toEqual({
      ok: false,
      reason: 'not_owner',
    });
  });
});
