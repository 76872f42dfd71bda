import { z } from 'zod';
import { type DatabaseConfig, readDatabase, redactDatabaseUrl } from './config/database.js';
import { type Env, list, read, readInteger } from './config/env.js';
import { readMimecast } from './config/mimecast.js';
import type { MimecastConfig } from './mimecast/types.js';
import { checkPolicyFile, type PolicyCheck, resolvePolicy } from './policy/file.js';
import { type ApprovalPolicy, settingsPolicy } from './requests/policy.js';
import { parseDuration, SLACK_CHANNEL_ID, SLACK_GROUP_ID } from './values.js';

export {
  type DatabaseConfig,
  DEFAULT_DATABASE_PATH,
  loadDatabaseConfig,
  redactDatabaseUrl,
} from './config/database.js';
export { parseDuration } from './values.js';

/**
 * The bot's settings, read once at start from the environment (and `.env`), validated, frozen.
 * Every problem is reported at once, by variable name and with what a valid value looks like; a
 * secret's value is never echoed back.
 */
export interface AppConfig {
  readonly logLevel: LogLevel;
  readonly slack: {
    readonly mode: 'socket' | 'http';
    readonly botToken: string;
    readonly signingSecret: string;
    readonly appToken: string | undefined;
    readonly port: number;
    /** Web API base URL (GovSlack, tests); undefined means Slack's default. */
    readonly apiUrl: string | undefined;
    /** This app's id (A…): payloads for another app are refused. Undefined: asked of Slack at start (bots.info). */
    readonly appId: string | undefined;
  };
  readonly access: {
    readonly requesterGroupIds: readonly string[];
    readonly approverGroupIds: readonly string[];
    readonly adminGroupIds: readonly string[];
    readonly approvalChannelId: string;
    /** Lower-case domains the requested mailbox and the grantee's own address must belong to; empty means any. */
    readonly allowedEmailDomains: readonly string[];
    readonly groupCacheTtlMs: number;
    /** Requests one person may have open (waiting, approved or being granted) at once. */
    readonly maxOpenRequests: number;
  };
  readonly lifecycle: {
    /** Duration choices offered in the request modal, in hours; 0 means permanent. */
    readonly durationChoicesHours: readonly number[];
    readonly defaultDurationHours: number;
    readonly allowPermanent: boolean;
    readonly requestTtlHours: number;
    readonly reminderAfterHours: number;
    readonly schedulerIntervalMs: number;
    /** How long an orderly stop waits for Mimecast calls under way to finish. */
    readonly shutdownTimeoutMs: number;
    /** How often grants are checked against Mimecast (reconciliation), in hours; 0 turns it off. */
    readonly reconcileIntervalHours: number;
  };
  readonly database: DatabaseConfig;
  readonly mimecast: MimecastConfig;
  /** Which rule decides each mailbox: from POLICY_PATH, or the settings above for every mailbox. */
  readonly approvalPolicy: ApprovalPolicy;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

const SLACK_APP_ID = /^A[A-Z0-9]{2,}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function loadConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const problem = (name: string, text: string) => problems.push(`${name}: ${text}`);

  const integer = (name: string, fallback: number, min: number, max: number): number =>
    readInteger(env, problem, name, fallback, min, max);

  function required(name: string, hint: string, secret = false): string {
    const value = read(env, name);
    if (value === undefined) problem(name, `is required: ${hint}`);
    else if (!secret && /\s/.test(value)) problem(name, `must not contain spaces: ${hint}`);
    return value ?? '';
  }

  function groupIds(name: string): string[] {
    const ids = list(env, name);
    if (ids.length === 0) problem(name, 'is required: comma-separated Slack user group ids, like S0123ABCD');
    for (const id of ids) {
      if (!SLACK_GROUP_ID.test(id))
        problem(name, `"${id}" is not a Slack user group id (they look like S0123ABCD)`);
    }
    return ids;
  }

  function boolean(name: string, fallback: boolean): boolean {
    const raw = read(env, name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problem(name, `must be true or false (got "${raw}")`);
    return fallback;
  }

  // --- general
  const logLevelRaw = read(env, 'LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((level) => level === logLevelRaw) ?? 'info';
  if (logLevel !== logLevelRaw) problem('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  // --- Slack
  const modeRaw = read(env, 'SLACK_MODE') ?? 'socket';
  const mode = modeRaw === 'http' ? 'http' : 'socket';
  if (modeRaw !== 'http' && modeRaw !== 'socket') problem('SLACK_MODE', 'must be "socket" or "http"');

  const botToken = required('SLACK_BOT_TOKEN', 'the Bot User OAuth Token, starting with xoxb-', true);
  if (botToken && !botToken.startsWith('xoxb-')) problem('SLACK_BOT_TOKEN', 'must start with xoxb-');
  const signingSecret = required('SLACK_SIGNING_SECRET', 'from Basic Information → App Credentials', true);
  const appToken = read(env, 'SLACK_APP_TOKEN');
  if (mode === 'socket') {
    if (!appToken)
      problem('SLACK_APP_TOKEN', 'is required in Socket Mode: an app-level token starting with xapp-');
    else if (!appToken.startsWith('xapp-')) problem('SLACK_APP_TOKEN', 'must start with xapp-');
  }
  const port = integer('PORT', 3000, 0, 65535);
  const apiUrlRaw = read(env, 'SLACK_API_URL');
  let apiUrl: string | undefined;
  if (apiUrlRaw !== undefined) {
    const parsed = z.url({ protocol: /^https?$/ }).safeParse(apiUrlRaw);
    if (parsed.success) apiUrl = apiUrlRaw.endsWith('/') ? apiUrlRaw : `${apiUrlRaw}/`;
    else problem('SLACK_API_URL', 'must be a URL like https://slack.com/api/');
  }
  const appId = read(env, 'SLACK_APP_ID');
  if (appId !== undefined && !SLACK_APP_ID.test(appId)) {
    problem(
      'SLACK_APP_ID',
      `"${appId}" is not a Slack app id (they look like A0123ABCD, under Basic Information)`,
    );
  }

  // --- who may do what
  const requesterGroupIds = groupIds('REQUESTER_GROUP_IDS');
  const approverGroupIds = groupIds('APPROVER_GROUP_IDS');
  const adminGroupIds = groupIds('ADMIN_GROUP_IDS');
  const approvalChannelId = required(
    'APPROVAL_CHANNEL_ID',
    'the channel id where requests are posted, like C0123ABCD',
  );
  if (approvalChannelId && !SLACK_CHANNEL_ID.test(approvalChannelId)) {
    problem('APPROVAL_CHANNEL_ID', `"${approvalChannelId}" is not a channel id (they look like C0123ABCD)`);
  }
  const allowedEmailDomains = list(env, 'ALLOWED_EMAIL_DOMAINS').map((domain) => domain.toLowerCase());
  for (const domain of allowedEmailDomains) {
    if (!DOMAIN.test(domain))
      problem('ALLOWED_EMAIL_DOMAINS', `"${domain}" is not a domain like example.com`);
  }
  const groupCacheTtlMs = integer('GROUP_CACHE_TTL_SECONDS', 60, 0, 86_400) * 1000;
  const maxOpenRequests = integer('MAX_OPEN_REQUESTS', 5, 1, 100);

  // --- lifecycle
  const allowPermanent = boolean('ALLOW_PERMANENT', false);
  const durationTexts = list(env, 'ACCESS_DURATIONS');
  const durationChoicesHours: number[] = [];
  for (const text of durationTexts.length ? durationTexts : ['1d', '7d', '30d']) {
    const hours = parseDuration(text);
    if (hours === undefined)
      problem('ACCESS_DURATIONS', `"${text}" is not a duration like 12h, 7d or permanent`);
    else if (hours === 0 && !allowPermanent) {
      problem('ACCESS_DURATIONS', '"permanent" is offered only when ALLOW_PERMANENT=true');
    } else if (!durationChoicesHours.includes(hours)) durationChoicesHours.push(hours);
  }
  if (allowPermanent && !durationChoicesHours.includes(0)) durationChoicesHours.push(0);
  const defaultDurationText = read(env, 'DEFAULT_ACCESS_DURATION');
  let defaultDurationHours = durationChoicesHours[0] ?? 24;
  if (defaultDurationText !== undefined) {
    const hours = parseDuration(defaultDurationText);
    if (hours === undefined || !durationChoicesHours.includes(hours)) {
      problem('DEFAULT_ACCESS_DURATION', 'must be one of the ACCESS_DURATIONS choices');
    } else defaultDurationHours = hours;
  }
  const requestTtlHours = integer('REQUEST_TTL_HOURS', 72, 1, 24 * 90);
  const reminderAfterHours = integer('REMINDER_AFTER_HOURS', 4, 1, 24 * 30);
  const schedulerIntervalMs = integer('SCHEDULER_INTERVAL_SECONDS', 60, 1, 3600) * 1000;
  const shutdownTimeoutMs = integer('SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 600) * 1000;
  const reconcileIntervalHours = integer('RECONCILE_INTERVAL_HOURS', 24, 0, 24 * 30);

  // --- the approval policy file: its problems are reported with the settings', each with its line
  const policyPath = read(env, 'POLICY_PATH');
  let policyFile: PolicyCheck | undefined;
  if (policyPath !== undefined) {
    policyFile = checkPolicyFile(policyPath);
    if (!policyFile.ok) for (const text of policyFile.problems) problem('POLICY_PATH', text);
  }

  // --- database
  const database = readDatabase(env, problem, integer);

  // --- Mimecast
  const mimecast = readMimecast(env, problem, integer);

  if (problems.length > 0 || !mimecast) return { ok: false, problems };

  const policySettings = { approverGroupIds, approvalChannelId, durationChoicesHours, defaultDurationHours };
  const approvalPolicy =
    policyPath !== undefined && policyFile?.ok
      ? resolvePolicy(policyFile.spec, policySettings, { path: policyPath, sha256: policyFile.sha256 })
      : settingsPolicy(policySettings);

  const config: AppConfig = {
    logLevel,
    slack: { mode, botToken, signingSecret, appToken, port, apiUrl, appId },
    access: {
      requesterGroupIds,
      approverGroupIds,
      adminGroupIds,
      approvalChannelId,
      allowedEmailDomains,
      groupCacheTtlMs,
      maxOpenRequests,
    },
    lifecycle: {
      durationChoicesHours,
      defaultDurationHours,
      allowPermanent,
      requestTtlHours,
      reminderAfterHours,
      schedulerIntervalMs,
      shutdownTimeoutMs,
      reconcileIntervalHours,
    },
    database,
    mimecast,
    approvalPolicy,
  };
  return { ok: true, config: deepFreeze(config) };
}

export function formatConfigProblems(problems: readonly string[]): string {
  const lines = problems.map((text) => `  - ${text}`);
  return [
    `Configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
    ...lines,
    'See .env.example and docs/settings.md for every setting.',
  ].join('\n');
}

/** A short description of the settings with every secret left out, for `/delegate health` and start-up logs. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    slackMode: config.slack.mode,
    slackApiUrl: config.slack.apiUrl ?? 'https://slack.com/api/',
    requesterGroups: config.access.requesterGroupIds,
    approverGroups: config.access.approverGroupIds,
    adminGroups: config.access.adminGroupIds,
    approvalChannel: config.access.approvalChannelId,
    allowedEmailDomains: config.access.allowedEmailDomains.length ? config.access.allowedEmailDomains : 'any',
    maxOpenRequests: config.access.maxOpenRequests,
    slackAppId: config.slack.appId ?? 'asked of Slack at start',
    reconcileIntervalHours: config.lifecycle.reconcileIntervalHours || 'off',
    mimecastBaseUrl: config.mimecast.baseUrl,
    mimecastApi: config.mimecast.auth.kind === 'hmac' ? '1.0 (HMAC keys)' : '2.0 (OAuth client credentials)',
    ...(config.approvalPolicy.file
      ? {
          policyFile: config.approvalPolicy.file.path,
          policySha256: config.approvalPolicy.file.sha256,
          policyRules: config.approvalPolicy.rules.map((rule) => rule.name),
        }
      : {}),
    ...(config.database.kind === 'sqlite'
      ? { databasePath: config.database.path }
      : { databaseUrl: redactDatabaseUrl(config.database.url), databasePoolSize: config.database.poolSize }),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
