import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import type { DelegationRequest } from '../../src/requests/model.js';
import { NoticeDispatcher } from '../../src/requests/notice-dispatcher.js';
import type { NewNotice, Notice } from '../../src/requests/notices.js';
import { serviceFixture } from '../support/fakes.js';

function recordingDispatcher(ctx: ReturnType<typeof serviceFixture>, failFirst = 0) {
  const delivered: string[] = [];
  let failures = failFirst;
  const dispatcher = new NoticeDispatcher({
    store: ctx.store,
    clock: ctx.clock,
    logger: createMemoryLogger('silent').logger,
    deliverer: {
      async deliver(notice: Notice, current: DelegationRequest) {
        if (failures > 0) {
          failures -= 1;
          throw Object.assign(new Error('ratelimited'), { retryAfterMs: 30_000 });
        }
        delivered.push(`${notice.target}:${notice.event}:${current.status}`);
        return undefined;
      },
    },
  });
  return { dispatcher, delivered };
}

/** A fixture with Alice's request submitted: its card and confirmation DM are queued. */
async function aliceSubmitted() {
  const ctx = serviceFixture();
  const result = await ctx.service.submit({
    requesterId: 'UALICE',
    mailbox: 'sales@example.com',
    reason: 'cover',
  });
  if (!result.ok) throw new Error('submit failed');
  return { ctx, request: result.request };
}

async function drain(dispatcher: NoticeDispatcher) {
  dispatcher.kick();
  await dispatcher.idle();
}

describe('NoticeDispatcher', () => {
  it('delivers in order, and skips a card update that a later one supersedes', async () => {
    const { ctx, request } = await aliceSubmitted();
    await ctx.service.approve(request.id, 'UBOB');
    await ctx.service.provision(request.id);
    const { dispatcher, delivered } = recordingDispatcher(ctx);
    await drain(dispatcher);
    expect(delivered).toEqual([
      'dm:submitted:completed',
      'card:provisioned:completed',
      'thread:provisioned:completed',
      'dm:provisioned:completed',
    ]);
  });

  it('retries a failed delivery after the wait Slack asked for, then goes on in order', async () => {
    const { ctx } = await aliceSubmitted();
    const { dispatcher, delivered } = recordingDispatcher(ctx, 1);
    await drain(dispatcher);
    expect(delivered).toEqual([]);
    ctx.clock.advance(29_999);
    await drain(dispatcher);
    expect(delivered).toEqual([]);
    ctx.clock.advance(1);
    await drain(dispatcher);
    expect(delivered).toEqual(['card:submitted:pending', 'dm:submitted:pending']);
  });

  it('gives up after a permanent failure or the last attempt, telling the deliverer before going on', async () => {
    for (const failure of ['permanent', 'last attempt'] as const) {
      const { ctx } = await aliceSubmitted();
      const events: string[] = [];
      const dispatcher = new NoticeDispatcher({
        store: ctx.store,
        clock: ctx.clock,
        logger: createMemoryLogger('silent').logger,
        maxAttempts: 1,
        isPermanentFailure: (error) => (error as { permanent?: boolean }).permanent === true,
        deliverer: {
          async deliver(notice: Notice) {
            if (notice.target === 'card') {
              throw Object.assign(new Error('no'), { permanent: failure === 'permanent' });
            }
            events.push(`delivered ${notice.target}:${notice.event}`);
            return undefined;
          },
          async gaveUp(notice: Notice, error: unknown) {
            events.push(`gave up ${notice.target}:${notice.event}: ${(error as Error).message}`);
            return undefined;
          },
        },
      });
      await drain(dispatcher);
      expect(events, failure).toEqual(['gave up card:submitted: no', 'delivered dm:submitted']);
    }
  });
});

describe('NoticeDispatcher records what the delivery reports', () => {
  it('keeps the card the delivery posted, and clears an earlier card problem', async () => {
    const { ctx, request } = await aliceSubmitted();
    await ctx.store.patchRequest(request.id, { cardProblem: 'not_in_channel' });
    const seen: (DelegationRequest['card'] | undefined)[] = [];
    const dispatcher = new NoticeDispatcher({
      store: ctx.store,
      clock: ctx.clock,
      logger: createMemoryLogger('silent').logger,
      deliverer: {
        async deliver(notice: Notice, current: DelegationRequest) {
          seen.push(current.card);
          return notice.target === 'card' ? { card: { channel: 'CAPPROVALS', ts: '1.000100' } } : undefined;
        },
      },
    });
    await drain(dispatcher);
    // The DM that follows the card already sees it.
    expect(seen).toEqual([undefined, { channel: 'CAPPROVALS', ts: '1.000100' }]);
    const stored = await ctx.store.getRequest(request.id);
    expect(stored?.card).toEqual({ channel: 'CAPPROVALS', ts: '1.000100' });
    expect(stored?.cardProblem).toBeUndefined();
  });

  it('keeps the card problem a delivery reports when it gives up, before the next notice goes out', async () => {
    const { ctx, request } = await aliceSubmitted();
    const problems: (string | undefined)[] = [];
    const dispatcher = new NoticeDispatcher({
      store: ctx.store,
      clock: ctx.clock,
      logger: createMemoryLogger('silent').logger,
      isPermanentFailure: () => true,
      deliverer: {
        async deliver(notice: Notice, current: DelegationRequest) {
          if (notice.target === 'card') throw new Error('not_in_channel');
          problems.push(current.cardProblem);
          return undefined;
        },
        async gaveUp(_notice: Notice, _error: unknown, current: DelegationRequest | undefined) {
          return current && !current.card ? { cardProblem: 'not_in_channel' } : undefined;
        },
      },
    });
    await drain(dispatcher);
    expect(problems).toEqual(['not_in_channel']);
    expect((await ctx.store.getRequest(request.id))?.cardProblem).toBe('not_in_channel');
  });

  it('gives up on a stored notice whose event it does not know, loudly, and goes on with the next', async () => {
    const ctx = serviceFixture();
    const { logger, lines } = createMemoryLogger('debug');
    const at = ctx.clock();
    const request: DelegationRequest = {
      id: 'DR-7KQ2M9',
      status: 'pending',
      requesterId: 'UALICE',
      granteeEmail: 'alice@example.com',
      mailbox: 'sales@example.com',
      reason: 'cover',
      durationHours: 24,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    // As another version of the bot (or a typo) could have written them.
    const unknown = [
      { target: 'thread', event: 'aproved' },
      { target: 'dm', event: 'extended', data: { hours: 24 } },
      { target: 'card', event: 'submitted' },
    ] as unknown as NewNotice[];
    await ctx.store.createRequest(
      request,
      { requestId: request.id, actor: 'UALICE', action: 'submitted' },
      unknown,
    );
    const delivered: string[] = [];
    const dispatcher = new NoticeDispatcher({
      store: ctx.store,
      clock: ctx.clock,
      logger,
      deliverer: {
        async deliver(notice: Notice) {
          delivered.push(`${notice.target}:${notice.event}`);
          return undefined;
        },
      },
    });
    await drain(dispatcher);
    expect(delivered).toEqual(['card:submitted']);
    const errors = lines.map((line) => JSON.parse(line) as { level: number; msg: string; problem?: string });
    expect(errors.filter((line) => line.level >= 50)).toEqual([
      expect.objectContaining({
        msg: 'notice cannot be read; giving up',
        problem: 'unknown thread notice event "aproved"',
      }),
      expect.objectContaining({
        msg: 'notice cannot be read; giving up',
        problem: expect.stringMatching(/^bad data for dm notice event extended: by /),
      }),
    ]);
    expect(await ctx.store.dueNotices(ctx.clock(), 10)).toEqual([]);
  });
});
