/**
 * Plays Slack's side of the conversation with the app: it sends slash commands, view submissions, button
 * clicks and events to the app's request URL, signed exactly as Slack signs them, with payloads shaped as
 * Slack shapes them. Payloads are built from the SlackSimulator's records (the modal the app opened, the
 * message it posted), so a test can only click what the app really showed.
 *
 * Mistakes in a test (a block_id that is not in the view, a button that is not in the message, a required
 * input left empty) throw instead of producing a payload Slack could never send.
 *
 * Beside it: buttons.ts (what a click finds and sends), view-state.ts (a submission's state values, the
 * input an Enter dispatches), records.ts (the user, channel, view or message an interaction needs, as
 * the simulator has it now), http.ts (a signed request to the app's URL) and socket.ts (the same
 * interactions as Socket Mode envelopes).
 */
import { randomBytes } from 'node:crypto';
import {
  isJsonObject,
  type JsonObject,
  type SimEphemeral,
  type SimMessage,
  type SimView,
  type SlackSimulator,
} from '../slack/index.js';
import { buttonAction, findButton } from './buttons.js';
import { sendSigned, signRequest } from './http.js';
import { channelNameOf, currentMessage, knownUser, openViewOf } from './records.js';
import { sendOverSocket } from './socket.js';
import { buildStateValues, describeView, dispatchingInput, type ViewValues } from './view-state.js';

export type { ViewValues } from './view-state.js';

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
  /** When it was sent, in milliseconds since the epoch with a fraction (performance.timeOrigin + now()). */
  sentAt?: number;
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
    return signRequest(this.options.signingSecret, timestamp, body);
  }

  /** The body as a signed request to the app's URL (http.ts), or as a Socket Mode envelope (socket.ts). */
  async send(body: string, options: SendOptions = {}): Promise<DriverResponse> {
    if (this.options.transport === 'socket') return sendOverSocket(this.sim, body, options.contentType);
    return sendSigned(this.options.appUrl, body, {
      ...options,
      timestamp: options.timestamp ?? Math.floor(this.now() / 1000),
      sign: (timestamp, signed) => this.sign(timestamp, signed),
    });
  }

  /** A slash command typed by `userId`; in the user's DM with the app unless `channelId` is given. */
  async command(
    userId: string,
    command: string,
    text: string,
    options: InteractionOptions & { channelId?: string } = {},
  ): Promise<DriverResponse & { triggerId: string; responseUrl: string }> {
    if (!command.startsWith('/')) throw new Error(`slash commands start with '/': got '${command}'`);
    const user = knownUser(this.sim, userId);
    const channelId = options.channelId ?? this.sim.openDm(userId);
    const channelName = channelNameOf(this.sim, channelId);
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
    const record = openViewOf(this.sim, userId, view);
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
    const record = openViewOf(this.sim, userId, view);
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
    knownUser(this.sim, userId);
    const { current, isEphemeral } = currentMessage(this.sim, message);
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
      channel: { id: current.channel, name: channelNameOf(this.sim, current.channel) },
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
    const record = openViewOf(this.sim, userId, view);
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
    const record = openViewOf(this.sim, userId, view);
    const { actionId, elementType } = dispatchingInput(record, blockId);
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
          type: elementType,
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

  private userPayload(userId: string): JsonObject {
    const user = knownUser(this.sim, userId);
    return { id: user.id, username: user.name, name: user.name, team_id: this.teamId };
  }

  private team(): JsonObject {
    return { id: this.teamId, domain: this.sim.teamDomain };
  }
}
