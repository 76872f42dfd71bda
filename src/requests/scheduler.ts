import type { Logger } from '../logger.js';
import type { RequestService } from './service.js';

/**
 * Runs the lifecycle sweep on a timer: Mimecast work other processes left, reminders, pending expiry,
 * grant expiry and removal retries. What is due lives in the store, so nothing is lost when the
 * process stops; the first sweep after a start catches up on everything missed, once. Every replica
 * runs one: each step of a sweep is a claim or a compare-and-set.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly service: RequestService,
    private readonly options: { intervalMs: number; logger: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep; overlapping calls share the sweep in progress. */
  runOnce(): Promise<void> {
    this.running ??= this.service
      .sweep()
      .then((report) => {
        const acted =
          report.noticesPruned > 0 ||
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
      })
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'lifecycle sweep failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
