/**
 * Finding what the user clicks in a message or a view (a button, or an option of a select menu) and the
 * `actions[]` entry Slack sends for it. A click on something that is not there throws.
 */
import { isJsonObject, type JsonObject } from '../slack/index.js';

function interactiveElementsOf(block: JsonObject): JsonObject[] {
  if (block.type === 'actions' && Array.isArray(block.elements)) return block.elements.filter(isJsonObject);
  if (block.type === 'section' && isJsonObject(block.accessory)) return [block.accessory];
  return [];
}

export function findButton(
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

export function buttonAction(button: JsonObject, blockId: string): JsonObject {
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
