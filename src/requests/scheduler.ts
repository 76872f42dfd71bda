import type { Logger } from '../logger.js';
import type { Clock } from './ports/index.js';
import type { RequestService } from './service.js';

export interface SchedulerOptions {
  /** How often the lifecycle sweep runs. */
  intervalMs: number;
  logger: Logger;
  clock?: Clock;
  /** How often the bot's records are checked against Mimecast (RECONCILE_INTERVAL_HOURS); 0: never. */
  reconcileIntervalMs?: number;
}

/**
 * Runs the lifecycle sweep on a timer: Mimecast work other processes left, reminders, pending
 * expiry, grant expiry, removal retries and the checks of unknown outcomes; and, when its interval has
 * passed, the reconciliation with Mimecast. What is due lives in the store, so nothing is lost when
 * the process stops; the first sweep after a start catches up on everything missed, once. Every
 * replica runs one: each step of a sweep is a claim or a compare-and-set. A check due before the next
 * regular sweep (30 s after an unknown outcome) asks for a sweep at its time (`wake`): a hint, the
 * store still says what is due.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt: number | undefined;
  private reconciling: Promise<void> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly service: RequestService,
    private readonly options: SchedulerOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.timer = undefined;
    this.wakeTimer = undefined;
    await this.running;
    await this.reconciling;
  }

  /** A sweep at `at` (or now, if it is past), unless one is already asked for earlier. */
  wake(at: Date): void {
    if (this.stopped || !this.timer) return;
    const due = at.getTime();
    if (this.wakeAt !== undefined && this.wakeAt <= due) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = due;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = undefined;
        void this.runOnce();
      },
      Math.max(0, due - this.clock().getTime()),
    );
    this.wakeTimer.unref();
  }

  /** One sweep; a call while one runs shares it, and has it run once more when it ends. */
  runOnce(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.sweep();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The scheduled reconciliation, when due; resolves when it ends (or at once when none was due). */
  reconcileIfDue(): Promise<void> {
    const intervalMs = this.options.reconcileIntervalMs ?? 0;
    if (intervalMs <= 0 || this.stopped) return Promise.resolve();
    this.reconciling ??= this.service
      .reconcileIfDue(intervalMs)
      .then((result) => {
        if (result.ok)
          this.options.logger.info({ searched: result.report.searched }, 'scheduled reconciliation done');
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'reconciliation failed'))
      .finally(() => {
        this.reconciling = undefined;
      });
    return this.reconciling;
  }

  private tick(): void {
    void this.runOnce();
    void this.reconcileIfDue();
  }

  private async sweep(): Promise<void> {
    try {
      const report = await this.service.sweep();
      const acted =
        report.noticesPruned > 0 ||
        report.findingsAnnounced > 0 ||
        report.settle.checks > 0 ||
        [
          report.expired,
          report.reminded,
          report.removed,
          report.removalFailed,
          report.resumed,
          report.interrupted,
          report.removalsInterrupted,
        ].some((ids) => ids.length > 0);
      if (acted) this.options.logger.info(report, 'lifecycle sweep');
    } catch (error) {
      this.options.logger.error({ err: error }, 'lifecycle sweep failed');
    }
  }
}
