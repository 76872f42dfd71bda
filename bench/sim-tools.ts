/** Helpers around the Slack simulator for load: precise ack timing, and cheap waiting on what the app did. */
import { request } from 'undici';
import type { SimMessage, SimView, SlackSimulator } from '../testkit/slack/index.js';
import {
  type DriverResponse,
  type SendOptions,
  SlackDriver,
  type SlackDriverOptions,
} from '../testkit/slack-driver/index.js';
import type { Generator } from './generator-link.js';

/**
 * The SlackDriver (payloads built from the simulator's records, signed as Slack signs them), sending
 * through the load generator's process (bench/generator.ts), which times each request there: from
 * sending it to having read the whole response, in fractions of a millisecond. The payloads are built
 * here, beside the simulators, as Slack builds them from what it knows; the timing happens on an event
 * loop that does nothing else.
 */
export class TimedDriver extends SlackDriver {
  private readonly generator: Generator;
  private readonly pool: number;
  private readonly path: string;

  /**
   * `connections`: at most this many, like as many clients with one connection each (see
   * bench/generator.ts).
   */
  constructor(options: SlackDriverOptions & { connections: number; generator: Generator }) {
    super(options);
    const url = new URL(options.appUrl);
    this.generator = options.generator;
    this.pool = options.generator.openPool(url.origin, options.connections);
    this.path = url.pathname;
  }

  override async send(body: string, options: SendOptions = {}): Promise<DriverResponse> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? this.sign(timestamp, body),
    };
    const sent = await this.generator.send(this.pool, this.path, headers, body);
    const json = parseJson(sent.text);
    return {
      status: sent.status,
      text: sent.text,
      elapsedMs: sent.elapsedMs,
      sentAt: sent.sentAt,
      ...(json === undefined ? {} : { json }),
    };
  }

  async close(): Promise<void> {
    this.generator.closePool(this.pool);
  }
}

function parseJson(text: string): unknown {
  try {
    return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

const REQUEST_ID = /DR-[0-9A-Z]{6}/;

interface Waiter {
  probe: () => boolean;
  deadline: number;
  fail: () => void;
}

/**
 * Indexes what the simulator records (modals by trigger id, approval cards by request id, the first reply
 * in each thread) by scanning only what was appended since the last scan, every 2 ms. Thousands of
 * concurrent waits then cost a map lookup each, instead of a scan of every message (sim.waitFor).
 * The simulator's lists only grow, except on sim.reset(): call reset() right after it.
 */
export class SimWatcher {
  private viewCursor = 0;
  private messageCursor = 0;
  private readonly viewsByTrigger = new Map<string, SimView>();
  private readonly cardsByRequest = new Map<string, SimMessage>();
  private readonly firstReplies = new Map<string, SimMessage>();
  private readonly waiters = new Set<Waiter>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sim: SlackSimulator,
    private readonly channel: string,
  ) {
    this.timer = setInterval(() => this.tick(), 2);
  }

  view(triggerId: string, timeoutMs: number): Promise<SimView> {
    return this.waitFor(() => this.viewsByTrigger.get(triggerId), timeoutMs, `the modal of ${triggerId}`);
  }

  card(requestId: string, timeoutMs: number): Promise<SimMessage> {
    return this.waitFor(() => this.cardsByRequest.get(requestId), timeoutMs, `the card of ${requestId}`);
  }

  reply(threadTs: string, timeoutMs: number): Promise<SimMessage> {
    return this.waitFor(() => this.firstReplies.get(threadTs), timeoutMs, `a reply in thread ${threadTs}`);
  }

  reset(): void {
    this.viewCursor = 0;
    this.messageCursor = 0;
    this.viewsByTrigger.clear();
    this.cardsByRequest.clear();
    this.firstReplies.clear();
  }

  close(): void {
    clearInterval(this.timer);
    for (const waiter of this.waiters) waiter.fail();
  }

  private waitFor<T>(lookup: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    this.scan();
    const found = lookup();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        deadline: performance.now() + timeoutMs,
        probe: () => {
          const value = lookup();
          if (value === undefined) return false;
          resolve(value);
          return true;
        },
        fail: () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      };
      this.waiters.add(waiter);
    });
  }

  private tick(): void {
    if (this.waiters.size === 0) return;
    this.scan();
    const now = performance.now();
    for (const waiter of this.waiters) {
      if (waiter.probe()) this.waiters.delete(waiter);
      else if (now > waiter.deadline) {
        this.waiters.delete(waiter);
        waiter.fail();
      }
    }
  }

  private scan(): void {
    const { views, messages } = this.sim;
    for (; this.viewCursor < views.length; this.viewCursor += 1) {
      const view = views[this.viewCursor]!;
      if (view.triggerId !== undefined) this.viewsByTrigger.set(view.triggerId, view);
    }
    for (; this.messageCursor < messages.length; this.messageCursor += 1) {
      const message = messages[this.messageCursor]!;
      if (message.channel !== this.channel) continue;
      if (message.threadTs !== undefined) {
        if (!this.firstReplies.has(message.threadTs)) this.firstReplies.set(message.threadTs, message);
        continue;
      }
      const id = REQUEST_ID.exec(message.text)?.[0];
      if (id !== undefined) this.cardsByRequest.set(id, message);
    }
  }
}

/** The request id in an app's answer (e.g. the "request submitted" modal), if any. */
export function requestIdIn(text: string): string | undefined {
  return REQUEST_ID.exec(text)?.[0];
}

/** Calls a Slack Web API method of the simulator as the app would (used to set up the baseline's load). */
export async function callSim(
  sim: SlackSimulator,
  token: string,
  method: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await request(`${sim.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
  });
  const body = (await response.body.json()) as Record<string, unknown>;
  if (body.ok !== true) throw new Error(`${method} failed: ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}
