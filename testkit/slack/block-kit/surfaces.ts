/**
 * Block Kit rules per surface and per block: which blocks a message, a modal or a Home tab may hold, how
 * many, and each block type's fields and limits, from Slack's Block Kit reference. The elements inside
 * blocks (buttons, selects, inputs…) are checked in elements.ts.
 */
import { isJsonObject } from '../json.js';
import {
  ACCESSORY_ELEMENTS,
  ACTIONS_ELEMENTS,
  ACTIONS_ELEMENTS_IN_VIEWS,
  INPUT_ELEMENTS,
  validateElement,
  validateImage,
} from './elements.js';
import { type BlockProblem, type BlockSurface, BlockValidation } from './validation.js';

const BLOCK_LIMIT: Record<BlockSurface, number> = { message: 50, modal: 100, home: 100 };

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
