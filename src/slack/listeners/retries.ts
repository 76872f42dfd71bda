import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../../logger.js';

const REMEMBER_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * Slack redelivers a request it thinks was lost (`x-slack-retry-num`). Decisions are safe to repeat
 * (each is a compare-and-set), but a retried command would open its form with a used trigger id and
 * tell the user something went wrong. A retry of something this process has already handled is acked
 * and dropped; a retry of something it never saw (say, it was down) is handled as new.
 */
export function dropHandledRetries(logger: Logger): Middleware<AnyMiddlewareArgs> {
  const seen = new Map<string, number>();

  return async (args) => {
    const { body, context, next } = args;
    const key = deliveryKey(body);
    if (!key) return next();
    const now = Date.now();
    if (context.retryNum && seen.has(key)) {
      logger.info(
        { retryNum: context.retryNum, reason: context.retryReason },
        'dropped a Slack retry already handled',
      );
      if ('ack' in args && typeof args.ack === 'function') await args.ack();
      return;
    }
    seen.set(key, now);
    // Oldest first: forget what is too old, and the oldest beyond the cap.
    for (const [old, at] of seen) {
      if (seen.size <= MAX_REMEMBERED && now - at < REMEMBER_MS) break;
      seen.delete(old);
    }
    return next();
  };
}

/** What identifies one delivery across its retries: the trigger id, or the event id. */
function deliveryKey(body: unknown): string | undefined {
  const record = body as {
    trigger_id?: unknown;
    event_id?: unknown;
    view?: { id?: unknown; hash?: unknown };
  };
  if (typeof record.trigger_id === 'string') return `trigger:${record.trigger_id}`;
  if (typeof record.event_id === 'string') return `event:${record.event_id}`;
  return undefined;
}
