import type { AnyMiddlewareArgs, Context, Middleware } from '@slack/bolt';
import type { Logger } from '../../logger.js';

// Slack retries at once, after a minute and after five minutes.
const REMEMBER_MS = 6 * 60_000;
const MAX_REMEMBERED = 5_000;
/** Slack retries after 3 s; a retry waits this long for the first delivery's answer before giving up. */
const WAIT_FOR_FIRST_ACK_MS = 2_500;
const DELIVERY = 'delivery';

interface Delivery {
  at: number;
  /** What the first delivery answered (a view submission's response_action), once it has. */
  response: unknown;
  acked: Promise<void>;
  markAcked: () => void;
}

/**
 * Slack redelivers a request it thinks was lost (`x-slack-retry-num`). Decisions are safe to repeat
 * (each is a compare-and-set), but a retried command would open its form with a used trigger id, and
 * a retried submission would be judged again against a state it has itself changed. So a retry of a
 * delivery this process has handled gets the first delivery's answer again and runs nothing; a retry
 * of one it never saw (say, it was down) is handled as new.
 */
export function dropHandledRetries(logger: Logger): Middleware<AnyMiddlewareArgs> {
  const seen = new Map<string, Delivery>();

  return async (args) => {
    const { body, context, next } = args;
    const key = deliveryKey(body);
    if (!key) return next();
    const ack =
      'ack' in args && typeof args.ack === 'function'
        ? (args.ack as (response?: unknown) => Promise<void>)
        : undefined;
    const now = Date.now();
    const first = seen.get(key);
    if (context.retryNum && first) {
      logger.info(
        { retryNum: context.retryNum, reason: context.retryReason },
        'answered a Slack retry from the first delivery',
      );
      // Only a submission's answer carries anything (errors, update); other acks are empty.
      if ((body as { type?: unknown }).type === 'view_submission') {
        await Promise.race([
          first.acked,
          new Promise((resolve) => setTimeout(resolve, WAIT_FOR_FIRST_ACK_MS)),
        ]);
      }
      if (ack) await (first.response === undefined ? ack() : ack(first.response));
      return;
    }
    let markAcked = () => {};
    const acked = new Promise<void>((resolve) => {
      markAcked = resolve;
    });
    const delivery: Delivery = { at: now, response: undefined, acked, markAcked };
    seen.set(key, delivery);
    context[DELIVERY] = delivery;
    // Oldest first: forget what is too old, and the oldest beyond the cap.
    for (const [old, entry] of seen) {
      if (seen.size <= MAX_REMEMBERED && now - entry.at < REMEMBER_MS) break;
      seen.delete(old);
    }
    return next();
  };
}

/**
 * An ack that remembers its answer, so a retry of this delivery can be given the same one. View
 * listeners use it: their answer (errors, update) is what the user sees.
 */
export function rememberingAck<R>(context: Context, ack: (response?: R) => Promise<void>) {
  return async (response?: R): Promise<void> => {
    const delivery = context[DELIVERY] as Delivery | undefined;
    if (delivery) delivery.response = response;
    try {
      await (response === undefined ? ack() : ack(response));
    } finally {
      delivery?.markAcked();
    }
  };
}

/** What identifies one delivery across its retries: the trigger id, or the event id. */
function deliveryKey(body: unknown): string | undefined {
  const record = body as { trigger_id?: unknown; event_id?: unknown };
  if (typeof record.trigger_id === 'string') return `trigger:${record.trigger_id}`;
  if (typeof record.event_id === 'string') return `event:${record.event_id}`;
  return undefined;
}
