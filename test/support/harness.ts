import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bot, createBot } from '../../src/app.js';
import { type AppConfig, loadConfig } from '../../src/config.js';
import { createMemoryLogger } from '../../src/logger.js';
import type { DelegationRequest } from '../../src/requests/model.js';
import type { Clock } from '../../src/requests/ports.js';
import {
  type MimecastSimulator,
  type MimecastSimulatorOptions,
  startMimecastSimulator,
} from '../../src/simulators/mimecast.js';
import {
  collectText,
  type SimMessage,
  type SlackSimulator,
  startSlackSimulator,
} from '../../src/simulators/slack.js';
import { SlackDriver } from '../../src/simulators/slack-driver.js';
import { validEnv } from './env.js';

export const USERS = {
  alice: { id: 'UALICE', name: 'alice', email: 'alice@example.com' }, // requester
  bob: { id: 'UBOB', name: 'bob', email: 'bob@example.com' }, // requester and approver
  carol: { id: 'UCAROL', name: 'carol', email: 'carol@example.com' }, // approver
  dave: { id: 'UDAVE', name: 'dave', email: 'dave@example.com' }, // in no group
  erin: { id: 'UERIN', name: 'erin' }, // requester without an email on her profile
  admin: { id: 'UADMIN', name: 'admin', email: 'admin@example.com' }, // admin
} as const;

export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const SIGNING_SECRET = 'test-signing-secret-0001';
export const BOT_TOKEN = 'xoxb-test-bot-token-0001';
export const MAILBOXES = [
  'alice@example.com',
  'bob@example.com',
  'carol@example.com',
  'dave@example.com',
  'sales@example.com',
  'info@example.com',
  'ceo@example.com',
];

export interface HarnessOptions {
  env?: Record<string, string | undefined>;
  mimecast?: MimecastSimulatorOptions;
  clock?: Clock;
  /** Reuse simulators and database across a restart. */
  reuse?: { sim: SlackSimulator; mimecast: MimecastSimulator; databasePath: string };
}

export interface Harness {
  sim: SlackSimulator;
  mimecast: MimecastSimulator;
  bot: Bot;
  driver: SlackDriver;
  config: AppConfig;
  logLines: string[];
  databasePath: string;
  /** Stops the bot only (the simulators keep running for a restart). */
  stopBot(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real app over HTTP, against the Slack and Mimecast simulators, with its own SQLite file.
 * Users, groups and the approval channel are seeded as in USERS.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = options.reuse?.sim ?? (await startSlackSimulator({ botToken: BOT_TOKEN }));
  const mimecast =
    options.reuse?.mimecast ?? (await startMimecastSimulator({ mailboxes: MAILBOXES, ...options.mimecast }));
  if (!options.reuse) {
    for (const user of Object.values(USERS)) sim.addUser(user);
    sim.setUsergroup('SREQUESTERS', [USERS.alice.id, USERS.bob.id, USERS.erin.id]);
    sim.setUsergroup('SAPPROVERS', [USERS.bob.id, USERS.carol.id]);
    sim.setUsergroup('SADMINS', [USERS.admin.id]);
    sim.addChannel(APPROVAL_CHANNEL, 'mailbox-access');
  }
  const databasePath =
    options.reuse?.databasePath ?? join(mkdtempSync(join(tmpdir(), 'delegate-e2e-')), 'bot.sqlite');
  const keys = mimecast.credentials.hmac;
  const loaded = loadConfig(
    validEnv({
      SLACK_API_URL: sim.apiUrl,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PORT: '0',
      DATABASE_PATH: databasePath,
      MIMECAST_BASE_URL: mimecast.url,
      MIMECAST_APP_ID: keys.appId,
      MIMECAST_APP_KEY: keys.appKey,
      MIMECAST_ACCESS_KEY: keys.accessKey,
      MIMECAST_SECRET_KEY: keys.secretKey,
      MIMECAST_TIMEOUT_MS: '1000',
      ...options.env,
    }),
  );
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const { logger, lines } = createMemoryLogger(options.env?.LOG_LEVEL ?? 'debug');
  const bot = createBot(loaded.config, {
    logger,
    clientOptions: { retryConfig: { retries: 0 } },
    noticePollIntervalMs: 50,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const { port } = await bot.start();
  const driver = new SlackDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    sim,
  });
  let botStopped = false;
  const stopBot = async () => {
    if (botStopped) return;
    botStopped = true;
    await bot.stop();
  };
  return {
    sim,
    mimecast,
    bot,
    driver,
    config: loaded.config,
    logLines: lines,
    databasePath,
    stopBot,
    async close() {
      await stopBot();
      await sim.close();
      await mimecast.close();
    },
  };
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
  const view = await h.sim.waitFor(() => h.sim.views.find((v) => v.triggerId === command.triggerId));
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
