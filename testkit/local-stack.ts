import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bot, type BotOptions, createBot } from '../src/app.js';
import { type AppConfig, loadConfig } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import {
  type MimecastSimulator,
  type MimecastSimulatorOptions,
  startMimecastSimulator,
} from './mimecast/index.js';
import { type SlackSimulator, startSlackSimulator } from './slack/index.js';
import { SlackDriver } from './slack-driver/index.js';

/** The people of the local workspace; the demo, the benchmark and the tests all use them. */
export const USERS = {
  alice: { id: 'UALICE', name: 'alice', realName: 'Alice Archer', email: 'alice@example.com' }, // requester
  bob: { id: 'UBOB', name: 'bob', realName: 'Bob Baker', email: 'bob@example.com' }, // requester and approver
  carol: { id: 'UCAROL', name: 'carol', realName: 'Carol Clark', email: 'carol@example.com' }, // approver
  dave: { id: 'UDAVE', name: 'dave', realName: 'Dave Dunn', email: 'dave@example.com' }, // in no group
  erin: { id: 'UERIN', name: 'erin', realName: 'Erin Ellis' }, // requester without an email on her profile
  admin: { id: 'UADMIN', name: 'admin', realName: 'Ada Admin', email: 'admin@example.com' }, // admin
} as const;

export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const SIGNING_SECRET = 'local-signing-secret-0001';
export const BOT_TOKEN = 'xoxb-local-bot-token-0001';
export const MAILBOXES = [
  'alice@example.com',
  'bob@example.com',
  'carol@example.com',
  'dave@example.com',
  'sales@example.com',
  'info@example.com',
  'ceo@example.com',
];

export interface LocalStackOptions {
  logger: Logger;
  /** Settings on top of the local defaults, e.g. ALLOWED_EMAIL_DOMAINS. */
  env?: Record<string, string | undefined>;
  mimecast?: MimecastSimulatorOptions;
  clock?: BotOptions['clock'];
  /** Slack Web API retries (0 in tests, so a failing call fails fast). */
  slackRetries?: number;
  noticePollIntervalMs?: number;
  /** The HTTP receiver's limits, e.g. shorter timeouts for the fault tests. */
  httpLimits?: BotOptions['httpLimits'];
  /** Reuse running simulators and a database, to restart the bot alone. */
  reuse?: { sim: SlackSimulator; mimecast: MimecastSimulator; databasePath: string };
  /** A store of the test's own (e.g. one that holds a query back) instead of one opened from the settings. */
  store?: BotOptions['store'];
}

export interface LocalStack {
  sim: SlackSimulator;
  mimecast: MimecastSimulator;
  bot: Bot;
  driver: SlackDriver;
  config: AppConfig;
  databasePath: string;
  port: number;
  /** Stops the bot only; the simulators keep running for a restart. */
  stopBot(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The settings that point the bot at the simulators, with the seeded groups and approval channel and
 * the Mimecast simulator's API 1.0 keys (the local stack and the benchmark add their own).
 */
export function simulatorSettings(
  sim: SlackSimulator,
  mimecast: MimecastSimulator,
  databasePath: string,
): Record<string, string> {
  const keys = mimecast.credentials.hmac;
  return {
    SLACK_MODE: 'http',
    SLACK_API_URL: sim.apiUrl,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    REQUESTER_GROUP_IDS: 'SREQUESTERS',
    APPROVER_GROUP_IDS: 'SAPPROVERS',
    ADMIN_GROUP_IDS: 'SADMINS',
    APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
    DATABASE_PATH: databasePath,
    MIMECAST_BASE_URL: mimecast.url,
    MIMECAST_APP_ID: keys.appId,
    MIMECAST_APP_KEY: keys.appKey,
    MIMECAST_ACCESS_KEY: keys.accessKey,
    MIMECAST_SECRET_KEY: keys.secretKey,
  };
}

/**
 * The Slack and Mimecast simulators on loopback, with the seeded workspace (USERS, three groups, the
 * approval channel) and mailboxes: what the local stack runs its bot against, and what bots in
 * processes of their own (replicas) share.
 */
export async function startSimulators(
  options: { mimecast?: MimecastSimulatorOptions } = {},
): Promise<{ sim: SlackSimulator; mimecast: MimecastSimulator }> {
  const sim = await startSlackSimulator({ botToken: BOT_TOKEN });
  const mimecast = await startMimecastSimulator({ mailboxes: MAILBOXES, ...options.mimecast });
  for (const user of Object.values(USERS)) sim.addUser(user);
  sim.setUsergroup('SREQUESTERS', [USERS.alice.id, USERS.bob.id, USERS.erin.id]);
  sim.setUsergroup('SAPPROVERS', [USERS.bob.id, USERS.carol.id]);
  sim.setUsergroup('SADMINS', [USERS.admin.id]);
  sim.addChannel(APPROVAL_CHANNEL, 'mailbox-access');
  return { sim, mimecast };
}

/**
 * The real bot in HTTP mode against the Slack and Mimecast simulators on loopback, with its own
 * SQLite file and a seeded workspace (USERS, three groups, the approval channel).
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { sim, mimecast } =
    options.reuse ?? (await startSimulators(options.mimecast ? { mimecast: options.mimecast } : {}));
  const databasePath =
    options.reuse?.databasePath ?? join(mkdtempSync(join(tmpdir(), 'delegate-local-')), 'bot.sqlite');
  const loaded = loadConfig({
    ...simulatorSettings(sim, mimecast, databasePath),
    SLACK_APP_TOKEN: sim.appToken, // used in Socket Mode (SLACK_MODE=socket)
    PORT: '0',
    MIMECAST_TIMEOUT_MS: '1000',
    // The scheduled reconciliation would search Mimecast at every start; tests that want it set it.
    RECONCILE_INTERVAL_HOURS: '0',
    ...options.env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const bot = createBot(loaded.config, {
    logger: options.logger,
    clientOptions: { retryConfig: { retries: options.slackRetries ?? 0 } },
    ...(options.noticePollIntervalMs ? { noticePollIntervalMs: options.noticePollIntervalMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.httpLimits ? { httpLimits: options.httpLimits } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  const { port } = await bot.start();
  const socketMode = loaded.config.slack.mode === 'socket';
  if (socketMode) await sim.socketConnected();
  const driver = new SlackDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    sim,
    transport: socketMode ? 'socket' : 'http',
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
    databasePath,
    port,
    stopBot,
    async close() {
      await stopBot();
      await sim.close();
      await mimecast.close();
    },
  };
}
