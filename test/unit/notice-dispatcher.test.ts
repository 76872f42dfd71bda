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

async function drain(dispatcher: NoticeDispatcher) {
  dispatcher.kick();
  await dispatcher.idle();
}

describe('NoticeDispatcher', () => {
  it('delivers in order, and skips a card update that a later one supersedes', async () => {
    const ctx = serviceFixture();
    const submitted = await ctx.service.submit({
      requesterId: 'UALICE',
      mailbox: 'sales@example.com',
      reason: 'cover',
    });
    if (!submitted.ok) throw new Error('submit failed');
    await ctx.service.approve(submitted.request.id, 'UBOB');
    await ctx.service.provision(submitted.request.id);
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
    const ctx = serviceFixture();
    const submitted = await ctx.service.submit({
      requesterId: 'UALICE',
      mailbox: 'sales@example.com',
      reason: 'cover',
    });
    if (!submitted.ok) throw new Error('submit failed');
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
});
