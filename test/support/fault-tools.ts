/**
 * Helpers for the fault tests (test/faults): raw signed Slack payloads the driver would refuse to build,
 * and readers for what the bot logged and recorded.
 */
import type { DriverResponse, SendOptions } from '../../testkit/slack-driver/index.js';
import { type Harness, USERS } from './harness.js';

export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  err?: { type?: string; message?: string; stack?: string };
  [key: string]: unknown;
}

/** Every log line the bot wrote, parsed. */
export function logEntries(h: { logLines: string[] }): LogLine[] {
  return h.logLines.map((line) => JSON.parse(line) as LogLine);
}

/** Lines at level error (50) or fatal (60). */
export function errorEntries(h: { logLines: string[] }): LogLine[] {
  return logEntries(h).filter((line) => line.level >= 50);
}

/** A short description of error lines, for assertion messages. */
export function describeErrors(h: { logLines: string[] }): string[] {
  return errorEntries(h).map((line) => `${line.msg}${line.err?.message ? `: ${line.err.message}` : ''}`);
}

/** A Slack-style form body carrying an interaction payload. */
export function payloadBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface RawClickOptions extends SendOptions {
  /** Where the click came from: a channel message (default: the approval channel) or the App Home. */
  channelId?: string;
  fromHome?: boolean;
  /** Puts the value in `selected_option` (a select) instead of `value` (a button). */
  asSelect?: boolean;
}

/**
 * A block_actions payload built by hand and signed correctly: what an attacker holding a valid session
 * could make Slack relay, or what a buggy client could send. Nothing is checked against what the app showed.
 */
export async function rawClick(
  h: Harness,
  userId: string,
  actionId: string,
  value: string,
  options: RawClickOptions = {},
): Promise<DriverResponse & { responseUrl: string; triggerId: string }> {
  const channelId = options.channelId ?? 'CAPPROVALS';
  const triggerId = h.sim.createTrigger({ userId });
  const responseUrl = h.sim.createResponseUrl({ userId, channelId });
  const action = options.asSelect
    ? {
        action_id: actionId,
        block_id: 'forged',
        type: 'static_select',
        selected_option: { text: { type: 'plain_text', text: 'x' }, value },
      }
    : {
        action_id: actionId,
        block_id: 'forged',
        type: 'button',
        text: { type: 'plain_text', text: 'x' },
        value,
      };
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: h.sim.teamId },
    api_app_id: h.sim.appId,
    token: 'sim-verification-token',
    trigger_id: triggerId,
    team: { id: h.sim.teamId, domain: h.sim.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    ...(options.fromHome
      ? { container: { type: 'view', view_id: 'VHOME' }, view: { id: 'VHOME', type: 'home' } }
      : {
          container: { type: 'message', message_ts: '1700000000.000100', channel_id: channelId },
          channel: { id: channelId, name: 'mailbox-access' },
          response_url: responseUrl,
        }),
    state: { values: {} },
    actions: [action],
  };
  const response = await h.driver.send(payloadBody(payload), options);
  return { ...response, responseUrl, triggerId };
}

/** A request-form submission built by hand, with any mailbox, reason and duration text. */
export function requestFormPayload(
  h: Harness,
  userId: string,
  values: { mailbox?: unknown; reason?: unknown; duration?: unknown },
): Record<string, unknown> {
  const state: Record<string, Record<string, unknown>> = {
    mailbox: { mailbox_input: { type: 'email_text_input', value: values.mailbox ?? null } },
    reason: { reason_input: { type: 'plain_text_input', value: values.reason ?? null } },
  };
  if (values.duration !== undefined) {
    state.duration = {
      duration_select: {
        type: 'static_select',
        selected_option:
          values.duration === null
            ? null
            : { text: { type: 'plain_text', text: 'x' }, value: values.duration },
      },
    };
  }
  return {
    type: 'view_submission',
    team: { id: h.sim.teamId, domain: h.sim.teamDomain },
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: h.sim.teamId },
    api_app_id: h.sim.appId,
    token: 'sim-verification-token',
    trigger_id: h.sim.createTrigger({ userId }),
    view: {
      id: `VFORGED${Math.floor(Math.random() * 1e9)}`,
      type: 'modal',
      callback_id: 'delegate_request',
      private_metadata: '',
      state: { values: state },
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** A slash command body built by hand (the driver builds the same; this one can be replayed as is). */
export function commandBody(
  h: Harness,
  userId: string,
  text: string,
): { body: string; triggerId: string; responseUrl: string } {
  const channelId = h.sim.openDm(userId);
  const triggerId = h.sim.createTrigger({ userId });
  const responseUrl = h.sim.createResponseUrl({ userId, channelId });
  const body = new URLSearchParams({
    token: 'sim-verification-token',
    team_id: h.sim.teamId,
    team_domain: h.sim.teamDomain,
    channel_id: channelId,
    channel_name: 'directmessage',
    user_id: userId,
    user_name: h.sim.users.get(userId)?.name ?? userId,
    command: '/delegate',
    text,
    api_app_id: h.sim.appId,
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: triggerId,
  }).toString();
  return { body, triggerId, responseUrl };
}

/** The ephemeral answers that arrived on a response_url. */
export function answersOn(h: Harness, responseUrl: string) {
  return h.sim.responses.filter((response) => response.url === responseUrl);
}

/** Waits for the first answer on a response_url and returns its text. */
export async function answerText(h: Harness, responseUrl: string, timeoutMs = 3000): Promise<string> {
  const answer = await h.sim.waitFor(() => answersOn(h, responseUrl)[0], timeoutMs);
  return String(answer.body.text ?? '');
}

/** Audit actions of one request, oldest first. */
export async function auditActions(h: Harness, requestId: string): Promise<string[]> {
  return (await h.bot.store.listAudit({ requestId })).map((event) => event.action);
}

/** Everything stored, for before/after comparisons: requests (with version) and the audit chain length. */
export async function storeSnapshot(h: Harness): Promise<{ requests: string; audit: number }> {
  const requests = await h.bot.store.listRequests({});
  const audit = await h.bot.store.listAudit({});
  return {
    requests: JSON.stringify(requests.map((r) => [r.id, r.status, r.version]).sort()),
    audit: audit.length,
  };
}

/** Twenty extra approvers: U followed by APPR and a two-digit number, all in SAPPROVERS. */
export function addApprovers(h: Harness, count: number): string[] {
  const ids: string[] = [];
  for (let i = 1; i <= count; i += 1) {
    const n = String(i).padStart(2, '0');
    const id = `UAPPR${n}`;
    h.sim.addUser({ id, name: `approver${n}`, realName: `Approver ${n}`, email: `approver${n}@example.com` });
    ids.push(id);
  }
  h.sim.setUsergroup('SAPPROVERS', [USERS.bob.id, USERS.carol.id, ...ids]);
  return ids;
}
