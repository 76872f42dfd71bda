/**
 * The load generator's sending side, in a process of its own: it sends the signed Slack requests it is
 * handed over IPC to the app under test and times each from the first byte sent to the whole answer
 * read. Its event loop does nothing else, so the ack times measure the app, not the simulators (which
 * build the requests from what Slack would know, as Slack does, in the parent process). The parent
 * pins it to a core of its own when `taskset` is there (see bench/run.ts). Transpiled by
 * bench/build.ts and run by plain `node`.
 */
import { Pool } from 'undici';

export type ToGenerator =
  /** Pool `pool`: at most `connections` connections to `origin`, like as many clients with one each. */
  | { type: 'pool'; pool: number; origin: string; connections: number }
  | { type: 'send'; id: number; pool: number; path: string; headers: Record<string, string>; body: string }
  | { type: 'close'; pool: number };

export type FromGenerator =
  | { type: 'ready' }
  | {
      type: 'sent';
      id: number;
      status: number;
      text: string;
      /** From sending to having read the whole answer, in fractions of a millisecond. */
      elapsedMs: number;
      /** When it was sent: milliseconds since the epoch, with a fraction. */
      sentAt: number;
    }
  | { type: 'failed'; id: number; message: string };

const pools = new Map<number, Pool>();

function reply(message: FromGenerator): void {
  process.send?.(message);
}

async function send(message: Extract<ToGenerator, { type: 'send' }>): Promise<void> {
  const pool = pools.get(message.pool);
  if (!pool) {
    reply({ type: 'failed', id: message.id, message: `no pool ${message.pool}` });
    return;
  }
  const started = performance.now();
  try {
    const response = await pool.request({
      path: message.path,
      method: 'POST',
      headers: message.headers,
      body: message.body,
    });
    const text = await response.body.text();
    const elapsedMs = performance.now() - started;
    reply({
      type: 'sent',
      id: message.id,
      status: response.statusCode,
      text,
      elapsedMs,
      sentAt: performance.timeOrigin + started,
    });
  } catch (error) {
    reply({
      type: 'failed',
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

process.on('message', (message: ToGenerator) => {
  if (message.type === 'send') void send(message);
  else if (message.type === 'pool') {
    // Without a limit undici opens extra connections in bursts, and their first requests wait on a busy
    // app for up to a second: an artifact of the generator, not something 50 clients would cause.
    pools.set(message.pool, new Pool(message.origin, { connections: message.connections }));
  } else if (message.type === 'close') {
    void pools.get(message.pool)?.close();
    pools.delete(message.pool);
  }
});
// Never outlive the benchmark that started us.
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
