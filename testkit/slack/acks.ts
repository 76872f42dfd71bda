/**
 * What Slack does with the app's answer to an interaction, as the driver reports it: a view submission's
 * response_action (errors, update, push, clear, or close), a slash command's reply, and for every kind
 * the 3-second deadline and the HTTP status Slack expects.
 */

import { validateView } from './block-kit/surfaces.js';
import { describeProblems } from './block-kit/validation.js';
import { isJsonObject, type JsonObject } from './json.js';
import type { SimParts } from './parts.js';
import type { InteractionAck, ResponseUrlContext } from './records.js';
import { inputBlocksOf, MODAL_STACK_LIMIT } from './view-store.js';
import { messageContent } from './web-api/content.js';
import { describeFailure } from './web-api/result.js';

const SLACK_ACK_TIMEOUT_MS = 3000;

/** Applies what the app answered to a view_submission, the way Slack would. */
export function handleViewSubmissionAck(parts: SimParts, viewId: string, ack: InteractionAck): void {
  const { views, recorder } = parts;
  const record = views.findView(viewId);
  if (record === undefined) return;
  const callbackId = String(record.view.callback_id ?? '');
  if (!ackArrivedInTime(parts, `view_submission (${callbackId})`, ack)) return;
  const body = isJsonObject(ack.json) ? ack.json : undefined;
  const action = body?.response_action;
  if (body === undefined || action === undefined) {
    views.closeStackFrom(record);
    return;
  }
  switch (action) {
    case 'errors': {
      const errors = isJsonObject(body.errors) ? body.errors : {};
      const inputBlockIds = new Set(inputBlocksOf(record.view).map((block) => block.block_id));
      const unknown = Object.keys(errors).filter((blockId) => !inputBlockIds.has(blockId));
      if (Object.keys(errors).length === 0) {
        recorder.reportProblem(`response_action errors for view ${callbackId} lists no errors`);
      } else if (unknown.length > 0) {
        recorder.reportProblem(
          `response_action errors for view ${callbackId} names blocks that are not input blocks: ${unknown.join(', ')}`,
        );
      }
      record.errors = Object.fromEntries(Object.entries(errors).map(([key, value]) => [key, String(value)]));
      recorder.changed();
      return;
    }
    case 'update': {
      const problems = validateView(body.view, 'modal');
      if (problems.length > 0) {
        recorder.reportProblem(
          `response_action update for ${callbackId} has an invalid view: ${describeProblems(problems)}`,
        );
        return;
      }
      views.replaceView(record, body.view as JsonObject);
      return;
    }
    case 'push': {
      const problems = validateView(body.view, 'modal');
      if (problems.length > 0) {
        recorder.reportProblem(
          `response_action push for ${callbackId} has an invalid view: ${describeProblems(problems)}`,
        );
        return;
      }
      if (views.stackDepth(record.rootViewId) >= MODAL_STACK_LIMIT) {
        recorder.reportProblem(
          `response_action push for ${callbackId} exceeds the ${MODAL_STACK_LIMIT}-view stack limit`,
        );
        return;
      }
      views.storeModal(body.view as JsonObject, {
        openedBy: 'response_action',
        rootViewId: record.rootViewId,
        previousViewId: record.id,
        userId: record.userId,
      });
      return;
    }
    case 'clear':
      views.closeStack(record.rootViewId);
      return;
    default:
      recorder.reportProblem(`unknown response_action '${String(action)}' for view ${callbackId}`);
  }
}

/** Applies what the app answered to a slash command: a body with text/blocks is shown to the user. */
export function handleCommandAck(
  parts: SimParts,
  command: string,
  context: ResponseUrlContext,
  ack: InteractionAck,
): void {
  if (!ackArrivedInTime(parts, `slash command ${command}`, ack)) return;
  if (ack.text.trim() === '') return;
  const body: JsonObject = isJsonObject(ack.json) ? ack.json : { text: ack.text };
  const content = messageContent(body);
  if (!content.ok) {
    parts.recorder.reportProblem(
      `the reply to ${command} is not a valid message: ${describeFailure(content.result)}`,
    );
    return;
  }
  if (body.response_type === 'in_channel' && context.channelId !== undefined) {
    parts.messages.storeBotMessage(
      context.channelId,
      content.text ?? '',
      content.blocks,
      undefined,
      'command_ack',
    );
  } else {
    parts.messages.storeEphemeral(context, content.text ?? '', content.blocks, 'command_ack');
  }
}

/** Notes a late or failed ack; for actions and events Slack ignores the answer's body. */
export function ackArrivedInTime({ recorder }: SimParts, description: string, ack: InteractionAck): boolean {
  if (ack.elapsedMs > SLACK_ACK_TIMEOUT_MS) {
    recorder.reportProblem(
      `${description} was acknowledged after ${ack.elapsedMs}ms; Slack gives up after 3000ms`,
    );
    return false;
  }
  if (ack.status !== 200) {
    recorder.reportProblem(
      `${description} was answered with HTTP ${ack.status}; Slack shows the user an error`,
    );
    return false;
  }
  return true;
}
