import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import type { DelegationRequest } from '../../src/requests/model.js';
import { NoticeDispatcher } from '../../src/requests/notice-dispatcher.js';
import type { Notice } from '../../src/store/store.js';
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
          },
          async gaveUp(notice: Notice, error: unknown) {
            events.push(`gave up ${notice.target}:${notice.event}: ${(error as Error).message}`);
          },
        },
      });
      await drain(dispatcher);
      expect(events, failure).toEqual(['gave up card:submitted: no', 'delivered dm:submitted']);
    }
  });
});
