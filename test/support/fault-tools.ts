/**
 * Helpers for the fault tests (test/faults): raw signed Slack payloads the driver would refuse to build,
 * readers for what the bot logged and recorded, and the checks that nothing happened and that the bot
 * still serves. The answers on a response_url are in slack-answers.ts.
 */

import { expect } from 'vitest';
import type { DriverResponse, SendOptions } from '../../testkit/slack-driver/index.js';
import { APPROVAL_CHANNEL, cardOf, type Harness, submitRequest, USERS, waitForStatus } from './harness.js';

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

/**
 * An Approve click on a card (Carol's unless told), exactly as Slack sends it: the payload, to change
 * before `payloadBody`, and the response_url it names.
 */
export function approveClick(
  h: Harness,
  cardTs: string,
  requestId: string,
  userId: string = USERS.carol.id,
): { payload: Record<string, unknown>; responseUrl: string } {
  const responseUrl = h.sim.createResponseUrl({ userId, channelId: APPROVAL_CHANNEL, messageTs: cardTs });
  const name = h.sim.users.get(userId)?.name ?? userId.toLowerCase();
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: userId, username: name, name, team_id: h.sim.teamId },
    api_app_id: h.sim.appId,
    token: 'sim-verification-token',
    container: { type: 'message', message_ts: cardTs, channel_id: APPROVAL_CHANNEL, is_ephemeral: false },
    trigger_id: h.sim.createTrigger({ userId }),
    team: { id: h.sim.teamId, domain: h.sim.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: APPROVAL_CHANNEL, name: 'mailbox-access' },
    response_url: responseUrl,
    actions: [{ action_id: 'approve_request', block_id: 'decision', type: 'button', value: requestId }],
  };
  return { payload, responseUrl };
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

/** Audit actions of one request, oldest first. */
export async function auditActions(h: Harness, requestId: string): Promise<string[]> {
  return (await h.bot.store.listAudit({ requestId })).map((event) => event.action);
}

/** Everything that would show a listener ran: Slack calls, response_url posts, Mimecast calls, store rows. */
export async function footprint(h: Harness) {
  return {
    slackCalls: h.sim.calls.length,
    responses: h.sim.responses.length,
    mimecastCalls: h.mimecast.calls.length,
    store: await storeSnapshot(h),
  };
}

/** A normal request still goes all the way through: the bot was not knocked over. */
export async function stillServes(h: Harness, mailbox = 'ceo@example.com'): Promise<void> {
  const health = await fetch(`http://127.0.0.1:${h.port}/healthz`);
  expect(health.status).toBe(200);
  const request = await submitRequest(h, USERS.alice.id, mailbox, 'Still working after the fuzzing');
  const card = await cardOf(h, request.id);
  await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
  await waitForStatus(h, request.id, 'completed');
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
