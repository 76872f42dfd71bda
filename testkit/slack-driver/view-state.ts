/**
 * A modal's submitted state: `view.state.values` exactly as Slack sends it for each input element type,
 * from the values a test types or picks. Slack's client refuses some submissions (a required input left
 * empty, text too short, an option that does not exist); so does this, by throwing.
 */
import {
  inputBlocksOf,
  isJsonObject,
  type JsonObject,
  type SimView,
  type SlackSimulator,
} from '../slack/index.js';

/** Values a user types or picks, by block_id then action_id. `null` clears an input's initial value. */
export type ViewValues = Record<string, Record<string, string | string[] | null>>;

type InputValue = string | string[] | null;

/**
 * Builds `view.state.values` exactly as Slack sends it for each input element type. A `draft` is the
 * state while the person is still filling the form in (sent with a dispatched action): required inputs
 * may be empty and typed text is not checked yet.
 */
export function buildStateValues(
  view: JsonObject,
  values: ViewValues,
  sim: SlackSimulator,
  options: { draft?: boolean } = {},
): JsonObject {
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
    if (isEmpty && block.optional !== true && !options.draft) {
      throw new Error(`Slack would not submit ${where}: required input '${block.block_id}' is empty`);
    }
    const label = `input '${block.block_id}'`;
    state[block.block_id] = {
      [actionId]: elementState(block.element, isEmpty ? null : value, label, sim, options.draft ?? false),
    };
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
  draft: boolean,
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
      if (text !== null && !draft) checkTypedText(element, text, label);
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

export function describeView(record: SimView): string {
  const callbackId = record.view.callback_id;
  return typeof callbackId === 'string' && callbackId !== '' ? `${record.id} (${callbackId})` : record.id;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

const TEXT_INPUTS = ['plain_text_input', 'email_text_input', 'url_text_input', 'number_input'];

/**
 * The text input in block `blockId` of an open modal that sends a block_actions when Enter is pressed
 * (`dispatch_action: true`); anything else throws, since Slack would send nothing.
 */
export function dispatchingInput(
  record: SimView,
  blockId: string,
): { actionId: string; elementType: unknown } {
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
  return { actionId: String(element.action_id), elementType: element.type };
}
