import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import type { ReconcileResult } from '../../src/requests/reconcile.js';
import { Scheduler } from '../../src/requests/scheduler.js';
import type { RequestService } from '../../src/requests/service.js';
import type { SweepReport } from '../../src/requests/sweep.js';

const EMPTY: SweepReport = {
  resumed: [],
  interrupted: [],
  removalsInterrupted: [],
  expired: [],
  reminded: [],
  removed: [],
  removalFailed: [],
  settle: { settled: [], retried: [], unresolved: [], checks: 0 },
  findingsAnnounced: 0,
  noticesPruned: 0,
};

/** A promise the test settles when it likes: a sweep or a reconciliation held open until then. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** The two things the scheduler asks of the service, counted; each waits for `holds` when one is set. */
function fakeService() {
  const calls = { sweeps: 0, reconciles: [] as number[] };
  const holds: { sweep?: Promise<void>; reconcile?: Promise<void> } = {};
  const service = {
    async sweep() {
      calls.sweeps += 1;
      await holds.sweep;
      return EMPTY;
    },
    async reconcileIfDue(intervalMs: number): Promise<ReconcileResult> {
      calls.reconciles.push(intervalMs);
      await holds.reconcile;
      return { ok: false, reason: 'not_due' };
    },
  };
  // Only sweep and reconcileIfDue are used by the scheduler.
  return { service: service as unknown as RequestService, calls, holds };
}

const schedulers: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.stop()));
  vi.useRealTimers();
});

function start(service: RequestService, reconcileIntervalMs = 0) {
  const scheduler = new Scheduler(service, {
    intervalMs: 60_000,
    logger: createMemoryLogger('silent').logger,
    reconcileIntervalMs,
  });
  schedulers.push(scheduler);
  scheduler.start();
  return scheduler;
}

describe('the scheduler', () => {
  it('sweeps when woken for a check due before the next regular sweep, keeping the earliest wake', async () => {
    // Timers and Date under the test's hand: each wake fires exactly when due, or never.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { service, calls } = fakeService();
    const scheduler = start(service);
    expect(calls.sweeps).toBe(1);
    scheduler.wake(new Date(Date.now() + 10_000));
    scheduler.wake(new Date(Date.now() + 40));
    scheduler.wake(new Date(Date.now() + 20_000));
    await vi.advanceTimersByTimeAsync(39);
    expect(calls.sweeps).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.sweeps).toBe(2);
    // The later wakes were dropped for the earlier one: nothing more until the regular sweep.
    await vi.advanceTimersByTimeAsync(60_000 - 40 - 1);
    expect(calls.sweeps).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.sweeps).toBe(3);
  });

  it('runs a sweep asked for during one once more when it ends, and not before', async () => {
    const { service, calls, holds } = fakeService();
    const first = gate();
    holds.sweep = first.opened;
    const scheduler = start(service);
    expect(calls.sweeps).toBe(1);
    const asked = scheduler.runOnce();
    const askedAgain = scheduler.runOnce();
    await Promise.resolve();
    expect(calls.sweeps).toBe(1);
    delete holds.sweep;
    first.open();
    await Promise.all([asked, askedAgain]);
    expect(calls.sweeps).toBe(2);
  });

  it('asks for the reconciliation at start and on each tick, one at a time, never when it is off', async () => {
    const on = fakeService();
    const first = gate();
    on.holds.reconcile = first.opened;
    const scheduler = start(on.service, 24 * 3_600_000);
    expect(on.calls.reconciles).toEqual([24 * 3_600_000]);
    // Asked while the first still runs: they share it.
    const shared = Promise.all([scheduler.reconcileIfDue(), scheduler.reconcileIfDue()]);
    delete on.holds.reconcile;
    first.open();
    await shared;
    expect(on.calls.reconciles).toHaveLength(1);
    await scheduler.reconcileIfDue();
    expect(on.calls.reconciles).toHaveLength(2);

    const off = fakeService();
    const idle = start(off.service, 0);
    expect(off.calls.sweeps).toBe(1);
    await idle.reconcileIfDue();
    expect(off.calls.reconciles).toEqual([]);
  });
});
