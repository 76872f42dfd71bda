import { createMemoryLogger } from '../../src/logger.js';
import type { DelegationRequest } from '../../src/requests/model.js';
import type { Clock } from '../../src/requests/ports/index.js';
import {
  APPROVAL_CHANNEL,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
  USERS,
} from '../../testkit/local-stack.js';
import type { MimecastSimulator, MimecastSimulatorOptions } from '../../testkit/mimecast/index.js';
import { collectText, type SimMessage, type SlackSimulator } from '../../testkit/slack/index.js';

export {
  APPROVAL_CHANNEL,
  BOT_TOKEN,
  MAILBOXES,
  SIGNING_SECRET,
  USERS,
} from '../../testkit/local-stack.js';

export interface HarnessOptions {
  env?: Record<string, string | undefined>;
  mimecast?: MimecastSimulatorOptions;
  clock?: Clock;
  /** The HTTP receiver's limits (shorter timeouts, fewer connections) for the fault tests. */
  httpLimits?: LocalStackOptions['httpLimits'];
  /** Reuse simulators and database across a restart. */
  reuse?: { sim: SlackSimulator; mimecast: MimecastSimulator; databasePath: string };
  /** A store of the test's own instead of the SQLite file the local stack opens. */
  store?: LocalStackOptions['store'];
}

export interface Harness extends LocalStack {
  /** Every log line the bot wrote, as JSON text. */
  logLines: string[];
}

/** The local stack with an in-memory log, fast notice polling and no Slack retries. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { logger, lines } = createMemoryLogger(options.env?.LOG_LEVEL ?? 'debug');
  const stack = await startLocalStack({
    logger,
    noticePollIntervalMs: 50,
    slackRetries: 0,
    ...(options.env ? { env: options.env } : {}),
    ...(options.mimecast ? { mimecast: options.mimecast } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.reuse ? { reuse: options.reuse } : {}),
    ...(options.httpLimits ? { httpLimits: options.httpLimits } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  return { ...stack, logLines: lines };
}

/** Runs /delegate, fills in the modal and submits it; returns the stored request. */
export async function submitRequest(
  h: Harness,
  userId: string,
  mailbox: string,
  reason = 'Covering the shared queue while Sam is away',
  duration?: string,
): Promise<DelegationRequest> {
  const command = await h.driver.command(userId, '/delegate', '');
  if (command.status !== 200) throw new Error(`slash command answered ${command.status}`);
  const view = await h.sim.viewOpenedWith(command.triggerId);
  const values: Record<string, Record<string, string>> = {
    mailbox: { mailbox_input: mailbox },
    reason: { reason_input: reason },
  };
  if (duration) values.duration = { duration_select: duration };
  const submitted = await h.driver.submitView(userId, view, values);
  const body = submitted.json as { response_action?: string; errors?: unknown } | undefined;
  if (body?.response_action !== 'update') throw new Error(`submission refused: ${JSON.stringify(body)}`);
  const [request] = await h.bot.store.listRequests({ requesterId: userId, limit: 1 });
  if (!request) throw new Error('no request stored');
  return request;
}

/** The approvers' card for a request, once posted. */
export function cardOf(h: Harness, requestId: string): Promise<SimMessage> {
  return h.sim.waitFor(() =>
    h.sim.messagesIn(APPROVAL_CHANNEL).find((m) => !m.threadTs && m.text.includes(requestId)),
  );
}

/** A request submitted by Alice, its card posted and everything it set off done. */
export async function pendingWithCard(
  h: Harness,
  mailbox = 'sales@example.com',
): Promise<{ request: DelegationRequest; card: SimMessage }> {
  const request = await submitRequest(h, USERS.alice.id, mailbox);
  const card = await cardOf(h, request.id);
  await h.bot.idle();
  return { request, card };
}

/** Waits until the request reaches a status. */
export function waitForStatus(h: Harness, requestId: string, status: string): Promise<DelegationRequest> {
  return waitUntil(async () => {
    const request = await h.bot.store.getRequest(requestId);
    return request?.status === status ? request : undefined;
  }, `${requestId} to be ${status}`);
}

/**
 * Waits until the bot has nothing in hand (Bot.idle: every Slack request it took, including what
 * goes on after the ack; the service's background work; the notice outbox). The one wait before
 * checking that nothing else happened: a refused request leaves nothing running, an accepted one is
 * tracked from the moment the receiver hands it to Bolt.
 */
export function settled(h: Pick<Harness, 'bot'>): Promise<void> {
  return h.bot.idle();
}

export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function textOf(message: { text: string; blocks?: unknown }): string {
  return `${message.text}\n${collectText(message.blocks ?? [])}`;
}

export function addCalls(h: Harness) {
  return h.mimecast.calls.filter((call) => call.path === '/api/user/add-delegate-user');
}
