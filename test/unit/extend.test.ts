import { describe, expect, it } from 'vitest';
import type { TransitionInput, TransitionResult } from '../../src/requests/ports/index.js';
import { extendRefusal } from '../../src/slack/copy/approver.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FakeMimecast, fixedClock, serviceFixture } from '../support/fakes.js';

const HOUR = 3_600_000;
const ALICE = 'UALICE';
const BOB = 'UBOB';
const CAROL = 'UCAROL';

/** Runs `before` ahead of the next transition of that name: something landing between a read and a write. */
class RacingStore extends SqliteStore {
  before: { name: TransitionInput['name']; run: () => Promise<unknown> } | undefined;

  override async transition(input: TransitionInput): Promise<TransitionResult> {
    const racer = this.before;
    if (racer?.name === input.name) {
      this.before = undefined;
      await racer.run();
    }
    return super.transition(input);
  }
}

function setup() {
  const store = new RacingStore(':memory:');
  return { ...serviceFixture({ store, clock: fixedClock(), mimecast: new FakeMimecast() }), racing: store };
}
type Ctx = ReturnType<typeof setup>;

async function granted(ctx: Ctx) {
  const submitted = await ctx.service.submit({
    requesterId: ALICE,
    mailbox: 'sales@example.com',
    reason: 'cover',
    durationHours: 24,
  });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted.errors));
  await ctx.service.approve(submitted.request.id, BOB);
  const done = await ctx.service.provision(submitted.request.id);
  if (done?.status !== 'completed' || !done.expiresAt) throw new Error(`not completed: ${done?.status}`);
  return { ...done, expiresAt: done.expiresAt };
}

async function extensions(ctx: Ctx, id: string) {
  const audit = await ctx.store.listAudit({ requestId: id });
  return audit.filter((e) => e.action === 'extended').map((e) => ({ actor: e.actor, ...e.details }));
}

describe('extending under concurrency', () => {
  it('two approvers extending at once: both extensions land, one after the other', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    const [first, second] = await Promise.all([
      ctx.service.extend(grant.id, BOB, 24),
      ctx.service.extend(grant.id, CAROL, 168),
    ]);
    expect(first.ok && second.ok).toBe(true);
    const end = new Date(grant.expiresAt.getTime() + (24 + 168) * HOUR);
    expect(await ctx.store.getRequest(grant.id)).toMatchObject({ status: 'completed', expiresAt: end });
    const middle = new Date(grant.expiresAt.getTime() + 24 * HOUR);
    expect(await extensions(ctx, grant.id)).toEqual([
      { actor: BOB, hours: 24, from: grant.expiresAt.toISOString(), to: middle.toISOString() },
      { actor: CAROL, hours: 168, from: middle.toISOString(), to: end.toISOString() },
    ]);
  });

  it('an extension landing between the expiry sweep’s read and its removal wins: nothing is removed', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    ctx.clock.advance(25 * HOUR);
    ctx.racing.before = { name: 'startRemoval', run: () => ctx.service.extend(grant.id, CAROL, 168) };
    const report = await ctx.service.sweep();
    expect(report.removed).toEqual([]);
    const now = await ctx.store.getRequest(grant.id);
    expect(now).toMatchObject({ status: 'completed' });
    expect(now?.expiresAt?.getTime()).toBe(ctx.clock().getTime() + 168 * HOUR);
    expect(ctx.mimecast.removes).toEqual([]);
    const actions = (await ctx.store.listAudit({ requestId: grant.id })).map((e) => e.action);
    expect(actions).not.toContain('removal_started');
    // Once the extension runs out, the sweep removes it as usual.
    ctx.clock.advance(169 * HOUR);
    expect((await ctx.service.sweep()).removed).toEqual([grant.id]);
  });

  it('a revoke landing between the extension’s read and its write: the extension is refused, nothing comes back', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    ctx.racing.before = {
      name: 'extend',
      run: async () => {
        const permit = await ctx.service.authorizeAdmin('UADMIN', 'revoke', grant.id);
        if (!permit.ok) throw new Error('not an admin');
        return ctx.service.revoke(permit.permit, grant.id);
      },
    };
    const result = await ctx.service.extend(grant.id, CAROL, 168);
    expect(result).toMatchObject({ ok: false, reason: 'not_extendable', request: { status: 'removed' } });
    if (result.ok || result.reason !== 'not_extendable') throw new Error('unexpected');
    expect(extendRefusal(result.reason, result.request)).toBe(
      `${grant.id} can no longer be extended: its access has ended. Nothing was changed.`,
    );
    expect(await ctx.store.getRequest(grant.id)).toMatchObject({
      status: 'removed',
      expiresAt: grant.expiresAt,
    });
    expect(await extensions(ctx, grant.id)).toEqual([]);
  });

  it('a request that keeps changing: the extension gives up after a few tries and says so, nothing changed', async () => {
    const ctx = setup();
    const grant = await granted(ctx);
    const bump = async (): Promise<void> => {
      await ctx.store.patchRequest(grant.id, { remindedAt: ctx.clock() });
      ctx.racing.before = { name: 'extend', run: bump };
    };
    ctx.racing.before = { name: 'extend', run: bump };
    const result = await ctx.service.extend(grant.id, CAROL, 168);
    ctx.racing.before = undefined;
    expect(result).toEqual({ ok: false, reason: 'changed_meanwhile' });
    expect(extendRefusal('changed_meanwhile')).toBe(
      'The access changed while you extended it, so nothing was changed. Look at the card and try again.',
    );
    expect(await ctx.store.getRequest(grant.id)).toMatchObject({ expiresAt: grant.expiresAt });
    expect(await extensions(ctx, grant.id)).toEqual([]);
  });
});
