import type { Logger } from '../logger.js';
import { type Notice, readNotice } from './notices.js';
import { reminderOutdated } from './owner-notices.js';
import type {
  Clock,
  DeliveryReport,
  NoticeDelivery,
  RetryAfterHint,
  Store,
  StoredNotice,
} from './ports/index.js';
import { NO_WAIT, type TurnTaker } from './turns.js';

const BACKOFF_MS = [1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000];
const LEASE_MS = 60_000;
const ROUND_SIZE = 10;

export interface NoticeDispatcherOptions {
  store: Store;
  deliverer: NoticeDelivery;
  clock: Clock;
  logger: Logger;
  /** How often due notices (retries) are looked for even when nothing new was queued. */
  pollIntervalMs?: number;
  /** After this many failed attempts a notice is given up on, logged as an error. */
  maxAttempts?: number;
  /** Failures that can never succeed on retry (e.g. the channel no longer exists). */
  isPermanentFailure?: (error: unknown) => boolean;
  /** Each step waits for its turn, so that Slack's acks are not kept waiting (see Turns). */
  turns?: TurnTaker;
  /** How long a claimed notice is this process's to deliver; a minute by default. */
  leaseMs?: number;
}

/**
 * Delivers queued notices: as soon as they are queued, then again with backoff while delivery fails.
 * Notices are written in the same transaction as the change they announce, so none is lost to a crash
 * or a Slack outage, and a request's notices go out in order (a thread reply never precedes its card).
 */
export class NoticeDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  private readonly turns: TurnTaker;

  constructor(private readonly options: NoticeDispatcherOptions) {
    this.turns = options.turns ?? NO_WAIT;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.pollIntervalMs ?? 1_000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
  }

  /** Asks for a delivery round now; rounds never overlap, and a kick during one runs one more. */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves when no round is running (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** True while a delivery round runs. */
  get busy(): boolean {
    return this.draining !== undefined;
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        while (!this.stopped && (await this.drainOnce()) > 0) {
          // keep going while there is work: a delivered notice may unblock the request's next one
        }
      } catch (error) {
        this.options.logger.error({ err: error }, 'notice delivery round failed');
      }
    } while (this.again && !this.stopped);
  }

  private async drainOnce(): Promise<number> {
    const { store, clock } = this.options;
    // Small rounds: delivery is background work, and Slack's acks must not queue behind a burst of it.
    await this.turns.next();
    const now = clock();
    const lease = this.options.leaseMs ?? LEASE_MS;
    const claimed = await store.claimDueNotices(now, new Date(now.getTime() + lease), ROUND_SIZE);
    const results = await Promise.all(claimed.map((notice) => this.deliverOne(notice)));
    return results.filter(Boolean).length;
  }

  private async deliverOne(stored: StoredNotice): Promise<boolean> {
    const { store, deliverer, clock, logger } = this.options;
    await this.turns.next();
    // Fields rather than a child logger: a child serializes its bindings at once, for every notice.
    const about = { requestId: stored.requestId, notice: `${stored.target}:${stored.event}` };
    const reading = readNotice(stored);
    if (!reading.ok) {
      // Written by another version of the bot, or by hand: nobody can be told it in words of ours.
      logger.error({ ...about, problem: reading.problem }, 'notice cannot be read; giving up');
      await store.markNoticeFailed(stored.id, reading.problem, null, clock());
      return true;
    }
    const notice = reading.notice;
    try {
      // The card always shows the request as it is now, so a card update with a later one queued
      // behind it would only be overwritten: skip it (approve and provision often land together).
      if (notice.target === 'card' && (await store.hasLaterNotice(notice))) {
        await store.markNoticeDelivered(notice.id, clock());
        logger.debug(about, 'card update superseded by a later one');
        return true;
      }
      const current = (await store.getRequest(notice.requestId)) ?? notice.snapshot;
      if (reminderOutdated(notice, current)) {
        await store.markNoticeDelivered(notice.id, clock());
        logger.debug(about, 'owner reminder no longer needed');
        return true;
      }
      await this.record(notice, await deliverer.deliver(notice, current));
      await store.markNoticeDelivered(notice.id, clock());
      logger.debug(about, 'notice delivered');
      return true;
    } catch (error) {
      const attempts = notice.attempts + 1;
      const permanent = this.options.isPermanentFailure?.(error) ?? false;
      const message = error instanceof Error ? error.message : String(error);
      if (permanent || attempts >= (this.options.maxAttempts ?? BACKOFF_MS.length + 1)) {
        logger.error({ ...about, attempts, error: message }, 'notice could not be delivered; giving up');
        await this.gaveUp(notice, error).catch((hookError: unknown) => {
          logger.warn({ ...about, err: hookError }, 'handling a notice given up on failed');
        });
        await store.markNoticeFailed(notice.id, message, null, clock());
        return true;
      }
      const hinted = (error as RetryAfterHint | undefined)?.retryAfterMs;
      const delay = Math.max(hinted ?? 0, BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)] ?? 1_000);
      logger.warn(
        { ...about, attempts, retryInMs: delay, error: message },
        'notice delivery failed; will retry',
      );
      await store.markNoticeFailed(notice.id, message, new Date(clock().getTime() + delay), clock());
      return false;
    }
  }

  private async gaveUp(notice: Notice, error: unknown): Promise<void> {
    const { deliverer, store } = this.options;
    if (!deliverer.gaveUp) return;
    const current = await store.getRequest(notice.requestId);
    await this.record(notice, await deliverer.gaveUp(notice, error, current));
  }

  /** What the delivery posted (the card) or could not (why), kept on the request. */
  private async record(notice: Notice, report: DeliveryReport | undefined): Promise<void> {
    if (report?.ownerMessage) {
      await this.options.store.patchRequest(notice.requestId, { ownerMessage: report.ownerMessage });
    }
    if (report?.card) {
      await this.options.store.patchRequest(notice.requestId, { card: report.card, cardProblem: undefined });
    } else if (report?.cardProblem) {
      await this.options.store.patchRequest(notice.requestId, { cardProblem: report.cardProblem });
    }
  }
}
