/**
 * Block Kit rules for interactive elements and composition objects: which elements each kind of block
 * accepts, and each element's fields and limits (buttons, selects, pickers, text inputs, options,
 * confirm dialogs), from Slack's Block Kit reference.
 */
import { isJsonObject, type JsonObject } from '../json.js';
import type { BlockValidation } from './validation.js';

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

export const ACTIONS_ELEMENTS = new Set([
  'button',
  'overflow',
  'workflow_button',
  ...SELECT_TYPES,
  ...PICKER_TYPES,
  ...CHOICE_TYPES,
]);
// Text inputs may sit in actions blocks of modals and Home tabs (with dispatch_action), never in messages.
export const ACTIONS_ELEMENTS_IN_VIEWS = new Set([
  ...ACTIONS_ELEMENTS,
  ...TEXT_INPUT_TYPES,
  'rich_text_input',
]);
export const ACCESSORY_ELEMENTS = new Set([
  'button',
  'image',
  'overflow',
  'workflow_button',
  ...SELECT_TYPES,
  ...PICKER_TYPES,
  ...CHOICE_TYPES,
]);
export const INPUT_ELEMENTS = new Set([
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
export function validateImage(validation: BlockValidation, image: JsonObject, pointer: string): void {
  validation.string(image, 'image_url', pointer, { max: 3000, nonEmpty: true });
  if (image.image_url === undefined && image.slack_file === undefined) {
    validation.add(pointer, 'must provide either image_url or slack_file');
  }
  validation.string(image, 'alt_text', pointer, { required: true, max: 2000 });
}

export function validateElement(
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
      validateDispatchConfig(validation, element, pointer);
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
      validateDispatchConfig(validation, element, pointer);
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

const DISPATCH_TRIGGERS = ['on_enter_pressed', 'on_character_entered'];

/** When a text input sends block_actions (with dispatch_action on its block): on Enter, on each character. */
function validateDispatchConfig(validation: BlockValidation, element: JsonObject, pointer: string): void {
  const config = element.dispatch_action_config;
  if (config === undefined) return;
  const at = `${pointer}/dispatch_action_config`;
  if (!isJsonObject(config)) {
    validation.add(at, 'must provide an object');
    return;
  }
  const triggers = validation.array(config, 'trigger_actions_on', at, { min: 1, max: 2 });
  triggers?.forEach((trigger, index) => {
    if (typeof trigger !== 'string' || !DISPATCH_TRIGGERS.includes(trigger)) {
      validation.add(`${at}/trigger_actions_on/${index}`, `must be one of: ${DISPATCH_TRIGGERS.join(', ')}`);
    }
  });
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
