/**
 * A POST to a response_url, as Slack handles it: a limited number of uses within 30 minutes, then
 * delete_original, replace_original, an in_channel post, or (by default) an ephemeral reply.
 */
import type { JsonObject } from '../json.js';
import type { SimParts } from '../parts.js';
import type { ResponseUrlState } from '../triggers.js';
import { messageContent } from '../web-api/content.js';

const RESPONSE_URL_MAX_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

/** What Slack does with a POST to a response_url: limited uses, then acts on the original or posts anew. */
export function answerResponseUrl(
  { messages }: SimParts,
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
    return messages.deleteOriginal(context) ? { status: 200 } : { status: 404, error: 'message_not_found' };
  }
  const content = messageContent(body);
  if (!content.ok) return { status: 400, error: String(content.result.error) };
  const text = content.text ?? '';
  const replaceOriginal = body.replace_original === true || body.replace_original === 'true';
  if (replaceOriginal && context.messageTs !== undefined) {
    const replaced = messages.replaceOriginal(context, text, content.blocks);
    return replaced ? { status: 200 } : { status: 404, error: 'message_not_found' };
  }
  if (body.response_type === 'in_channel' && context.channelId !== undefined) {
    const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
    messages.storeBotMessage(context.channelId, text, content.blocks, threadTs, 'response_url');
  } else {
    messages.storeEphemeral(context, text, content.blocks, 'response_url');
  }
  return { status: 200 };
}
