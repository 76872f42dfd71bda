import { createMemoryLogger } from '../../src/logger.js';
import type { DelegationRequest } from '../../src/requests/model.js';
import type { Clock } from '../../src/requests/ports/index.js';
import {
  APPROVAL_CHANNEL,
  type LocalStack,
  type LocalStackOptions,
  startLocalStack,
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

/** Waits until the request reaches a status. */
export function waitForStatus(h: Harness, requestId: string, status: string): Promise<DelegationRequest> {
  return waitUntil(async () => {
    const request = await h.bot.store.getRequest(requestId);
    return request?.status === status ? request : undefined;
  }, `${requestId} to be ${status}`);
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
