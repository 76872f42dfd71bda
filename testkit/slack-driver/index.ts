/**
 * Plays Slack's side of the conversation with the app: it sends slash commands, view submissions, button
 * clicks and events to the app's request URL, signed exactly as Slack signs them, with payloads shaped as
 * Slack shapes them. Payloads are built from the SlackSimulator's records (the modal the app opened, the
 * message it posted), so a test can only click what the app really showed.
 *
 * Mistakes in a test (a block_id that is not in the view, a button that is not in the message, a required
 * input left empty) throw instead of producing a payload Slack could never send.
 *
 * Beside it: buttons.ts (what a click finds and sends), view-state.ts (a submission's state values) and
 * socket.ts (the same interactions as Socket Mode envelopes).
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  isJsonObject,
  type JsonObject,
  type SimEphemeral,
  type SimMessage,
  type SimView,
  type SlackSimulator,
} from '../slack/index.js';
import { buttonAction, findButton } from './buttons.js';
import { sendOverSocket } from './socket.js';
import { buildStateValues, describeView, type ViewValues } from './view-state.js';

export type { ViewValues } from './view-state.js';

const TEXT_INPUTS = ['plain_text_input', 'email_text_input', 'url_text_input', 'number_input'];

export interface SlackDriverOptions {
  /** The app's request URL, e.g. http://127.0.0.1:PORT/slack/events (HTTP mode). */
  appUrl: string;
  /**
   * How interactions reach the app: signed HTTP requests to `appUrl` (the default), or envelopes over
   * the simulator's Socket Mode connection (signatures and retry headers do not apply there).
   */
  transport?: 'http' | 'socket';
  signingSecret: string;
  sim: SlackSimulator;
  teamId?: string;
  /** Clock used for the signed request timestamp. */
  now?: () => number;
  /** The legacy verification token Slack still puts in payloads. */
  verificationToken?: string;
}

export interface SendOptions {
  /** Exactly `application/x-www-form-urlencoded` unless set: Bolt compares the header verbatim. */
  contentType?: string;
  /** Unix seconds for x-slack-request-timestamp; now by default. */
  timestamp?: number;
  /** Overrides the computed signature; `null` leaves the header out. */
  signature?: string | null;
  retryNum?: number;
  retryReason?: string;
}

export interface DriverResponse {
  status: number;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  elapsedMs: number;
}

export interface InteractionOptions {
  retryNum?: number;
  retryReason?: string;
}

export class SlackDriver {
  private readonly sim: SlackSimulator;
  private readonly teamId: string;
  private readonly now: () => number;
  private readonly verificationToken: string;

  constructor(private readonly options: SlackDriverOptions) {
    this.sim = options.sim;
    this.teamId = options.teamId ?? options.sim.teamId;
    this.now = options.now ?? Date.now;
    this.verificationToken = options.verificationToken ?? 'sim-verification-token';
  }

  /** Signs `v0:{timestamp}:{body}` with HMAC-SHA256, as Slack does. */
  sign(timestamp: number, body: string): string {
    const digest = createHmac('sha256', this.options.signingSecret)
      .update(`v0:${timestamp}:${body}`)
      .digest('hex');
    return `v0=${digest}`;
  }

  async send(body: string, options: SendOptions = {}): Promise<DriverResponse> {
    if (this.options.transport === 'socket') return sendOverSocket(this.sim, body, options.contentType);
    const timestamp = options.timestamp ?? Math.floor(this.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
    };
    const signature = options.signature === undefined ? this.sign(timestamp, body) : options.signature;
    if (signature !== null) headers['x-slack-signature'] = signature;
    if (options.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(options.retryNum);
      headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
    }
    const started = performance.now();
    const response = await fetch(this.options.appUrl, { method: 'POST', headers, body });
    const text = await response.text();
    const elapsedMs = Math.round(performance.now() - started);
    const json = parseJson(text);
    return { status: response.status, text, elapsedMs, ...(json === undefined ? {} : { json }) };
  }

  /** A slash command typed by `userId`; in the user's DM with the app unless `channelId` is given. */
  async command(
    userId: string,
    command: string,
    text: string,
    options: InteractionOptions & { channelId?: string } = {},
  ): Promise<DriverResponse & { triggerId: string; responseUrl: string }> {
    if (!command.startsWith('/')) throw new Error(`slash commands start with '/': got '${command}'`);
    const user = this.user(userId);
    const channelId = options.channelId ?? this.sim.openDm(userId);
    const channelName = this.channelName(channelId);
    const triggerId = this.sim.createTrigger({ userId });
    const responseUrl = this.sim.createResponseUrl({ userId, channelId });
    const form = new URLSearchParams({
      token: this.verificationToken,
      team_id: this.teamId,
      team_domain: this.sim.teamDomain,
      channel_id: channelId,
      channel_name: channelName,
      user_id: userId,
      user_name: user.name,
      command,
      text,
      api_app_id: this.sim.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    });
    const response = await this.send(form.toString(), options);
    this.sim.handleCommandAck(command, { userId, channelId }, response);
    return { ...response, triggerId, responseUrl };
  }

  /**
   * The user fills in and submits an open modal. Inputs not named in `values` keep their initial value,
   * as in Slack; a required input left empty, or a value Slack's client would refuse, throws.
   */
  async submitView(
    userId: string,
    view: SimView,
    values: ViewValues,
    options: InteractionOptions = {},
  ): Promise<DriverResponse> {
    const record = this.openView(userId, view);
    if (record.type !== 'modal')
      throw new Error(`view ${record.id} is a Home tab; only modals are submitted`);
    if (record.view.submit === null || record.view.submit === undefined) {
      throw new Error(`modal ${describeView(record)} has no submit button`);
    }
    const stateValues = buildStateValues(record.view, values, this.sim);
    const payload = {
      type: 'view_submission',
      team: this.team(),
      user: this.userPayload(userId),
      api_app_id: this.sim.appId,
      token: this.verificationToken,
      trigger_id: this.sim.createTrigger({ userId, viewId: record.id }),
      view: { ...record.view, state: { values: stateValues } },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const response = await this.sendPayload(payload, options);
    this.sim.handleViewSubmissionAck(record.id, response);
    return response;
  }

  /** The user dismisses a modal; Slack tells the app only when the view asked for notify_on_close. */
  async closeView(userId: string, view: SimView): Promise<DriverResponse | undefined> {
    const record = this.openView(userId, view);
    this.sim.closeView(record.id);
    if (record.view.notify_on_close !== true) return undefined;
    const payload = {
      type: 'view_closed',
      team: this.team(),
      user: this.userPayload(userId),
      api_app_id: this.sim.appId,
      token: this.verificationToken,
      view: record.view,
      is_cleared: false,
      is_enterprise_install: false,
      enterprise: null,
    };
    const response = await this.sendPayload(payload);
    this.sim.handleAck(`view_closed (${String(record.view.callback_id)})`, response);
    return response;
  }

  /**
   * The user clicks a button in a message (or an ephemeral message) the app posted, or picks the option
   * `value` of a select menu. When several buttons share the action_id (one per block), `value` or
   * `blockId` picks one.
   */
  async clickButton(
    userId: string,
    message: SimMessage | SimEphemeral,
    actionId: string,
    options: InteractionOptions & { value?: string; blockId?: string } = {},
  ): Promise<DriverResponse & { triggerId: string; responseUrl: string }> {
    this.user(userId);
    const { current, isEphemeral } = this.currentMessage(message);
    if (isEphemeral && current.user !== userId) {
      throw new Error(
        `the ephemeral message ${current.ts} is visible only to ${current.user}, not ${userId}`,
      );
    }
    const { button, blockId } = findButton(current.blocks, actionId, options, `message ${current.ts}`);
    const triggerId = this.sim.createTrigger({ userId });
    const responseUrl = this.sim.createResponseUrl({
      userId,
      channelId: current.channel,
      messageTs: current.ts,
      isEphemeral,
    });
    const payload = {
      type: 'block_actions',
      user: this.userPayload(userId),
      api_app_id: this.sim.appId,
      token: this.verificationToken,
      container: {
        type: 'message',
        message_ts: current.ts,
        channel_id: current.channel,
        is_ephemeral: isEphemeral,
        ...(current.threadTs === undefined ? {} : { thread_ts: current.threadTs }),
      },
      trigger_id: triggerId,
      team: this.team(),
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: current.channel, name: this.channelName(current.channel) },
      // Slack does not echo ephemeral messages back to the app.
      ...(isEphemeral ? {} : { message: this.sim.messageJson(current) }),
      state: { values: {} },
      response_url: responseUrl,
      actions: [buttonAction(button, blockId)],
    };
    const response = await this.sendPayload(payload, options);
    this.sim.handleAck(`block_actions ${actionId}`, response);
    return { ...response, triggerId, responseUrl };
  }

  /** The user clicks a button in an open modal or in their Home tab. */
  async clickInView(
    userId: string,
    view: SimView,
    actionId: string,
    options: InteractionOptions & { value?: string; blockId?: string } = {},
  ): Promise<DriverResponse & { triggerId: string }> {
    const record = this.openView(userId, view);
    const blocks = Array.isArray(record.view.blocks) ? record.view.blocks.filter(isJsonObject) : [];
    const { button, blockId } = findButton(blocks, actionId, options, `view ${describeView(record)}`);
    const triggerId = this.sim.createTrigger({ userId, viewId: record.id });
    const payload = {
      type: 'block_actions',
      user: this.userPayload(userId),
      api_app_id: this.sim.appId,
      token: this.verificationToken,
      container: { type: 'view', view_id: record.id },
      trigger_id: triggerId,
      team: this.team(),
      enterprise: null,
      is_enterprise_install: false,
      view: record.view,
      actions: [buttonAction(button, blockId)],
    };
    const response = await this.sendPayload(payload, options);
    this.sim.handleAck(`block_actions ${actionId}`, response);
    return { ...response, triggerId };
  }

  /**
   * The user types `value` into a text input whose block has `dispatch_action: true`, and presses Enter
   * (Slack's default, `on_enter_pressed`; or types it, with `on_character_entered`): Slack sends
   * block_actions with the view as it is, its hash and the state entered so far (`values`, the other
   * inputs; required ones may still be empty). An input without dispatch_action sends nothing: that throws.
   */
  async enterInView(
    userId: string,
    view: SimView,
    blockId: string,
    value: string,
    options: InteractionOptions & { values?: ViewValues } = {},
  ): Promise<DriverResponse & { triggerId: string }> {
    const record = this.openView(userId, view);
    const blocks = Array.isArray(record.view.blocks) ? record.view.blocks.filter(isJsonObject) : [];
    const block = blocks.find((candidate) => candidate.block_id === blockId);
    if (block === undefined) throw new Error(`view ${describeView(record)} has no block '${blockId}'`);
    const element = isJsonObject(block.element) ? block.element : undefined;
    if (block.type !== 'input' || element === undefined || !TEXT_INPUTS.includes(String(element.type))) {
      throw new Error(`block '${blockId}' of view ${describeView(record)} is not a text input block`);
    }
    if (block.dispatch_action !== true) {
      throw new Error(
        `input '${blockId}' of view ${describeView(record)} has no dispatch_action: Slack sends nothing until the form is submitted`,
      );
    }
    const actionId = String(element.action_id);
    const state = buildStateValues(
      record.view,
      { ...options.values, [blockId]: { [actionId]: value } },
      this.sim,
      { draft: true },
    );
    const triggerId = this.sim.createTrigger({ userId, viewId: record.id });
    const payload = {
      type: 'block_actions',
      user: this.userPayload(userId),
      api_app_id: this.sim.appId,
      token: this.verificationToken,
      container: { type: 'view', view_id: record.id },
      trigger_id: triggerId,
      team: this.team(),
      enterprise: null,
      is_enterprise_install: false,
      view: { ...record.view, state: { values: state } },
      actions: [
        {
          type: element.type,
          block_id: blockId,
          action_id: actionId,
          value,
          action_ts: (Date.now() / 1000).toFixed(6),
        },
      ],
    };
    const response = await this.sendPayload(payload, options);
    this.sim.handleAck(`block_actions ${actionId}`, response);
    return { ...response, triggerId };
  }

  /** An Events API delivery (e.g. `{ type: 'app_home_opened', user, tab: 'home' }`), sent as JSON. */
  async event(event: JsonObject, options: InteractionOptions = {}): Promise<DriverResponse> {
    const eventTime = Math.floor(this.now() / 1000);
    const envelope = {
      token: this.verificationToken,
      team_id: this.teamId,
      api_app_id: this.sim.appId,
      event: { event_ts: `${eventTime}.000100`, ...event },
      type: 'event_callback',
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: eventTime,
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.teamId,
          user_id: this.sim.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
    const response = await this.send(JSON.stringify(envelope), {
      ...options,
      contentType: 'application/json',
    });
    this.sim.handleAck(`event ${String(event.type)}`, response);
    return response;
  }

  /** The handshake Slack performs when the request URL is configured. */
  urlVerification(challenge = randomBytes(8).toString('hex')): Promise<DriverResponse> {
    const body = { token: this.verificationToken, challenge, type: 'url_verification' };
    return this.send(JSON.stringify(body), { contentType: 'application/json' });
  }

  // ----- helpers --------------------------------------------------------------------------------------

  private sendPayload(payload: JsonObject, options: InteractionOptions = {}): Promise<DriverResponse> {
    return this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
  }

  private user(userId: string) {
    const user = this.sim.users.get(userId);
    if (user === undefined) throw new Error(`unknown user ${userId}: add it with sim.addUser() first`);
    if (user.deleted) throw new Error(`user ${userId} is deactivated and cannot use Slack`);
    return user;
  }

  private userPayload(userId: string): JsonObject {
    const user = this.user(userId);
    return { id: user.id, username: user.name, name: user.name, team_id: this.teamId };
  }

  private team(): JsonObject {
    return { id: this.teamId, domain: this.sim.teamDomain };
  }

  private channelName(channelId: string): string {
    const name = this.sim.channelName(channelId);
    if (name === undefined)
      throw new Error(`unknown channel ${channelId}: add it with sim.addChannel() first`);
    return name;
  }

  /** The view as the simulator has it now (the test may hold an older copy); it must be open and the user's. */
  private openView(userId: string, view: SimView): SimView {
    this.user(userId);
    const record = this.sim.findView(view.id);
    if (record === undefined) throw new Error(`the simulator has no view ${view.id}`);
    if (record.status !== 'open') throw new Error(`view ${describeView(record)} is closed`);
    if (record.userId !== undefined && record.userId !== userId) {
      throw new Error(`view ${describeView(record)} was opened for ${record.userId}, not ${userId}`);
    }
    return record;
  }

  /** The message as the simulator has it now: it may have been edited or deleted since the test read it. */
  private currentMessage(message: SimMessage | SimEphemeral): {
    current: SimMessage | SimEphemeral;
    isEphemeral: boolean;
  } {
    const posted = this.sim.findMessage(message.channel, message.ts);
    if (posted !== undefined) return { current: posted, isEphemeral: false };
    const ephemeral = this.sim.ephemerals.find((e) => e.channel === message.channel && e.ts === message.ts);
    if (ephemeral !== undefined) return { current: ephemeral, isEphemeral: true };
    throw new Error(`message ${message.ts} in ${message.channel} no longer exists`);
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
