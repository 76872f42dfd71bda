/**
 * Plays Slack's side of the conversation with the app: it sends slash commands, view submissions, button
 * clicks and events to the app's request URL, signed exactly as Slack signs them, with payloads shaped as
 * Slack shapes them. Payloads are built from the SlackSimulator's records (the modal the app opened, the
 * message it posted), so a test can only click what the app really showed.
 *
 * Mistakes in a test (a block_id that is not in the view, a button that is not in the message, a required
 * input left empty) throw instead of producing a payload Slack could never send.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  inputBlocksOf,
  isJsonObject,
  type JsonObject,
  type SimEphemeral,
  type SimMessage,
  type SimView,
  type SlackSimulator,
} from '../slack/index.js';

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

/** Values a user types or picks, by block_id then action_id. `null` clears an input's initial value. */
export type ViewValues = Record<string, Record<string, string | string[] | null>>;

type InputValue = string | string[] | null;

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
    if (this.options.transport === 'socket') return this.sendOverSocket(body, options.contentType);
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

  /** The same interaction as an envelope: a command's form fields, an interaction's or event's JSON. */
  private async sendOverSocket(body: string, contentType: string | undefined): Promise<DriverResponse> {
    let type: 'slash_commands' | 'interactive' | 'events_api';
    let payload: JsonObject;
    if (contentType?.startsWith('application/json')) {
      type = 'events_api';
      payload = JSON.parse(body) as JsonObject;
    } else {
      const form = new URLSearchParams(body);
      const interaction = form.get('payload');
      type = interaction === null ? 'slash_commands' : 'interactive';
      payload = interaction === null ? Object.fromEntries(form) : (JSON.parse(interaction) as JsonObject);
    }
    const ack = await this.sim.sendEnvelope(type, payload);
    // An empty ack payload is what an HTTP ack with an empty body is.
    const empty = Object.keys(ack.payload).length === 0;
    return {
      status: 200,
      text: empty ? '' : JSON.stringify(ack.payload),
      elapsedMs: ack.elapsedMs,
      ...(empty ? {} : { json: ack.payload }),
    };
  }

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

// ---------------------------------------------------------------------------------------------------------
// Buttons
// ---------------------------------------------------------------------------------------------------------

function interactiveElementsOf(block: JsonObject): JsonObject[] {
  if (block.type === 'actions' && Array.isArray(block.elements)) return block.elements.filter(isJsonObject);
  if (block.type === 'section' && isJsonObject(block.accessory)) return [block.accessory];
  return [];
}

function findButton(
  blocks: JsonObject[] | undefined,
  actionId: string,
  selector: { value?: string; blockId?: string },
  where: string,
): { button: JsonObject; blockId: string } {
  const found: Array<{ button: JsonObject; blockId: string }> = [];
  const seenActionIds: string[] = [];
  for (const block of blocks ?? []) {
    for (const element of interactiveElementsOf(block)) {
      seenActionIds.push(String(element.action_id));
      if (element.action_id !== actionId) continue;
      if (element.type === 'static_select') {
        // Choosing an option of a select menu: `value` names the option, as the user picks it.
        const options = Array.isArray(element.options) ? element.options.filter(isJsonObject) : [];
        const option = options.find((candidate) => candidate.value === selector.value);
        if (selector.value === undefined || option === undefined) {
          throw new Error(
            `${actionId} in ${where} is a select menu: pass { value } naming one of its options`,
          );
        }
        if (selector.blockId !== undefined && block.block_id !== selector.blockId) continue;
        found.push({ button: { ...element, selected_option: option }, blockId: String(block.block_id) });
        continue;
      }
      if (element.type !== 'button')
        throw new Error(`${actionId} in ${where} is a ${String(element.type)}, not a button`);
      if (selector.value !== undefined && element.value !== selector.value) continue;
      if (selector.blockId !== undefined && block.block_id !== selector.blockId) continue;
      found.push({ button: element, blockId: String(block.block_id) });
    }
  }
  const [only, ...others] = found;
  if (only === undefined) {
    throw new Error(
      `no button '${actionId}' matching ${JSON.stringify(selector)} in ${where}; has: ${seenActionIds.join(', ')}`,
    );
  }
  if (others.length > 0) {
    throw new Error(
      `${found.length} buttons '${actionId}' in ${where}: pass { value } or { blockId } to pick one`,
    );
  }
  return only;
}

function buttonAction(button: JsonObject, blockId: string): JsonObject {
  if (button.type === 'static_select') {
    return {
      action_id: button.action_id,
      block_id: blockId,
      type: 'static_select',
      selected_option: button.selected_option,
      ...(button.placeholder === undefined ? {} : { placeholder: button.placeholder }),
      action_ts: (Date.now() / 1000).toFixed(6),
    };
  }
  return {
    action_id: button.action_id,
    block_id: blockId,
    text: button.text,
    ...(button.value === undefined ? {} : { value: button.value }),
    ...(button.style === undefined ? {} : { style: button.style }),
    type: 'button',
    action_ts: (Date.now() / 1000).toFixed(6),
  };
}

// ---------------------------------------------------------------------------------------------------------
// View state
// ---------------------------------------------------------------------------------------------------------

/** Builds `view.state.values` exactly as Slack sends it for each input element type. */
function buildStateValues(view: JsonObject, values: ViewValues, sim: SlackSimulator): JsonObject {
  const inputs = inputBlocksOf(view);
  const where = `view ${String(view.callback_id) || String(view.id)}`;
  for (const [blockId, actions] of Object.entries(values)) {
    const block = inputs.find((input) => input.block_id === blockId);
    if (block === undefined) {
      throw new Error(
        `${where} has no input block '${blockId}'; its input blocks: ${inputs.map((i) => i.block_id).join(', ')}`,
      );
    }
    for (const actionId of Object.keys(actions)) {
      if (actionId !== block.element.action_id) {
        throw new Error(
          `input block '${blockId}' has no element '${actionId}' (its element is '${String(block.element.action_id)}')`,
        );
      }
    }
  }
  const state: JsonObject = {};
  for (const block of inputs) {
    const actionId = String(block.element.action_id);
    const typed = values[block.block_id]?.[actionId];
    const value = typed === undefined ? initialValueOf(block.element) : typed;
    const isEmpty = value === null || value === '' || (Array.isArray(value) && value.length === 0);
    if (isEmpty && block.optional !== true) {
      throw new Error(`Slack would not submit ${where}: required input '${block.block_id}' is empty`);
    }
    const label = `input '${block.block_id}'`;
    state[block.block_id] = { [actionId]: elementState(block.element, isEmpty ? null : value, label, sim) };
  }
  return state;
}

function initialValueOf(element: JsonObject): InputValue {
  const optionValue = (option: unknown) => (isJsonObject(option) ? String(option.value) : null);
  switch (element.type) {
    case 'static_select':
    case 'radio_buttons':
    case 'external_select':
      return optionValue(element.initial_option);
    case 'multi_static_select':
    case 'checkboxes':
    case 'multi_external_select':
      return Array.isArray(element.initial_options)
        ? element.initial_options.map(optionValue).filter(isString)
        : [];
    default: {
      const field = INITIAL_FIELD[String(element.type)];
      const initial = field === undefined ? undefined : element[field];
      if (typeof initial === 'string') return initial;
      if (Array.isArray(initial)) return initial.filter(isString);
      return null;
    }
  }
}

const INITIAL_FIELD: Record<string, string> = {
  plain_text_input: 'initial_value',
  email_text_input: 'initial_value',
  url_text_input: 'initial_value',
  number_input: 'initial_value',
  users_select: 'initial_user',
  multi_users_select: 'initial_users',
  conversations_select: 'initial_conversation',
  multi_conversations_select: 'initial_conversations',
  channels_select: 'initial_channel',
  multi_channels_select: 'initial_channels',
  datepicker: 'initial_date',
  timepicker: 'initial_time',
};

// The state field Slack uses for the single-id pickers and their multi variants.
const SELECTED_ID_FIELD: Record<string, string> = {
  users_select: 'selected_user',
  conversations_select: 'selected_conversation',
  channels_select: 'selected_channel',
  multi_users_select: 'selected_users',
  multi_conversations_select: 'selected_conversations',
  multi_channels_select: 'selected_channels',
};

function elementState(
  element: JsonObject,
  value: InputValue,
  label: string,
  sim: SlackSimulator,
): JsonObject {
  const type = String(element.type);
  const single = (): string | null => {
    if (Array.isArray(value)) throw new Error(`${label} (${type}) takes one value, not a list`);
    return value;
  };
  const many = (): string[] => {
    if (value === null) return [];
    if (!Array.isArray(value)) throw new Error(`${label} (${type}) takes a list of values`);
    return value;
  };
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const text = single();
      if (text !== null) checkTypedText(element, text, label);
      return { type, value: text };
    }
    case 'static_select':
    case 'radio_buttons':
    case 'external_select': {
      const chosen = single();
      return { type, selected_option: chosen === null ? null : pickOption(element, chosen, label) };
    }
    case 'multi_static_select':
    case 'checkboxes':
    case 'multi_external_select':
      return { type, selected_options: many().map((chosen) => pickOption(element, chosen, label)) };
    case 'users_select':
    case 'conversations_select':
    case 'channels_select': {
      const id = single();
      if (type === 'users_select' && id !== null) checkPickableUser(sim, id, label);
      return { type, [SELECTED_ID_FIELD[type] ?? 'selected']: id };
    }
    case 'multi_users_select':
    case 'multi_conversations_select':
    case 'multi_channels_select': {
      const ids = many();
      if (type === 'multi_users_select') for (const id of ids) checkPickableUser(sim, id, label);
      return { type, [SELECTED_ID_FIELD[type] ?? 'selected']: ids };
    }
    case 'datepicker': {
      const date = single();
      if (date !== null && !/^\d{4}-\d{2}-\d{2}$/.test(date))
        throw new Error(`${label}: '${date}' is not YYYY-MM-DD`);
      return { type, selected_date: date };
    }
    case 'timepicker': {
      const time = single();
      if (time !== null && !/^\d{2}:\d{2}$/.test(time)) throw new Error(`${label}: '${time}' is not HH:mm`);
      return { type, selected_time: time };
    }
    default:
      throw new Error(`${label}: the driver cannot fill a ${type} element`);
  }
}

/** The checks Slack's client makes before it lets the user submit typed text. */
function checkTypedText(element: JsonObject, text: string, label: string): void {
  const length = Array.from(text).length;
  if (typeof element.min_length === 'number' && length < element.min_length) {
    throw new Error(`Slack would not submit: ${label} needs at least ${element.min_length} characters`);
  }
  if (typeof element.max_length === 'number' && length > element.max_length) {
    throw new Error(`Slack would not submit: ${label} allows at most ${element.max_length} characters`);
  }
  if (element.type === 'email_text_input' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) {
    throw new Error(`Slack would not submit: ${label} needs an email address, got '${text}'`);
  }
  if (element.type === 'url_text_input' && !/^https?:\/\/\S+$/.test(text)) {
    throw new Error(`Slack would not submit: ${label} needs a URL, got '${text}'`);
  }
  if (element.type === 'number_input') {
    const number = Number(text);
    const isDecimal = !Number.isInteger(number);
    if (
      text.trim() === '' ||
      !Number.isFinite(number) ||
      (isDecimal && element.is_decimal_allowed !== true)
    ) {
      throw new Error(
        `Slack would not submit: ${label} needs ${element.is_decimal_allowed ? 'a number' : 'a whole number'}`,
      );
    }
  }
}

function checkPickableUser(sim: SlackSimulator, userId: string, label: string): void {
  const user = sim.users.get(userId);
  if (user === undefined || user.deleted) {
    throw new Error(`${label}: Slack's user picker does not offer ${userId} (unknown or deactivated)`);
  }
}

function optionsOf(element: JsonObject): JsonObject[] {
  const direct = Array.isArray(element.options) ? element.options.filter(isJsonObject) : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups
        .filter(isJsonObject)
        .flatMap((group) => (Array.isArray(group.options) ? group.options : []))
    : [];
  return [...direct, ...grouped.filter(isJsonObject)];
}

function pickOption(element: JsonObject, value: string, label: string): JsonObject {
  if (String(element.type).includes('external_select')) {
    // Options of external selects come from the app at typing time; the value stands in for the option.
    return { text: { type: 'plain_text', text: value }, value };
  }
  const options = optionsOf(element);
  const option = options.find((candidate) => candidate.value === value);
  if (option === undefined) {
    throw new Error(
      `${label} has no option '${value}'; options: ${options.map((o) => String(o.value)).join(', ')}`,
    );
  }
  return option;
}

function describeView(record: SimView): string {
  const callbackId = record.view.callback_id;
  return typeof callbackId === 'string' && callbackId !== '' ? `${record.id} (${callbackId})` : record.id;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
