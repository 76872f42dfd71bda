import { afterEach, describe, expect, it } from 'vitest';
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

/** The two things the scheduler asks of the service, counted; each sweep takes `sweepMs`. */
function fakeService(sweepMs = 0) {
  const calls = { sweeps: 0, reconciles: [] as number[] };
  const service = {
    async sweep() {
      calls.sweeps += 1;
      await new Promise((resolve) => setTimeout(resolve, sweepMs));
      return EMPTY;
    },
    async reconcileIfDue(intervalMs: number): Promise<ReconcileResult> {
      calls.reconciles.push(intervalMs);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { ok: false, reason: 'not_due' };
    },
  };
  // Only sweep and reconcileIfDue are used by the scheduler.
  return { service: service as unknown as RequestService, calls };
}

const schedulers: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.stop()));
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

const until = async (probe: () => boolean) => {
  const deadline = Date.now() + 2000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('the scheduler', () => {
  it('sweeps when woken for a check due before the next regular sweep, keeping the earliest wake', async () => {
    const { service, calls } = fakeService();
    const scheduler = start(service);
    await until(() => calls.sweeps === 1);
    scheduler.wake(new Date(Date.now() + 10_000));
    scheduler.wake(new Date(Date.now() + 40));
    scheduler.wake(new Date(Date.now() + 20_000));
    await until(() => calls.sweeps === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.sweeps).toBe(2);
  });

  it('runs a sweep asked for during one once more when it ends, and not before', async () => {
    const { service, calls } = fakeService(50);
    const scheduler = start(service);
    await until(() => calls.sweeps === 1);
    const first = scheduler.runOnce();
    const second = scheduler.runOnce();
    expect(calls.sweeps).toBe(1);
    await Promise.all([first, second]);
    expect(calls.sweeps).toBe(2);
  });

  it('asks for the reconciliation at start and on each tick, one at a time, never when it is off', async () => {
    const on = fakeService();
    const scheduler = start(on.service, 24 * 3_600_000);
    await until(() => on.calls.reconciles.length === 1);
    expect(on.calls.reconciles).toEqual([24 * 3_600_000]);
    // Asked while the first still runs: they share it.
    await Promise.all([scheduler.reconcileIfDue(), scheduler.reconcileIfDue()]);
    expect(on.calls.reconciles).toHaveLength(1);
    await scheduler.reconcileIfDue();
    expect(on.calls.reconciles).toHaveLength(2);

    const off = fakeService();
    const idle = start(off.service, 0);
    await until(() => off.calls.sweeps === 1);
    await idle.reconcileIfDue();
    expect(off.calls.reconciles).toEqual([]);
  });
});
