/**
 * The content of a message (text, blocks, attachments) as chat.postMessage checks it. The same rules
 * apply to chat.postEphemeral, chat.update, a response_url post and a slash command's reply.
 */
import { validateBlocks } from '../block-kit/surfaces.js';
import { withGeneratedIds } from '../ids.js';
import { charCount, isJsonObjectArray, type JsonObject } from '../json.js';
import { type ApiResult, blockFailure, failure } from './result.js';

const MESSAGE_TEXT_LIMIT = 40_000;

export type ContentResult =
  | { ok: true; text: string | undefined; blocks: JsonObject[] | undefined }
  | { ok: false; result: ApiResult };

/** Parses and validates text + blocks the way chat.postMessage does. */
export function messageContent(args: JsonObject): ContentResult {
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
