/**
 * A local stand-in for the Slack Web API, strict enough to refuse what the real Slack refuses.
 *
 * It is a real `node:http` server that `@slack/web-api`'s WebClient talks to through `slackApiUrl`, so a
 * Bolt app under test exercises its real HTTP client, serialisation and error handling. Everything the
 * app does is recorded (`calls`, `messages`, `views`, …) for tests to assert on, and behaviour that the
 * real Slack accepts silently but that is almost certainly a bug (e.g. replying to a thread that does not
 * exist, acking an interaction too late) is collected in `problems`.
 *
 * Error codes and limits follow Slack's published method and Block Kit references; where Slack's exact
 * wording is unknown the simulator says what is wrong in plain words, in Slack's
 * `[ERROR] <message> [json-pointer:<pointer>]` format.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Concatenates every `text` string found anywhere in a value (blocks, a view, a message): handy for asserts. */
export function collectText(value: unknown): string {
  const parts: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
    } else if (isJsonObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'text' && typeof child === 'string') parts.push(child);
        else visit(child);
      }
    }
  };
  visit(value);
  return parts.join('\n');
}

// Slack counts characters, not UTF-16 code units.
function charCount(value: string): number {
  return Array.from(value).length;
}

// ---------------------------------------------------------------------------------------------------------
// Block Kit validation
// ---------------------------------------------------------------------------------------------------------

export type BlockSurface = 'message' | 'modal' | 'home';

export interface BlockProblem {
  /** JSON pointer into the request, as Slack reports it, e.g. `/blocks/3/text/text`. */
  pointer: string;
  message: string;
}

/** Formats a problem the way Slack does in `response_metadata.messages`. */
export function formatBlockProblem(problem: BlockProblem): string {
  return `[ERROR] ${problem.message} [json-pointer:${problem.pointer}]`;
}

const BLOCK_LIMIT: Record<BlockSurface, number> = { message: 50, modal: 100, home: 100 };

const SINGLE_SELECT_TYPES = [
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
];
const SELECT_TYPES = [...SINGLE_SELECT_TYPES, ...SINGLE_SELECT_TYPES.map((type) => `multi_${type}`)];
const TEXT_INPUT_TYPES = ['plain_text_input', 'email_text_input', 'url_text_input', 'number_input'];
const PICKER_TYPES = ['datepicker', 'timepicker', 'datetimepicker'];
const CHOICE_TYPES = ['checkboxes', 'radio_buttons'];

const ACTIONS_ELEMENTS = new Set([
  'button',
  'overflow',
  'workflow_button',
  ...SELECT_TYPES,
  ...PICKER_TYPES,
  ...CHOICE_TYPES,
]);
// Text inputs may sit in actions blocks of modals and Home tabs (with dispatch_action), never in messages.
const ACTIONS_ELEMENTS_IN_VIEWS = new Set([...ACTIONS_ELEMENTS, ...TEXT_INPUT_TYPES, 'rich_text_input']);
const ACCESSORY_ELEMENTS = new Set([
  'button',
  'image',
  'overflow',
  'workflow_button',
  ...SELECT_TYPES,
  ...PICKER_TYPES,
  ...CHOICE_TYPES,
]);
const INPUT_ELEMENTS = new Set([
  'file_input',
  'rich_text_input',
  ...TEXT_INPUT_TYPES,
  ...SELECT_TYPES,
  ...PICKER_TYPES,
  ...CHOICE_TYPES,
]);
const KNOWN_ELEMENTS = new Set([...ACTIONS_ELEMENTS_IN_VIEWS, ...ACCESSORY_ELEMENTS, ...INPUT_ELEMENTS]);
const ELEMENTS_WITHOUT_PLACEHOLDER = new Set([
  'button',
  'image',
  'overflow',
  'workflow_button',
  ...CHOICE_TYPES,
]);

/** Collects problems while walking one surface (a message's blocks, or a view). */
class BlockValidation {
  readonly problems: BlockProblem[] = [];

  constructor(readonly surface: BlockSurface) {}

  add(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }

  /** An optional (or required) string field; returns it when it is a string. */
  string(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { max?: number; required?: boolean; nonEmpty?: boolean } = {},
  ): string | undefined {
    const value = owner[field];
    if (value === undefined || value === null) {
      if (rule.required) this.add(pointer, `missing required field: ${field}`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(`${pointer}/${field}`, 'must provide a string');
      return undefined;
    }
    if (rule.nonEmpty && value.length === 0)
      this.add(`${pointer}/${field}`, 'must be more than 0 characters');
    if (rule.max !== undefined && charCount(value) > rule.max) {
      this.add(`${pointer}/${field}`, `must be less than ${rule.max + 1} characters`);
    }
    return value;
  }

  /** A text object held in `owner[field]`. */
  text(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { max: number; required?: boolean; plainOnly?: boolean },
  ): void {
    const value = owner[field];
    if (value === undefined || value === null) {
      if (rule.required) this.add(pointer, `missing required field: ${field}`);
      return;
    }
    this.textObject(value, `${pointer}/${field}`, rule);
  }

  /** A text object at `pointer` (e.g. a section field or a context element). */
  textObject(value: unknown, pointer: string, rule: { max: number; plainOnly?: boolean }): void {
    if (!isJsonObject(value)) {
      this.add(pointer, 'must provide an object');
      return;
    }
    const type = value.type;
    if (type !== 'plain_text' && type !== 'mrkdwn') {
      this.add(`${pointer}/type`, 'must be a valid enum value (plain_text or mrkdwn)');
    } else if (rule.plainOnly && type === 'mrkdwn') {
      this.add(`${pointer}/type`, 'must be plain_text here: mrkdwn is not allowed');
    }
    if (type === 'mrkdwn' && value.emoji !== undefined)
      this.add(`${pointer}/emoji`, 'emoji is only valid on plain_text');
    if (type === 'plain_text' && value.verbatim !== undefined) {
      this.add(`${pointer}/verbatim`, 'verbatim is only valid on mrkdwn');
    }
    this.string(value, 'text', pointer, { required: true, max: rule.max, nonEmpty: true });
  }

  boolean(owner: JsonObject, field: string, pointer: string): void {
    const value = owner[field];
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      this.add(`${pointer}/${field}`, 'must provide a boolean');
    }
  }

  integer(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { min: number; max?: number },
  ): number | undefined {
    const value = owner[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(`${pointer}/${field}`, 'must provide an integer');
      return undefined;
    }
    if (value < rule.min) this.add(`${pointer}/${field}`, `must be at least ${rule.min}`);
    if (rule.max !== undefined && value > rule.max)
      this.add(`${pointer}/${field}`, `must be at most ${rule.max}`);
    return value;
  }

  array(
    owner: JsonObject,
    field: string,
    pointer: string,
    rule: { min?: number; max?: number; required?: boolean },
  ): unknown[] | undefined {
    const value = owner[field];
    if (value === undefined || value === null) {
      if (rule.required) this.add(pointer, `missing required field: ${field}`);
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(`${pointer}/${field}`, 'must provide an array');
      return undefined;
    }
    if (rule.min !== undefined && value.length < rule.min) {
      this.add(`${pointer}/${field}`, `must provide at least ${rule.min} items`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.add(`${pointer}/${field}`, `no more than ${rule.max} items allowed`);
    }
    return value;
  }

  oneOf(owner: JsonObject, field: string, pointer: string, allowed: readonly string[]): void {
    const value = owner[field];
    if (value === undefined || value === null) return;
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.add(`${pointer}/${field}`, `must be one of: ${allowed.join(', ')}`);
    }
  }
}

/**
 * Validates a list of Block Kit blocks for one surface. Pure: returns the problems, never throws.
 * `pointer` is where the list sits in the request (`/blocks` for messages, `/view/blocks` for views).
 */
export function validateBlocks(blocks: unknown, surface: BlockSurface, pointer = '/blocks'): BlockProblem[] {
  const validation = new BlockValidation(surface);
  validateBlockList(validation, blocks, pointer);
  return validation.problems;
}

/**
 * Validates a view payload (`views.open`/`push`/`update`/`publish`). Pointers start at `/view`.
 * `expectedType` is what the method accepts (`modal` for open/push/update, `home` for publish).
 */
export function validateView(view: unknown, expectedType?: 'modal' | 'home'): BlockProblem[] {
  const base = '/view';
  if (!isJsonObject(view)) return [{ pointer: base, message: 'must provide an object' }];
  const type = view.type;
  if (type !== 'modal' && type !== 'home') {
    return [{ pointer: `${base}/type`, message: 'must be a valid enum value (modal or home)' }];
  }
  const validation = new BlockValidation(type);
  if (expectedType !== undefined && type !== expectedType) {
    validation.add(`${base}/type`, `must be ${expectedType} for this method`);
  }
  if (type === 'modal') {
    validation.text(view, 'title', base, { max: 24, required: true, plainOnly: true });
    validation.text(view, 'submit', base, { max: 24, plainOnly: true });
    validation.text(view, 'close', base, { max: 24, plainOnly: true });
    validation.boolean(view, 'clear_on_close', base);
    validation.boolean(view, 'notify_on_close', base);
    validation.boolean(view, 'submit_disabled', base);
  }
  if (view.blocks === undefined) validation.add(base, 'missing required field: blocks');
  else validateBlockList(validation, view.blocks, `${base}/blocks`);
  validation.string(view, 'private_metadata', base, { max: 3000 });
  validation.string(view, 'callback_id', base, { max: 255 });
  validation.string(view, 'external_id', base, { max: 255 });

  const hasInputBlock =
    Array.isArray(view.blocks) && view.blocks.some((block) => isJsonObject(block) && block.type === 'input');
  if (type === 'modal' && hasInputBlock && (view.submit === undefined || view.submit === null)) {
    validation.add(base, 'a modal with input blocks must define submit');
  }
  return validation.problems;
}

function validateBlockList(validation: BlockValidation, blocks: unknown, pointer: string): void {
  if (!Array.isArray(blocks)) {
    validation.add(pointer, 'must provide an array');
    return;
  }
  const limit = BLOCK_LIMIT[validation.surface];
  if (blocks.length > limit) validation.add(pointer, `no more than ${limit} items allowed`);
  const firstUseOfBlockId = new Map<string, number>();
  blocks.forEach((block, index) => {
    validateBlock(validation, block, `${pointer}/${index}`, index, firstUseOfBlockId);
  });
}

function validateBlock(
  validation: BlockValidation,
  block: unknown,
  pointer: string,
  index: number,
  firstUseOfBlockId: Map<string, number>,
): void {
  if (!isJsonObject(block)) {
    validation.add(pointer, 'must provide an object');
    return;
  }
  const type = block.type;
  if (typeof type !== 'string') {
    validation.add(pointer, 'missing required field: type');
    return;
  }
  const blockId = validation.string(block, 'block_id', pointer, { max: 255, nonEmpty: true });
  if (blockId !== undefined && blockId !== '') {
    const firstIndex = firstUseOfBlockId.get(blockId);
    if (firstIndex === undefined) firstUseOfBlockId.set(blockId, index);
    else
      validation.add(
        `${pointer}/block_id`,
        `duplicate block_id '${blockId}' (also used by block ${firstIndex})`,
      );
  }

  const actionIds = new Set<string>();
  const surface = validation.surface;
  switch (type) {
    case 'section': {
      validation.text(block, 'text', pointer, { max: 3000 });
      const fields = validation.array(block, 'fields', pointer, { min: 1, max: 10 });
      fields?.forEach((field, fieldIndex) => {
        validation.textObject(field, `${pointer}/fields/${fieldIndex}`, { max: 2000 });
      });
      if ((block.text === undefined || block.text === null) && fields === undefined) {
        validation.add(pointer, 'must define either `text` or `fields`');
      }
      if (block.accessory !== undefined) {
        validateElement(
          validation,
          block.accessory,
          `${pointer}/accessory`,
          ACCESSORY_ELEMENTS,
          actionIds,
          'a section',
        );
      }
      validation.boolean(block, 'expand', pointer);
      return;
    }
    case 'header':
      validation.text(block, 'text', pointer, { max: 150, required: true, plainOnly: true });
      return;
    case 'divider':
      return;
    case 'image':
      validateImage(validation, block, pointer);
      validation.text(block, 'title', pointer, { max: 2000, plainOnly: true });
      return;
    case 'context': {
      const elements = validation.array(block, 'elements', pointer, { required: true, min: 1, max: 10 });
      elements?.forEach((element, elementIndex) => {
        const elementPointer = `${pointer}/elements/${elementIndex}`;
        if (isJsonObject(element) && element.type === 'image')
          validateImage(validation, element, elementPointer);
        else validation.textObject(element, elementPointer, { max: 3000 });
      });
      return;
    }
    case 'actions': {
      const allowed = surface === 'message' ? ACTIONS_ELEMENTS : ACTIONS_ELEMENTS_IN_VIEWS;
      const elements = validation.array(block, 'elements', pointer, { required: true, min: 1, max: 25 });
      elements?.forEach((element, elementIndex) => {
        validateElement(
          validation,
          element,
          `${pointer}/elements/${elementIndex}`,
          allowed,
          actionIds,
          'an actions block',
        );
      });
      return;
    }
    case 'input':
      if (surface === 'message') {
        validation.add(
          `${pointer}/type`,
          'input blocks are only allowed in modals and Home tabs, not in messages',
        );
      }
      validation.text(block, 'label', pointer, { max: 2000, required: true, plainOnly: true });
      validation.text(block, 'hint', pointer, { max: 2000, plainOnly: true });
      validation.boolean(block, 'optional', pointer);
      validation.boolean(block, 'dispatch_action', pointer);
      if (block.element === undefined) validation.add(pointer, 'missing required field: element');
      else
        validateElement(
          validation,
          block.element,
          `${pointer}/element`,
          INPUT_ELEMENTS,
          actionIds,
          'an input block',
        );
      return;
    case 'markdown':
      if (surface !== 'message')
        validation.add(`${pointer}/type`, 'markdown blocks are only allowed in messages');
      validation.string(block, 'text', pointer, { required: true, max: 12000, nonEmpty: true });
      return;
    case 'rich_text':
      validation.array(block, 'elements', pointer, { required: true });
      return;
    case 'file':
      validation.string(block, 'external_id', pointer, { required: true });
      validation.string(block, 'source', pointer, { required: true });
      return;
    case 'video':
      validation.string(block, 'alt_text', pointer, { required: true });
      validation.string(block, 'video_url', pointer, { required: true });
      validation.string(block, 'thumbnail_url', pointer, { required: true });
      validation.text(block, 'title', pointer, { max: 200, required: true, plainOnly: true });
      return;
    default:
      validation.add(`${pointer}/type`, `unsupported type: ${type}`);
  }
}

function validateImage(validation: BlockValidation, image: JsonObject, pointer: string): void {
  validation.string(image, 'image_url', pointer, { max: 3000, nonEmpty: true });
  if (image.image_url === undefined && image.slack_file === undefined) {
    validation.add(pointer, 'must provide either image_url or slack_file');
  }
  validation.string(image, 'alt_text', pointer, { required: true, max: 2000 });
}

function validateElement(
  validation: BlockValidation,
  element: unknown,
  pointer: string,
  allowed: ReadonlySet<string>,
  actionIdsInBlock: Set<string>,
  where: string,
): void {
  if (!isJsonObject(element)) {
    validation.add(pointer, 'must provide an object');
    return;
  }
  const type = element.type;
  if (typeof type !== 'string') {
    validation.add(pointer, 'missing required field: type');
    return;
  }
  if (!allowed.has(type)) {
    const reason = KNOWN_ELEMENTS.has(type)
      ? `${type} is not allowed in ${where}`
      : `unsupported type: ${type}`;
    validation.add(`${pointer}/type`, reason);
    return;
  }
  if (type === 'image') {
    validateImage(validation, element, pointer);
    return;
  }

  const actionId = validation.string(element, 'action_id', pointer, { max: 255, nonEmpty: true });
  if (actionId !== undefined && actionId !== '') {
    if (actionIdsInBlock.has(actionId)) {
      validation.add(`${pointer}/action_id`, `duplicate action_id '${actionId}' in the same block`);
    }
    actionIdsInBlock.add(actionId);
  }
  if (element.confirm !== undefined) validateConfirm(validation, element.confirm, `${pointer}/confirm`);
  if (!ELEMENTS_WITHOUT_PLACEHOLDER.has(type)) {
    validation.text(element, 'placeholder', pointer, { max: 150, plainOnly: true });
  }
  validation.boolean(element, 'focus_on_load', pointer);

  switch (type) {
    case 'button':
      validation.text(element, 'text', pointer, { max: 75, required: true, plainOnly: true });
      validation.string(element, 'url', pointer, { max: 3000 });
      validation.string(element, 'value', pointer, { max: 2000 });
      validation.oneOf(element, 'style', pointer, ['primary', 'danger']);
      validation.string(element, 'accessibility_label', pointer, { max: 75 });
      return;
    case 'static_select':
    case 'multi_static_select':
      validateStaticSelect(validation, element, pointer, type === 'multi_static_select');
      return;
    case 'external_select':
    case 'multi_external_select':
      validation.integer(element, 'min_query_length', pointer, { min: 0 });
      if (type.startsWith('multi_')) validation.integer(element, 'max_selected_items', pointer, { min: 1 });
      return;
    case 'users_select':
      validation.string(element, 'initial_user', pointer);
      return;
    case 'conversations_select':
      validation.string(element, 'initial_conversation', pointer);
      return;
    case 'channels_select':
      validation.string(element, 'initial_channel', pointer);
      return;
    case 'multi_users_select':
    case 'multi_conversations_select':
    case 'multi_channels_select': {
      const field = `initial_${type.slice('multi_'.length, -'_select'.length)}s`;
      const initialIds = validation.array(element, field, pointer, {});
      initialIds?.forEach((id, idIndex) => {
        if (typeof id !== 'string') validation.add(`${pointer}/${field}/${idIndex}`, 'must provide a string');
      });
      validation.integer(element, 'max_selected_items', pointer, { min: 1 });
      return;
    }
    case 'overflow':
      validateOptionList(validation, element, 'options', pointer, {
        min: 2,
        max: 5,
        plainOnly: true,
        allowUrl: true,
      });
      return;
    case 'checkboxes': {
      const options = validateOptionList(validation, element, 'options', pointer, {
        min: 1,
        max: 10,
        required: true,
      });
      validateInitialOptions(validation, element, pointer, options, true);
      return;
    }
    case 'radio_buttons': {
      const options = validateOptionList(validation, element, 'options', pointer, {
        min: 1,
        max: 10,
        required: true,
      });
      validateInitialOptions(validation, element, pointer, options, false);
      return;
    }
    case 'datepicker': {
      const initialDate = validation.string(element, 'initial_date', pointer);
      if (initialDate !== undefined && !isCalendarDate(initialDate)) {
        validation.add(`${pointer}/initial_date`, 'must be a date formatted YYYY-MM-DD');
      }
      return;
    }
    case 'timepicker': {
      const initialTime = validation.string(element, 'initial_time', pointer);
      if (initialTime !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(initialTime)) {
        validation.add(`${pointer}/initial_time`, 'must be a time formatted HH:mm');
      }
      return;
    }
    case 'datetimepicker':
      validation.integer(element, 'initial_date_time', pointer, { min: 0 });
      return;
    case 'plain_text_input': {
      validation.string(element, 'initial_value', pointer);
      validation.boolean(element, 'multiline', pointer);
      const minLength = validation.integer(element, 'min_length', pointer, { min: 0, max: 3000 });
      const maxLength = validation.integer(element, 'max_length', pointer, { min: 1, max: 3000 });
      if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
        validation.add(`${pointer}/min_length`, 'must not be greater than max_length');
      }
      return;
    }
    case 'email_text_input':
    case 'url_text_input':
      validation.string(element, 'initial_value', pointer);
      return;
    case 'number_input': {
      if (typeof element.is_decimal_allowed !== 'boolean') {
        validation.add(pointer, 'missing required field: is_decimal_allowed');
      }
      for (const field of ['initial_value', 'min_value', 'max_value']) {
        const value = validation.string(element, field, pointer);
        if (value !== undefined && !Number.isFinite(Number(value))) {
          validation.add(`${pointer}/${field}`, 'must be a number written as a string');
        }
      }
      return;
    }
    default:
      // rich_text_input, file_input, workflow_button: only their common fields are checked.
      return;
  }
}

function validateConfirm(validation: BlockValidation, confirm: unknown, pointer: string): void {
  if (!isJsonObject(confirm)) {
    validation.add(pointer, 'must provide an object');
    return;
  }
  validation.text(confirm, 'title', pointer, { max: 100, required: true, plainOnly: true });
  validation.text(confirm, 'text', pointer, { max: 300, required: true });
  validation.text(confirm, 'confirm', pointer, { max: 30, required: true, plainOnly: true });
  validation.text(confirm, 'deny', pointer, { max: 30, required: true, plainOnly: true });
  validation.oneOf(confirm, 'style', pointer, ['primary', 'danger']);
}

function validateStaticSelect(
  validation: BlockValidation,
  select: JsonObject,
  pointer: string,
  multi: boolean,
): void {
  const hasOptions = select.options !== undefined;
  const hasGroups = select.option_groups !== undefined;
  if (hasOptions === hasGroups) {
    validation.add(pointer, 'must provide exactly one of options or option_groups');
  }
  const options = validateOptionList(validation, select, 'options', pointer, {
    min: 1,
    max: 100,
    plainOnly: true,
  });
  const groups = validation.array(select, 'option_groups', pointer, { min: 1, max: 100 });
  groups?.forEach((group, groupIndex) => {
    const groupPointer = `${pointer}/option_groups/${groupIndex}`;
    if (!isJsonObject(group)) {
      validation.add(groupPointer, 'must provide an object');
      return;
    }
    validation.text(group, 'label', groupPointer, { max: 75, required: true, plainOnly: true });
    options.push(
      ...validateOptionList(validation, group, 'options', groupPointer, {
        min: 1,
        max: 100,
        plainOnly: true,
        required: true,
      }),
    );
  });
  validateInitialOptions(validation, select, pointer, options, multi);
  if (multi) validation.integer(select, 'max_selected_items', pointer, { min: 1 });
}

/** Validates `owner[field]` as a list of option objects; returns the well-formed ones. */
function validateOptionList(
  validation: BlockValidation,
  owner: JsonObject,
  field: string,
  pointer: string,
  rule: { min: number; max: number; required?: boolean; plainOnly?: boolean; allowUrl?: boolean },
): JsonObject[] {
  const options = validation.array(owner, field, pointer, rule);
  const valid: JsonObject[] = [];
  options?.forEach((option, optionIndex) => {
    const optionPointer = `${pointer}/${field}/${optionIndex}`;
    if (!isJsonObject(option)) {
      validation.add(optionPointer, 'must provide an object');
      return;
    }
    validation.text(option, 'text', optionPointer, { max: 75, required: true, plainOnly: rule.plainOnly });
    validation.string(option, 'value', optionPointer, { max: 150, required: true });
    validation.text(option, 'description', optionPointer, { max: 75, plainOnly: rule.plainOnly });
    if (option.url !== undefined) {
      if (rule.allowUrl) validation.string(option, 'url', optionPointer, { max: 3000 });
      else validation.add(`${optionPointer}/url`, 'url is only allowed on overflow menu options');
    }
    valid.push(option);
  });
  return valid;
}

function sameOption(a: JsonObject, b: JsonObject): boolean {
  const textOf = (option: JsonObject) => (isJsonObject(option.text) ? option.text.text : undefined);
  return a.value === b.value && textOf(a) === textOf(b);
}

function validateInitialOptions(
  validation: BlockValidation,
  element: JsonObject,
  pointer: string,
  options: JsonObject[],
  multi: boolean,
): void {
  const field = multi ? 'initial_options' : 'initial_option';
  const value = element[field];
  if (value === undefined || value === null) return;
  const initial = multi ? value : [value];
  if (!Array.isArray(initial)) {
    validation.add(`${pointer}/${field}`, 'must provide an array');
    return;
  }
  initial.forEach((option, index) => {
    const optionPointer = multi ? `${pointer}/${field}/${index}` : `${pointer}/${field}`;
    if (!isJsonObject(option) || !options.some((candidate) => sameOption(candidate, option))) {
      validation.add(optionPointer, 'must exactly match one of the options');
    }
  });
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

// ---------------------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------------------

export interface SlackSimulatorOptions {
  botToken: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  /** How long a trigger_id stays usable; Slack's is 3 seconds. */
  triggerTtlMs?: number;
  /** The app-level token (xapp-…) that apps.connections.open accepts, for Socket Mode. */
  appToken?: string;
  port?: number;
}

/** What a Socket Mode app answered to an envelope: the `payload` of its ack. */
export interface SocketAck {
  payload: JsonObject;
  elapsedMs: number;
}

export interface DirectoryUser {
  id: string;
  name: string;
  realName?: string;
  /** Slack's display name is often empty; users.info returns '' unless set. */
  displayName?: string;
  email?: string;
  isBot?: boolean;
  deleted?: boolean;
}

export interface RecordedCall {
  method: string;
  /** Arguments as received, JSON fields (`blocks`, `view`, …) parsed, the token left out. */
  args: JsonObject;
  ok: boolean;
  error?: string;
  at: number;
}

export interface MessageRevision {
  text: string;
  blocks?: JsonObject[];
  at: number;
  via: string;
}

export interface SimMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  /** Author: the bot user for messages the app posted. */
  user: string;
  botId?: string;
  text: string;
  blocks?: JsonObject[];
  /** How many times the message was edited (chat.update or a response_url replace_original). */
  updates: number;
  /** Every version, the original first. */
  history: MessageRevision[];
}

export interface SimEphemeral {
  channel: string;
  user: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: JsonObject[];
  via: 'chat.postEphemeral' | 'response_url' | 'command_ack';
  updates: number;
  history: MessageRevision[];
}

export interface SimView {
  id: string;
  type: 'modal' | 'home';
  /** The user the view is shown to (from the trigger's context, or views.publish's user_id). */
  userId?: string;
  triggerId?: string;
  status: 'open' | 'closed';
  /** The view as Slack stores and returns it: generated block/action ids, hash, state, … */
  view: JsonObject;
  /** Every version of `view`, the first one first. */
  history: JsonObject[];
  rootViewId: string;
  previousViewId: string | null;
  /** The last `response_action: errors` the app returned for this view. */
  errors?: Record<string, string>;
  openedBy: 'views.open' | 'views.push' | 'views.publish' | 'response_action';
}

export interface ResponseUrlContext {
  userId?: string;
  channelId?: string;
  /** The message the interaction came from; replace_original/delete_original act on it. */
  messageTs?: string;
  isEphemeral?: boolean;
}

export interface SimResponse {
  id: string;
  url: string;
  body: JsonObject;
  context: ResponseUrlContext;
  ok: boolean;
  error?: string;
  at: number;
}

export interface TriggerContext {
  userId?: string;
  /** The view the interaction happened in; views.push stacks onto it. */
  viewId?: string;
}

export interface FailureSpec {
  error: string;
  /** HTTP status; 200 like Slack's own errors unless set (429 for rate limits, 5xx for outages). */
  status?: number;
  retryAfterSec?: number;
  /** How many consecutive calls fail; 1 by default. */
  times?: number;
}

/** What the app answered to an interaction Slack sent it; see SlackDriver. */
export interface InteractionAck {
  status: number;
  text: string;
  json?: unknown;
  elapsedMs: number;
}

interface Trigger {
  id: string;
  createdAt: number;
  used: boolean;
  context: TriggerContext;
}

interface ResponseUrlState {
  id: string;
  createdAt: number;
  uses: number;
  context: ResponseUrlContext;
}

type ApiResult = JsonObject & { ok: boolean };
type ContentResult =
  | { ok: true; text: string | undefined; blocks: JsonObject[] | undefined }
  | { ok: false; result: ApiResult };

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
const SLACK_ACK_TIMEOUT_MS = 3000;
const MODAL_STACK_LIMIT = 3;
const VIEW_SIZE_LIMIT = 250_000;
const MESSAGE_TEXT_LIMIT = 40_000;
// Arguments that WebClient JSON-stringifies inside a form body.
const JSON_ARGUMENTS = new Set(['blocks', 'view', 'attachments', 'metadata']);

function failure(error: string, extra: JsonObject = {}): ApiResult {
  return { ok: false, error, ...extra };
}

function blockFailure(error: string, problems: BlockProblem[]): ApiResult {
  return failure(error, {
    errors: problems.map((problem) => `${problem.message} [json-pointer:${problem.pointer}]`),
    response_metadata: { messages: problems.map(formatBlockProblem) },
  });
}

function argString(args: JsonObject, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function argBoolean(args: JsonObject, key: string): boolean {
  const value = args[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/**
 * Random bytes for ids, from a pool refilled 4 KiB at a time. A randomBytes() call costs about 5 µs here
 * against 0.2 µs from the pool, and the simulator mints a dozen ids for one modal: under the benchmark's
 * load that was a tenth of its CPU, time that the load generator in the same process waited for.
 */
const randomPool = { bytes: Buffer.alloc(4096), used: 4096 };

function randomSlice(length: number): Buffer {
  if (randomPool.used + length > randomPool.bytes.length) {
    randomFillSync(randomPool.bytes);
    randomPool.used = 0;
  }
  randomPool.used += length;
  return randomPool.bytes.subarray(randomPool.used - length, randomPool.used);
}

function randomHex(bytes: number): string {
  return randomSlice(bytes).toString('hex');
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomSlice(length), (byte) => alphabet[byte % alphabet.length]).join('');
}

function isJsonObjectArray(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every(isJsonObject);
}

/** Slack fills in a block_id / action_id wherever the app left one out; so do we. */
function withGeneratedIds(blocks: JsonObject[]): JsonObject[] {
  const copy = structuredClone(blocks);
  const giveActionId = (element: unknown) => {
    if (isJsonObject(element) && element.type !== 'image' && element.action_id === undefined) {
      element.action_id = randomId(5);
    }
  };
  for (const block of copy) {
    if (block.block_id === undefined) block.block_id = randomId(5);
    giveActionId(block.accessory);
    giveActionId(block.element);
    if (block.type === 'actions' && Array.isArray(block.elements)) block.elements.forEach(giveActionId);
  }
  return copy;
}

/** Strictly increasing Slack-style timestamps ("1700000000.000100"). */
class MessageClock {
  private lastMicros = 0;

  next(): string {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------------------------------------------

export async function startSlackSimulator(options: SlackSimulatorOptions): Promise<SlackSimulator> {
  const simulator = new SlackSimulator(options);
  await simulator.listen(options.port ?? 0);
  return simulator;
}

type MethodHandler = (args: JsonObject) => ApiResult;

export class SlackSimulator {
  readonly botToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly triggerTtlMs: number;
  readonly appToken: string;

  // Directory: survives reset().
  readonly users = new Map<string, DirectoryUser>();
  readonly channels = new Map<string, { id: string; name: string }>();
  readonly usergroups = new Map<string, string[]>();

  // Recordings: cleared by reset().
  readonly calls: RecordedCall[] = [];
  readonly messages: SimMessage[] = [];
  readonly ephemerals: SimEphemeral[] = [];
  readonly views: SimView[] = [];
  readonly homeViews = new Map<string, SimView>();
  readonly responses: SimResponse[] = [];
  /** Things the real Slack would accept or hide but that are almost certainly bugs in the app. */
  readonly problems: string[] = [];

  private readonly server: Server;
  private port = 0;
  private readonly clock = new MessageClock();
  private readonly triggers = new Map<string, Trigger>();
  private readonly responseUrls = new Map<string, ResponseUrlState>();
  private readonly failures = new Map<string, FailureSpec[]>();
  private readonly holds = new Map<string, number>();
  /** Open DMs / group DMs: conversation id → member user ids. */
  private readonly conversations = new Map<string, string[]>();
  private readonly listeners = new Set<() => void>();
  private lastTouchedView: SimView | undefined;
  private sequence = 0;
  private readonly methods: Record<string, MethodHandler>;
  // Socket Mode: tickets from apps.connections.open, the app's connection, acks awaited by envelope.
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly socketTickets = new Set<string>();
  private socket: WebSocket | undefined;
  private readonly pendingAcks = new Map<string, (payload: JsonObject) => void>();

  constructor(options: SlackSimulatorOptions) {
    this.botToken = options.botToken;
    this.botUserId = options.botUserId ?? 'U0SIMBOT';
    this.botId = options.botId ?? 'B0SIMBOT';
    this.teamId = options.teamId ?? 'T0SIMTEAM';
    this.teamDomain = options.teamDomain ?? 'sim-workspace';
    this.appId = options.appId ?? 'A0SIMAPP';
    this.triggerTtlMs = options.triggerTtlMs ?? 3000;
    this.appToken = options.appToken ?? 'xapp-1-A0SIMAPP-sim-app-token';
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.reportProblem(`simulator failed to handle ${request.url}: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
    this.methods = {
      'auth.test': () => this.authTest(),
      'apps.connections.open': () => this.openSocketConnection(),
      'users.info': (args) => this.usersInfo(args),
      'users.lookupByEmail': (args) => this.usersLookupByEmail(args),
      'usergroups.users.list': (args) => this.usergroupsUsersList(args),
      'conversations.open': (args) => this.conversationsOpen(args),
      'chat.postMessage': (args) => this.chatPostMessage(args),
      'chat.postEphemeral': (args) => this.chatPostEphemeral(args),
      'chat.update': (args) => this.chatUpdate(args),
      'chat.delete': (args) => this.chatDelete(args),
      'chat.getPermalink': (args) => this.chatGetPermalink(args),
      'views.open': (args) => this.viewsOpen(args),
      'views.push': (args) => this.viewsPush(args),
      'views.update': (args) => this.viewsUpdate(args),
      'views.publish': (args) => this.viewsPublish(args),
    };
  }

  /** @internal used by startSlackSimulator */
  listen(port: number): Promise<void> {
    this.server.on('upgrade', (request, socket, head) => {
      const url = new URL(request.url ?? '/', this.baseUrl);
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== '/socket-mode' || !this.socketTickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.sockets.handleUpgrade(request, socket, head, (ws) => this.acceptSocket(ws));
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The value for WebClient's `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  // ----- directory ------------------------------------------------------------------------------------

  addUser(user: DirectoryUser): DirectoryUser {
    this.users.set(user.id, { ...user });
    return user;
  }

  setUsergroup(groupId: string, userIds: string[]): void {
    this.usergroups.set(groupId, [...userIds]);
  }

  addChannel(id: string, name?: string): void {
    this.channels.set(id, { id, name: name ?? id.toLowerCase() });
  }

  /** A message some person wrote (not the bot), e.g. to start a thread the app replies in. */
  addUserMessage(message: { channel: string; user: string; text: string; threadTs?: string }): SimMessage {
    const record: SimMessage = {
      channel: message.channel,
      ts: this.clock.next(),
      user: message.user,
      text: message.text,
      updates: 0,
      history: [],
      ...(message.threadTs === undefined ? {} : { threadTs: message.threadTs }),
    };
    record.history.push({ text: record.text, at: Date.now(), via: 'user' });
    this.messages.push(record);
    this.changed();
    return record;
  }

  /** The id of the bot's DM with a user (stable, but only valid once the DM is open). */
  dmChannelFor(userId: string): string {
    return `D${userId}`;
  }

  /** Opens the bot's DM with a user, as Slack does when the user writes to the app. */
  openDm(userId: string): string {
    const id = this.dmChannelFor(userId);
    this.conversations.set(id, [userId]);
    return id;
  }

  /** A channel name as Slack puts it in payloads ('directmessage' for DMs). */
  channelName(channelId: string): string | undefined {
    if (this.channels.has(channelId)) return this.channels.get(channelId)?.name;
    const members = this.conversations.get(channelId);
    if (members === undefined) return undefined;
    return members.length === 1 ? 'directmessage' : `mpdm-${members.join('--')}-1`;
  }

  // ----- triggers and response URLs -------------------------------------------------------------------

  createTrigger(context: TriggerContext = {}): string {
    const id = `${Date.now()}.${++this.sequence}.${randomHex(12)}`;
    this.triggers.set(id, { id, createdAt: Date.now(), used: false, context });
    return id;
  }

  createResponseUrl(context: ResponseUrlContext = {}): string {
    const id = `${this.teamId}/${++this.sequence}/${randomHex(12)}`;
    this.responseUrls.set(id, { id, createdAt: Date.now(), uses: 0, context });
    return `${this.baseUrl}/response/${id}`;
  }

  // ----- fault injection ------------------------------------------------------------------------------

  failNext(method: string, spec: FailureSpec): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({ ...spec, times: spec.times ?? 1 });
    this.failures.set(method, queue);
  }

  /**
   * The next call to `method` is received and recorded (as failed, `held`) but never answered, as when
   * Slack hangs: the caller waits until it gives up or stops.
   */
  holdNext(method: string): void {
    this.holds.set(method, (this.holds.get(method) ?? 0) + 1);
  }

  // ----- queries --------------------------------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Every message in a channel, thread replies included, oldest first. */
  messagesIn(channel: string): SimMessage[] {
    return this.messages.filter((message) => message.channel === channel);
  }

  threadReplies(channel: string, threadTs: string): SimMessage[] {
    return this.messages.filter((message) => message.channel === channel && message.threadTs === threadTs);
  }

  /** Messages in the bot's DM with the user (whether posted to the DM id or to the user id). */
  dmsTo(userId: string): SimMessage[] {
    return this.messagesIn(this.dmChannelFor(userId));
  }

  findMessage(channel: string, ts: string): SimMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  findView(viewId: string): SimView | undefined {
    return (
      this.views.find((view) => view.id === viewId) ??
      [...this.homeViews.values()].find((v) => v.id === viewId)
    );
  }

  /** Waits for the modal the app opened (or pushed) with this trigger id, e.g. a slash command's. */
  viewOpenedWith(triggerId: string, timeoutMs?: number): Promise<SimView> {
    return this.waitFor(() => this.views.find((view) => view.triggerId === triggerId), timeoutMs);
  }

  /** The modal most recently opened, pushed or updated. */
  lastView(): SimView | undefined {
    return this.lastTouchedView;
  }

  /**
   * Resolves with the probe's first truthy result. The probe runs now, after every recorded change and
   * on a short poll; on timeout the rejection lists recent calls and problems to show what happened.
   */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let lastError: unknown;
      let settled = false;
      const check = (): void => {
        if (settled) return;
        try {
          const value = probe();
          if (value) {
            settled = true;
            cleanup();
            resolve(value);
          }
        } catch (error) {
          lastError = error;
        }
      };
      const poll = setInterval(check, 20);
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        cleanup();
        const recent = this.calls
          .slice(-10)
          .map((call) => `  ${call.method} → ${call.ok ? 'ok' : call.error}`)
          .join('\n');
        const details = [
          `waitFor timed out after ${timeoutMs}ms`,
          lastError === undefined ? '' : `last probe error: ${String(lastError)}`,
          `recent Slack API calls:\n${recent || '  (none)'}`,
          this.problems.length > 0 ? `problems:\n  ${this.problems.join('\n  ')}` : '',
        ];
        reject(new Error(details.filter(Boolean).join('\n')));
      }, timeoutMs);
      const cleanup = (): void => {
        clearInterval(poll);
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  reportProblem(problem: string): void {
    this.problems.push(problem);
    this.changed();
  }

  /**
   * Clears recordings, triggers, response URLs and queued failures. Keeps the directory (users, channels,
   * groups) and the open DMs, which in Slack stay open for good.
   */
  reset(): void {
    for (const list of [
      this.calls,
      this.messages,
      this.ephemerals,
      this.views,
      this.responses,
      this.problems,
    ]) {
      list.length = 0;
    }
    this.homeViews.clear();
    this.triggers.clear();
    this.responseUrls.clear();
    this.failures.clear();
    this.holds.clear();
    this.lastTouchedView = undefined;
  }

  close(): Promise<void> {
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ----- Socket Mode ----------------------------------------------------------------------------------

  /** Resolves once a Socket Mode app is connected (it has had Slack's hello). */
  async socketConnected(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.socket !== undefined, timeoutMs);
  }

  /**
   * Sends an envelope to the connected app, as Slack does in Socket Mode, and resolves with its ack.
   * Slack waits 3 seconds for an ack; so does this, then it rejects.
   */
  async sendEnvelope(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: JsonObject,
  ): Promise<SocketAck> {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) throw new Error('no Socket Mode app is connected');
    const envelopeId = randomHex(12);
    const started = performance.now();
    const acked = new Promise<JsonObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`the app did not ack ${type} envelope ${envelopeId} within 3 s`));
      }, 3000);
      this.pendingAcks.set(envelopeId, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
      }),
    );
    const answer = await acked;
    return { payload: answer, elapsedMs: Math.round(performance.now() - started) };
  }

  /**
   * Ends the app's connection as Slack does: with a reason (Slack recycling it, e.g. `refresh_requested`),
   * a `disconnect` message and, if the app has not closed it within a second, the close; without one,
   * at once and without a close frame, like a dropped network.
   */
  disconnectSocket(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void {
    const socket = this.socket;
    if (!socket) throw new Error('no Socket Mode app is connected');
    if (reason === undefined) {
      socket.terminate();
      return;
    }
    socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'sim' } }));
    setTimeout(() => {
      if (socket.readyState === socket.OPEN) socket.close(1001, reason);
    }, 1000).unref();
  }

  private openSocketConnection(): ApiResult {
    const ticket = randomHex(16);
    this.socketTickets.add(ticket);
    return { ok: true, url: `ws://127.0.0.1:${this.port}/socket-mode?ticket=${ticket}` };
  }

  private acceptSocket(ws: WebSocket): void {
    this.socket?.close();
    this.socket = ws;
    ws.on('message', (data) => {
      let message: { envelope_id?: unknown; payload?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        this.reportProblem(
          `Socket Mode: the app sent something that is not JSON: ${String(data).slice(0, 200)}`,
        );
        return;
      }
      const resolve =
        typeof message.envelope_id === 'string' ? this.pendingAcks.get(message.envelope_id) : undefined;
      if (!resolve) {
        this.reportProblem(`Socket Mode: ack for an unknown envelope ${String(message.envelope_id)}`);
        return;
      }
      this.pendingAcks.delete(String(message.envelope_id));
      resolve(isJsonObject(message.payload) ? message.payload : {});
    });
    ws.on('close', () => {
      if (this.socket === ws) this.socket = undefined;
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'sim', approximate_connection_time: 3600 },
        connection_info: { app_id: this.appId },
      }),
    );
    this.changed();
  }

  // ----- interaction outcomes (reported by SlackDriver) ----------------------------------------------

  /** Applies what the app answered to a view_submission, the way Slack would. */
  handleViewSubmissionAck(viewId: string, ack: InteractionAck): void {
    const record = this.findView(viewId);
    if (record === undefined) return;
    const callbackId = String(record.view.callback_id ?? '');
    if (!this.ackArrivedInTime(`view_submission (${callbackId})`, ack)) return;
    const body = isJsonObject(ack.json) ? ack.json : undefined;
    const action = body?.response_action;
    if (body === undefined || action === undefined) {
      this.closeStackFrom(record);
      return;
    }
    switch (action) {
      case 'errors': {
        const errors = isJsonObject(body.errors) ? body.errors : {};
        const inputBlockIds = new Set(inputBlocksOf(record.view).map((block) => block.block_id));
        const unknown = Object.keys(errors).filter((blockId) => !inputBlockIds.has(blockId));
        if (Object.keys(errors).length === 0) {
          this.reportProblem(`response_action errors for view ${callbackId} lists no errors`);
        } else if (unknown.length > 0) {
          this.reportProblem(
            `response_action errors for view ${callbackId} names blocks that are not input blocks: ${unknown.join(', ')}`,
          );
        }
        record.errors = Object.fromEntries(
          Object.entries(errors).map(([key, value]) => [key, String(value)]),
        );
        this.changed();
        return;
      }
      case 'update': {
        const problems = validateView(body.view, 'modal');
        if (problems.length > 0) {
          this.reportProblem(
            `response_action update for ${callbackId} has an invalid view: ${describeProblems(problems)}`,
          );
          return;
        }
        this.replaceView(record, body.view as JsonObject);
        return;
      }
      case 'push': {
        const problems = validateView(body.view, 'modal');
        if (problems.length > 0) {
          this.reportProblem(
            `response_action push for ${callbackId} has an invalid view: ${describeProblems(problems)}`,
          );
          return;
        }
        if (this.stackDepth(record.rootViewId) >= MODAL_STACK_LIMIT) {
          this.reportProblem(
            `response_action push for ${callbackId} exceeds the ${MODAL_STACK_LIMIT}-view stack limit`,
          );
          return;
        }
        this.storeModal(body.view as JsonObject, {
          openedBy: 'response_action',
          rootViewId: record.rootViewId,
          previousViewId: record.id,
          userId: record.userId,
        });
        return;
      }
      case 'clear':
        for (const view of this.views) if (view.rootViewId === record.rootViewId) view.status = 'closed';
        this.changed();
        return;
      default:
        this.reportProblem(`unknown response_action '${String(action)}' for view ${callbackId}`);
    }
  }

  /** Applies what the app answered to a slash command: a body with text/blocks is shown to the user. */
  handleCommandAck(command: string, context: ResponseUrlContext, ack: InteractionAck): void {
    if (!this.ackArrivedInTime(`slash command ${command}`, ack)) return;
    if (ack.text.trim() === '') return;
    const body: JsonObject = isJsonObject(ack.json) ? ack.json : { text: ack.text };
    const content = this.messageContent(body);
    if (!content.ok) {
      this.reportProblem(
        `the reply to ${command} is not a valid message: ${describeFailure(content.result)}`,
      );
      return;
    }
    if (body.response_type === 'in_channel' && context.channelId !== undefined) {
      this.storeBotMessage(context.channelId, content.text ?? '', content.blocks, undefined, 'command_ack');
    } else {
      this.storeEphemeral(context, content.text ?? '', content.blocks, 'command_ack');
    }
  }

  /** Notes a late or failed ack for interactions whose answer body Slack ignores (actions, events). */
  handleAck(description: string, ack: InteractionAck): void {
    this.ackArrivedInTime(description, ack);
  }

  /** Closes a modal (the user pressed Close / Escape). */
  closeView(viewId: string): void {
    const record = this.findView(viewId);
    if (record !== undefined) this.closeStackFrom(record);
  }

  // ----- HTTP -----------------------------------------------------------------------------------------

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const body = await readBody(request);
    if (url.pathname.startsWith('/api/')) {
      this.handleApi(decodeURIComponent(url.pathname.slice('/api/'.length)), request, url, body, response);
    } else if (url.pathname.startsWith('/response/')) {
      this.handleResponseUrl(url.pathname.slice('/response/'.length), request, body, response);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  private handleApi(
    method: string,
    request: IncomingMessage,
    url: URL,
    body: string,
    response: ServerResponse,
  ): void {
    const parsed = parseApiRequest(request.headers['content-type'], body, url.searchParams);
    const { token: bodyToken, ...args } = parsed.args;
    const held = this.holds.get(method) ?? 0;
    if (held > 0) {
      this.holds.set(method, held - 1);
      this.calls.push({ method, args, ok: false, error: 'held', at: Date.now() });
      this.changed();
      return;
    }
    const token =
      bearerToken(request.headers.authorization) ?? (typeof bodyToken === 'string' ? bodyToken : undefined);
    const { result, status = 200, headers = {} } = this.answerApiCall(method, args, token, parsed.error);
    this.calls.push({
      method,
      args,
      ok: result.ok,
      at: Date.now(),
      ...(result.ok ? {} : { error: String(result.error) }),
    });
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(result));
    this.changed();
  }

  private answerApiCall(
    method: string,
    args: JsonObject,
    token: string | undefined,
    parseError: string | undefined,
  ): { result: ApiResult; status?: number; headers?: Record<string, string> } {
    const handler = this.methods[method];
    if (handler === undefined) return { result: failure('unknown_method', { req_method: method }) };
    if (parseError !== undefined) return { result: failure(parseError) };
    if (token === undefined || token === '') return { result: failure('not_authed') };
    // apps.connections.open takes the app-level token, and only it; every other method the bot token.
    if (method === 'apps.connections.open') {
      return token === this.appToken
        ? { result: this.openSocketConnection() }
        : { result: failure('invalid_auth') };
    }
    if (token !== this.botToken) return { result: failure('invalid_auth') };
    const injected = this.takeFailure(method);
    if (injected !== undefined) {
      // Slack always sends Retry-After with a 429; WebClient cannot handle one without it.
      const retryAfterSec = injected.retryAfterSec ?? (injected.status === 429 ? 1 : undefined);
      const headers: Record<string, string> =
        retryAfterSec === undefined ? {} : { 'retry-after': String(retryAfterSec) };
      return { result: failure(injected.error), status: injected.status ?? 200, headers };
    }
    return { result: handler(args) };
  }

  private takeFailure(method: string): FailureSpec | undefined {
    const queue = this.failures.get(method);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return undefined;
    next.times = (next.times ?? 1) - 1;
    if (next.times <= 0) queue.shift();
    return next;
  }

  private handleResponseUrl(
    id: string,
    request: IncomingMessage,
    rawBody: string,
    response: ServerResponse,
  ): void {
    const state = this.responseUrls.get(id);
    const body = parseResponseUrlBody(request.headers['content-type'], rawBody);
    const { status, error } = this.answerResponseUrl(state, body);
    this.responses.push({
      id,
      url: `${this.baseUrl}/response/${id}`,
      body: body ?? {},
      context: state?.context ?? {},
      ok: error === undefined,
      at: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(error === undefined ? { ok: true } : { ok: false, error }));
    this.changed();
  }

  /** What Slack does with a POST to a response_url: limited uses, then acts on the original or posts anew. */
  private answerResponseUrl(
    state: ResponseUrlState | undefined,
    body: JsonObject | undefined,
  ): { status: number; error?: string } {
    if (state === undefined || Date.now() - state.createdAt > RESPONSE_URL_TTL_MS) {
      return { status: 404, error: 'expired_url' };
    }
    if (state.uses >= RESPONSE_URL_MAX_USES) return { status: 404, error: 'used_url' };
    if (body === undefined) return { status: 400, error: 'invalid_payload' };
    state.uses += 1;

    const context = state.context;
    if (body.delete_original === true || body.delete_original === 'true') {
      return this.deleteOriginal(context) ? { status: 200 } : { status: 404, error: 'message_not_found' };
    }
    const content = this.messageContent(body);
    if (!content.ok) return { status: 400, error: String(content.result.error) };
    const text = content.text ?? '';
    const replaceOriginal = body.replace_original === true || body.replace_original === 'true';
    if (replaceOriginal && context.messageTs !== undefined) {
      const replaced = this.replaceOriginal(context, text, content.blocks);
      return replaced ? { status: 200 } : { status: 404, error: 'message_not_found' };
    }
    if (body.response_type === 'in_channel' && context.channelId !== undefined) {
      const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
      this.storeBotMessage(context.channelId, text, content.blocks, threadTs, 'response_url');
    } else {
      this.storeEphemeral(context, text, content.blocks, 'response_url');
    }
    return { status: 200 };
  }

  private deleteOriginal(context: ResponseUrlContext): boolean {
    const list: Array<SimMessage | SimEphemeral> = context.isEphemeral ? this.ephemerals : this.messages;
    const index = list.findIndex(
      (item) => item.channel === context.channelId && item.ts === context.messageTs,
    );
    if (index < 0) return false;
    list.splice(index, 1);
    return true;
  }

  private replaceOriginal(
    context: ResponseUrlContext,
    text: string,
    blocks: JsonObject[] | undefined,
  ): boolean {
    const list: Array<SimMessage | SimEphemeral> = context.isEphemeral ? this.ephemerals : this.messages;
    const original = list.find((item) => item.channel === context.channelId && item.ts === context.messageTs);
    if (original === undefined) return false;
    reviseMessage(original, text, blocks, 'response_url');
    return true;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  // ----- shared logic ---------------------------------------------------------------------------------

  /** Parses and validates text + blocks the way chat.postMessage does. */
  private messageContent(args: JsonObject): ContentResult {
    const rawText = args.text;
    if (rawText !== undefined && rawText !== null && typeof rawText !== 'string') {
      return {
        ok: false,
        result: blockFailure('invalid_arguments', [{ pointer: '/text', message: 'must provide a string' }]),
      };
    }
    if (typeof rawText === 'string' && charCount(rawText) > MESSAGE_TEXT_LIMIT) {
      return { ok: false, result: failure('msg_too_long') };
    }
    let blocks = args.blocks;
    if (typeof blocks === 'string') {
      try {
        blocks = blocks === '' ? undefined : JSON.parse(blocks);
      } catch {
        return { ok: false, result: failure('invalid_blocks_format') };
      }
    }
    if (blocks !== undefined && blocks !== null && !Array.isArray(blocks)) {
      return { ok: false, result: failure('invalid_blocks_format') };
    }
    if (Array.isArray(blocks)) {
      const problems = validateBlocks(blocks, 'message');
      if (problems.length > 0) return { ok: false, result: blockFailure('invalid_blocks', problems) };
    }
    const validBlocks = isJsonObjectArray(blocks) ? withGeneratedIds(blocks) : undefined;
    const text = typeof rawText === 'string' ? rawText : undefined;
    const hasAttachments = Array.isArray(args.attachments) && args.attachments.length > 0;
    if ((validBlocks === undefined || validBlocks.length === 0) && !text && !hasAttachments) {
      return { ok: false, result: failure('no_text') };
    }
    return { ok: true, text, blocks: validBlocks };
  }

  /**
   * Resolves a `channel` argument to a conversation the bot may post in. A user id opens (or reuses) the
   * bot's DM with that user, as chat.postMessage does; `allowUserId: false` is for methods that need the
   * DM id itself (chat.update, chat.delete).
   */
  private resolveChannel(
    channel: string | undefined,
    allowUserId = true,
  ): { ok: true; channel: string } | { ok: false; result: ApiResult } {
    if (channel === undefined || channel === '') return { ok: false, result: failure('channel_not_found') };
    if (this.channels.has(channel)) return { ok: true, channel };
    const byName = [...this.channels.values()].find((c) => c.name === channel.replace(/^#/, ''));
    if (byName !== undefined) return { ok: true, channel: byName.id };
    const members = this.conversations.get(channel);
    if (members !== undefined) {
      if (members.some((id) => this.users.get(id)?.deleted))
        return { ok: false, result: failure('is_archived') };
      return { ok: true, channel };
    }
    const user = this.users.get(channel);
    if (allowUserId && user !== undefined) {
      if (user.deleted) return { ok: false, result: failure('is_archived') };
      return { ok: true, channel: this.openDm(user.id) };
    }
    return { ok: false, result: failure('channel_not_found') };
  }

  private storeBotMessage(
    channel: string,
    text: string,
    blocks: JsonObject[] | undefined,
    threadTs: string | undefined,
    via: string,
  ): SimMessage {
    if (threadTs !== undefined) {
      const parent = this.findMessage(channel, threadTs);
      if (parent === undefined) {
        // Slack answers ok and the reply is visible nowhere: a silent bug worth surfacing.
        this.reportProblem(
          `${via}: thread_ts ${threadTs} names no message in ${channel}; Slack hides such replies`,
        );
      } else if (parent.threadTs !== undefined && parent.threadTs !== parent.ts) {
        this.reportProblem(
          `${via}: thread_ts ${threadTs} in ${channel} is itself a reply; use its parent's ts`,
        );
      }
    }
    const message: SimMessage = {
      channel,
      ts: this.clock.next(),
      user: this.botUserId,
      botId: this.botId,
      text,
      updates: 0,
      history: [],
      ...(blocks === undefined ? {} : { blocks }),
      ...(threadTs === undefined ? {} : { threadTs }),
    };
    message.history.push({ text, at: Date.now(), via, ...(blocks === undefined ? {} : { blocks }) });
    this.messages.push(message);
    return message;
  }

  private storeEphemeral(
    context: ResponseUrlContext,
    text: string,
    blocks: JsonObject[] | undefined,
    via: SimEphemeral['via'],
    threadTs?: string,
  ): SimEphemeral {
    const ephemeral: SimEphemeral = {
      channel: context.channelId ?? '',
      user: context.userId ?? '',
      ts: this.clock.next(),
      text,
      via,
      updates: 0,
      history: [{ text, at: Date.now(), via, ...(blocks === undefined ? {} : { blocks }) }],
      ...(blocks === undefined ? {} : { blocks }),
      ...(threadTs === undefined ? {} : { threadTs }),
    };
    this.ephemerals.push(ephemeral);
    return ephemeral;
  }

  /** Returns the modal record as Slack would store it and remembers it. */
  private storeModal(
    input: JsonObject,
    placement: {
      openedBy: SimView['openedBy'];
      rootViewId?: string;
      previousViewId?: string;
      userId?: string;
      triggerId?: string;
    },
  ): SimView {
    const id = this.newViewId();
    const rootViewId = placement.rootViewId ?? id;
    const record: SimView = {
      id,
      type: 'modal',
      status: 'open',
      view: this.storedView(input, id, rootViewId, placement.previousViewId ?? null),
      history: [],
      rootViewId,
      previousViewId: placement.previousViewId ?? null,
      openedBy: placement.openedBy,
      ...(placement.userId === undefined ? {} : { userId: placement.userId }),
      ...(placement.triggerId === undefined ? {} : { triggerId: placement.triggerId }),
    };
    record.history.push(record.view);
    this.views.push(record);
    this.lastTouchedView = record;
    this.changed();
    return record;
  }

  private replaceView(record: SimView, input: JsonObject): void {
    record.view = this.storedView(input, record.id, record.rootViewId, record.previousViewId);
    record.history.push(record.view);
    delete record.errors;
    if (record.type === 'modal') this.lastTouchedView = record;
    this.changed();
  }

  private storedView(
    input: JsonObject,
    id: string,
    rootViewId: string,
    previousViewId: string | null,
  ): JsonObject {
    const blocks = isJsonObjectArray(input.blocks) ? withGeneratedIds(input.blocks) : [];
    const isModal = input.type === 'modal';
    return {
      id,
      team_id: this.teamId,
      type: input.type,
      ...(isModal ? { title: input.title } : {}),
      submit: input.submit ?? null,
      close: input.close ?? null,
      blocks,
      private_metadata: input.private_metadata ?? '',
      callback_id: input.callback_id ?? '',
      external_id: input.external_id ?? '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomHex(4)}`,
      clear_on_close: input.clear_on_close ?? false,
      notify_on_close: input.notify_on_close ?? false,
      ...(input.submit_disabled === undefined ? {} : { submit_disabled: input.submit_disabled }),
      root_view_id: rootViewId,
      previous_view_id: previousViewId,
      app_id: this.appId,
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
    };
  }

  private newViewId(): string {
    return `V${(++this.sequence).toString(36).toUpperCase().padStart(9, '0')}`;
  }

  private stackDepth(rootViewId: string): number {
    return this.views.filter((view) => view.rootViewId === rootViewId && view.status === 'open').length;
  }

  /** Closing a view also closes whatever was pushed on top of it. */
  private closeStackFrom(record: SimView): void {
    if (record.type !== 'modal') return;
    const stack = this.views.filter((view) => view.rootViewId === record.rootViewId);
    for (const view of stack.slice(stack.indexOf(record))) view.status = 'closed';
    this.changed();
  }

  private ackArrivedInTime(description: string, ack: InteractionAck): boolean {
    if (ack.elapsedMs > SLACK_ACK_TIMEOUT_MS) {
      this.reportProblem(
        `${description} was acknowledged after ${ack.elapsedMs}ms; Slack gives up after 3000ms`,
      );
      return false;
    }
    if (ack.status !== 200) {
      this.reportProblem(
        `${description} was answered with HTTP ${ack.status}; Slack shows the user an error`,
      );
      return false;
    }
    return true;
  }

  /** Exchanges a trigger: validity checks only; the caller marks it used once the call succeeds. */
  private checkTrigger(
    triggerId: string | undefined,
  ): { ok: true; trigger: Trigger } | { ok: false; result: ApiResult } {
    if (triggerId === undefined || triggerId === '') {
      return {
        ok: false,
        result: failure('invalid_arguments', { response_metadata: { messages: ['invalid `trigger_id`'] } }),
      };
    }
    const trigger = this.triggers.get(triggerId);
    if (trigger === undefined) return { ok: false, result: failure('invalid_trigger_id') };
    if (trigger.used) return { ok: false, result: failure('exchanged_trigger_id') };
    if (Date.now() - trigger.createdAt > this.triggerTtlMs)
      return { ok: false, result: failure('expired_trigger_id') };
    return { ok: true, trigger };
  }

  /**
   * Parses and validates the `view` argument for a method that accepts `expectedType`. `replacing` is the
   * view being updated, whose own external_id is of course not a duplicate.
   */
  private viewArgument(
    args: JsonObject,
    expectedType: 'modal' | 'home',
    replacing?: SimView,
  ): { ok: true; view: JsonObject } | { ok: false; result: ApiResult } {
    let view = args.view;
    if (typeof view === 'string') {
      try {
        view = JSON.parse(view);
      } catch {
        return {
          ok: false,
          result: failure('invalid_arguments', { response_metadata: { messages: ['invalid `view`'] } }),
        };
      }
    }
    if (view === undefined) {
      return {
        ok: false,
        result: failure('invalid_arguments', {
          response_metadata: { messages: ['missing required field: view'] },
        }),
      };
    }
    if (JSON.stringify(view).length > VIEW_SIZE_LIMIT)
      return { ok: false, result: failure('view_too_large') };
    const problems = validateView(view, expectedType);
    if (problems.length > 0) return { ok: false, result: blockFailure('invalid_arguments', problems) };
    const validView = view as JsonObject;
    const externalId = validView.external_id;
    if (
      typeof externalId === 'string' &&
      externalId !== '' &&
      this.views.some((v) => v !== replacing && v.view.external_id === externalId)
    ) {
      return { ok: false, result: failure('duplicate_external_id') };
    }
    return { ok: true, view: validView };
  }

  // ----- methods --------------------------------------------------------------------------------------

  private authTest(): ApiResult {
    return {
      ok: true,
      url: `https://${this.teamDomain}.slack.com/`,
      team: this.teamDomain,
      user: 'bot',
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    };
  }

  private userObject(user: DirectoryUser): JsonObject {
    const realName = user.realName ?? user.name;
    const displayName = user.displayName ?? '';
    return {
      id: user.id,
      team_id: this.teamId,
      name: user.name,
      deleted: user.deleted ?? false,
      real_name: realName,
      is_bot: user.isBot ?? false,
      is_app_user: false,
      profile: {
        real_name: realName,
        real_name_normalized: realName,
        display_name: displayName,
        display_name_normalized: displayName,
        ...(user.email === undefined ? {} : { email: user.email }),
        team: this.teamId,
      },
    };
  }

  private usersInfo(args: JsonObject): ApiResult {
    const user = this.users.get(argString(args, 'user') ?? '');
    if (user === undefined) return failure('user_not_found');
    return { ok: true, user: this.userObject(user) };
  }

  private usersLookupByEmail(args: JsonObject): ApiResult {
    const email = argString(args, 'email')?.toLowerCase();
    const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === email && !u.deleted);
    if (user === undefined) return failure('users_not_found');
    return { ok: true, user: this.userObject(user) };
  }

  private usergroupsUsersList(args: JsonObject): ApiResult {
    const members = this.usergroups.get(argString(args, 'usergroup') ?? '');
    if (members === undefined) return failure('no_such_subteam');
    return { ok: true, users: [...members] };
  }

  private conversationsOpen(args: JsonObject): ApiResult {
    const channel = argString(args, 'channel');
    if (channel !== undefined) {
      if (!this.conversations.has(channel)) return failure('channel_not_found');
      return { ok: true, no_op: true, already_open: true, channel: { id: channel } };
    }
    const userIds = (argString(args, 'users') ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    if (userIds.length === 0) return failure('users_list_not_supplied');
    if (userIds.length > 8) return failure('too_many_users');
    for (const id of userIds) {
      const user = this.users.get(id);
      if (user === undefined) return failure('user_not_found');
      if (user.deleted) return failure('user_disabled');
    }
    const id =
      userIds.length === 1
        ? this.dmChannelFor(userIds[0] ?? '')
        : `G${createHash('sha1')
            .update([...userIds].sort().join(','))
            .digest('hex')
            .slice(0, 10)
            .toUpperCase()}`;
    const alreadyOpen = this.conversations.has(id);
    this.conversations.set(id, userIds);
    const details = argBoolean(args, 'return_im')
      ? {
          created: Math.floor(Date.now() / 1000),
          is_im: userIds.length === 1,
          ...(userIds.length === 1 ? { user: userIds[0] } : {}),
        }
      : {};
    return {
      ok: true,
      ...(alreadyOpen ? { no_op: true, already_open: true } : {}),
      channel: { id, ...details },
    };
  }

  /** A message as Slack shows it: in API answers, and in the payloads of clicks on it. */
  messageJson(message: SimMessage): JsonObject {
    return {
      type: 'message',
      text: message.text,
      user: message.user,
      ts: message.ts,
      team: this.teamId,
      ...(message.botId === undefined ? {} : { bot_id: message.botId, app_id: this.appId }),
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    };
  }

  private chatPostMessage(args: JsonObject): ApiResult {
    const target = this.resolveChannel(argString(args, 'channel'));
    if (!target.ok) return target.result;
    const content = this.messageContent(args);
    if (!content.ok) return content.result;
    const threadTs = argString(args, 'thread_ts') || undefined;
    const message = this.storeBotMessage(
      target.channel,
      content.text ?? '',
      content.blocks,
      threadTs,
      'chat.postMessage',
    );
    return { ok: true, channel: message.channel, ts: message.ts, message: this.messageJson(message) };
  }

  private chatPostEphemeral(args: JsonObject): ApiResult {
    const target = this.resolveChannel(argString(args, 'channel'));
    if (!target.ok) return target.result;
    const userId = argString(args, 'user') ?? '';
    const user = this.users.get(userId);
    if (user === undefined || user.deleted) return failure('user_not_in_channel');
    const content = this.messageContent(args);
    if (!content.ok) return content.result;
    const threadTs = argString(args, 'thread_ts') || undefined;
    const ephemeral = this.storeEphemeral(
      { channelId: target.channel, userId },
      content.text ?? '',
      content.blocks,
      'chat.postEphemeral',
      threadTs,
    );
    return { ok: true, message_ts: ephemeral.ts };
  }

  private botMessageAt(
    args: JsonObject,
    tsField: string,
  ): { ok: true; message: SimMessage } | { ok: false; result: ApiResult } {
    const target = this.resolveChannel(argString(args, 'channel'), false);
    if (!target.ok) return target;
    const message = this.findMessage(target.channel, argString(args, tsField) ?? '');
    if (message === undefined) return { ok: false, result: failure('message_not_found') };
    return { ok: true, message };
  }

  private chatUpdate(args: JsonObject): ApiResult {
    const found = this.botMessageAt(args, 'ts');
    if (!found.ok) return found.result;
    const message = found.message;
    if (message.user !== this.botUserId) return failure('cant_update_message');
    const content = this.messageContent(args);
    if (!content.ok) return content.result;
    // Slack keeps the previous blocks when `blocks` is left out, and drops them for `blocks: []`.
    const blocks = args.blocks === undefined ? message.blocks : content.blocks;
    reviseMessage(message, content.text ?? message.text, blocks, 'chat.update');
    return {
      ok: true,
      channel: message.channel,
      ts: message.ts,
      text: message.text,
      message: this.messageJson(message),
    };
  }

  private chatDelete(args: JsonObject): ApiResult {
    const found = this.botMessageAt(args, 'ts');
    if (!found.ok) return found.result;
    if (found.message.user !== this.botUserId) return failure('cant_delete_message');
    this.messages.splice(this.messages.indexOf(found.message), 1);
    return { ok: true, channel: found.message.channel, ts: found.message.ts };
  }

  private chatGetPermalink(args: JsonObject): ApiResult {
    const found = this.botMessageAt(args, 'message_ts');
    if (!found.ok) return found.result;
    const { channel, ts } = found.message;
    return {
      ok: true,
      channel,
      permalink: `https://${this.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
    };
  }

  private viewsOpen(args: JsonObject): ApiResult {
    const triggerId = argString(args, 'trigger_id');
    const trigger = this.checkTrigger(triggerId);
    if (!trigger.ok) return trigger.result;
    const view = this.viewArgument(args, 'modal');
    if (!view.ok) return view.result;
    trigger.trigger.used = true;
    const record = this.storeModal(view.view, {
      openedBy: 'views.open',
      userId: trigger.trigger.context.userId,
      triggerId: trigger.trigger.id,
    });
    return { ok: true, view: record.view };
  }

  private viewsPush(args: JsonObject): ApiResult {
    const trigger = this.checkTrigger(argString(args, 'trigger_id'));
    if (!trigger.ok) return trigger.result;
    const view = this.viewArgument(args, 'modal');
    if (!view.ok) return view.result;
    const underneath = this.views.find((v) => v.id === trigger.trigger.context.viewId && v.status === 'open');
    if (underneath === undefined) {
      this.reportProblem(
        'views.push with a trigger that did not come from an open modal; Slack needs one to push onto',
      );
    } else if (this.stackDepth(underneath.rootViewId) >= MODAL_STACK_LIMIT) {
      return failure('push_limit_reached');
    }
    trigger.trigger.used = true;
    const record = this.storeModal(view.view, {
      openedBy: 'views.push',
      rootViewId: underneath?.rootViewId,
      previousViewId: underneath?.id,
      userId: trigger.trigger.context.userId ?? underneath?.userId,
      triggerId: trigger.trigger.id,
    });
    return { ok: true, view: record.view };
  }

  private viewsUpdate(args: JsonObject): ApiResult {
    const viewId = argString(args, 'view_id');
    const externalId = argString(args, 'external_id');
    if (!viewId && !externalId) {
      return failure('invalid_arguments', {
        response_metadata: { messages: ['either view_id or external_id is required'] },
      });
    }
    const record = this.views.find((v) => (viewId ? v.id === viewId : v.view.external_id === externalId));
    if (record === undefined || record.status !== 'open') return failure('not_found');
    const view = this.viewArgument(args, 'modal', record);
    if (!view.ok) return view.result;
    const hash = argString(args, 'hash');
    if (hash && hash !== record.view.hash) return failure('hash_conflict');
    this.replaceView(record, view.view);
    return { ok: true, view: record.view };
  }

  private viewsPublish(args: JsonObject): ApiResult {
    const userId = argString(args, 'user_id') ?? '';
    const user = this.users.get(userId);
    if (user === undefined || user.deleted) {
      return failure('invalid_arguments', { response_metadata: { messages: ['invalid `user_id`'] } });
    }
    const view = this.viewArgument(args, 'home');
    if (!view.ok) return view.result;
    const existing = this.homeViews.get(userId);
    const hash = argString(args, 'hash');
    if (hash && existing !== undefined && hash !== existing.view.hash) return failure('hash_conflict');
    if (existing !== undefined) {
      this.replaceView(existing, view.view);
      return { ok: true, view: existing.view };
    }
    const id = this.newViewId();
    const stored = this.storedView(view.view, id, id, null);
    const record: SimView = {
      id,
      type: 'home',
      userId,
      status: 'open',
      view: stored,
      history: [stored],
      rootViewId: id,
      previousViewId: null,
      openedBy: 'views.publish',
    };
    this.homeViews.set(userId, record);
    return { ok: true, view: record.view };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function reviseMessage(
  message: SimMessage | SimEphemeral,
  text: string,
  blocks: JsonObject[] | undefined,
  via: string,
): void {
  message.text = text;
  if (blocks === undefined || blocks.length === 0) delete message.blocks;
  else message.blocks = blocks;
  message.updates += 1;
  message.history.push({
    text,
    at: Date.now(),
    via,
    ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
  });
}

function safeJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function inputBlocksOf(
  view: JsonObject,
): Array<JsonObject & { block_id: string; element: JsonObject }> {
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  return blocks.filter(
    (block): block is JsonObject & { block_id: string; element: JsonObject } =>
      isJsonObject(block) &&
      block.type === 'input' &&
      typeof block.block_id === 'string' &&
      isJsonObject(block.element),
  );
}

function describeFailure(result: ApiResult): string {
  const metadata = isJsonObject(result.response_metadata) ? result.response_metadata : {};
  const messages = Array.isArray(metadata.messages) ? metadata.messages.map(String) : [];
  return [String(result.error), ...messages].join(' ');
}

function describeProblems(problems: BlockProblem[]): string {
  return problems.map(formatBlockProblem).join('; ');
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim();
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * Reads Web API arguments from a form body (JSON-valued fields parsed), a JSON body, or the query string.
 * Slack ignores a `token` inside a JSON body: JSON callers must use the Authorization header.
 */
function parseApiRequest(
  contentType: string | undefined,
  body: string,
  query: URLSearchParams,
): { args: JsonObject; error?: string } {
  const args: JsonObject = Object.fromEntries(query);
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return { args };
  if (mediaType === 'application/json') {
    const parsed = safeJsonParse(body);
    if (!isJsonObject(parsed)) return { args, error: 'invalid_json' };
    const { token: _ignored, ...rest } = parsed;
    return { args: { ...args, ...rest } };
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body)) {
      args[key] = JSON_ARGUMENTS.has(key) ? (safeJsonParse(value) ?? value) : value;
    }
    return { args };
  }
  if (mediaType === '') return { args, error: 'missing_post_type' };
  return { args, error: 'invalid_post_type' };
}

function parseResponseUrlBody(contentType: string | undefined, body: string): JsonObject | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(body).get('payload');
    const parsed = payload === null ? undefined : safeJsonParse(payload);
    return isJsonObject(parsed) ? parsed : undefined;
  }
  const parsed = safeJsonParse(body);
  return isJsonObject(parsed) ? parsed : undefined;
}
