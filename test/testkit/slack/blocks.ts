/** Block Kit builders for the Slack simulator's tests; they import nothing heavy, so the Block Kit tests stay light. */
import type { Button, SectionBlock } from '@slack/types';
import { isJsonObject, type JsonObject } from '../../../testkit/slack/json.js';

export function section(text: string, blockId?: string): SectionBlock {
  return { type: 'section', ...(blockId ? { block_id: blockId } : {}), text: { type: 'mrkdwn', text } };
}

export function button(actionId: string, text: string, value?: string): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text },
    ...(value ? { value } : {}),
  };
}

export function modal(overrides: JsonObject = {}): JsonObject {
  return {
    type: 'modal',
    callback_id: 'request_modal',
    title: { type: 'plain_text', text: 'Request access' },
    submit: { type: 'plain_text', text: 'Submit' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why?' },
        element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true },
      },
    ],
    ...overrides,
  };
}

export function collectFirstText(blocks: JsonObject[] | undefined): unknown {
  const first = blocks?.[0];
  return isJsonObject(first) && isJsonObject(first.text) ? first.text.text : undefined;
}
