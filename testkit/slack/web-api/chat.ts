/**
 * The chat methods: postMessage, postEphemeral, update, delete and getPermalink. A `channel` may be a
 * channel id or name, an open DM, or (for posting) a user id, which opens the bot's DM with that user.
 */
import type { JsonObject } from '../json.js';
import { reviseMessage } from '../messages.js';
import type { SimParts } from '../parts.js';
import type { SimMessage } from '../records.js';
import type { Workspace } from '../workspace.js';
import { messageContent } from './content.js';
import { type ApiResult, argString, failure, type MethodTable } from './result.js';

export function chatMethods(parts: SimParts): MethodTable {
  return {
    'chat.postMessage': (args) => chatPostMessage(parts, args),
    'chat.postEphemeral': (args) => chatPostEphemeral(parts, args),
    'chat.update': (args) => chatUpdate(parts, args),
    'chat.delete': (args) => chatDelete(parts, args),
    'chat.getPermalink': (args) => chatGetPermalink(parts, args),
  };
}

/**
 * Resolves a `channel` argument to a conversation the bot may post in. A user id opens (or reuses) the
 * bot's DM with that user, as chat.postMessage does; `allowUserId: false` is for methods that need the
 * DM id itself (chat.update, chat.delete).
 */
function resolveChannel(
  workspace: Workspace,
  channel: string | undefined,
  allowUserId = true,
): { ok: true; channel: string } | { ok: false; result: ApiResult } {
  if (channel === undefined || channel === '') return { ok: false, result: failure('channel_not_found') };
  if (workspace.channels.has(channel)) return { ok: true, channel };
  const byName = [...workspace.channels.values()].find((c) => c.name === channel.replace(/^#/, ''));
  if (byName !== undefined) return { ok: true, channel: byName.id };
  const members = workspace.conversations.get(channel);
  if (members !== undefined) {
    if (members.some((id) => workspace.users.get(id)?.deleted))
      return { ok: false, result: failure('is_archived') };
    return { ok: true, channel };
  }
  const user = workspace.users.get(channel);
  if (allowUserId && user !== undefined) {
    if (user.deleted) return { ok: false, result: failure('is_archived') };
    return { ok: true, channel: workspace.openDm(user.id) };
  }
  return { ok: false, result: failure('channel_not_found') };
}

function chatPostMessage({ workspace, messages }: SimParts, args: JsonObject): ApiResult {
  const target = resolveChannel(workspace, argString(args, 'channel'));
  if (!target.ok) return target.result;
  const content = messageContent(args);
  if (!content.ok) return content.result;
  const threadTs = argString(args, 'thread_ts') || undefined;
  const message = messages.storeBotMessage(
    target.channel,
    content.text ?? '',
    content.blocks,
    threadTs,
    'chat.postMessage',
  );
  return { ok: true, channel: message.channel, ts: message.ts, message: messages.messageJson(message) };
}

function chatPostEphemeral({ workspace, messages }: SimParts, args: JsonObject): ApiResult {
  const target = resolveChannel(workspace, argString(args, 'channel'));
  if (!target.ok) return target.result;
  const userId = argString(args, 'user') ?? '';
  const user = workspace.users.get(userId);
  if (user === undefined || user.deleted) return failure('user_not_in_channel');
  const content = messageContent(args);
  if (!content.ok) return content.result;
  const threadTs = argString(args, 'thread_ts') || undefined;
  const ephemeral = messages.storeEphemeral(
    { channelId: target.channel, userId },
    content.text ?? '',
    content.blocks,
    'chat.postEphemeral',
    threadTs,
  );
  return { ok: true, message_ts: ephemeral.ts };
}

function botMessageAt(
  { workspace, messages }: SimParts,
  args: JsonObject,
  tsField: string,
): { ok: true; message: SimMessage } | { ok: false; result: ApiResult } {
  const target = resolveChannel(workspace, argString(args, 'channel'), false);
  if (!target.ok) return target;
  const message = messages.findMessage(target.channel, argString(args, tsField) ?? '');
  if (message === undefined) return { ok: false, result: failure('message_not_found') };
  return { ok: true, message };
}

function chatUpdate(parts: SimParts, args: JsonObject): ApiResult {
  const found = botMessageAt(parts, args, 'ts');
  if (!found.ok) return found.result;
  const message = found.message;
  if (message.user !== parts.workspace.botUserId) return failure('cant_update_message');
  const content = messageContent(args);
  if (!content.ok) return content.result;
  // Slack keeps the previous blocks when `blocks` is left out, and drops them for `blocks: []`.
  const blocks = args.blocks === undefined ? message.blocks : content.blocks;
  reviseMessage(message, content.text ?? message.text, blocks, 'chat.update');
  return {
    ok: true,
    channel: message.channel,
    ts: message.ts,
    text: message.text,
    message: parts.messages.messageJson(message),
  };
}

function chatDelete(parts: SimParts, args: JsonObject): ApiResult {
  const found = botMessageAt(parts, args, 'ts');
  if (!found.ok) return found.result;
  if (found.message.user !== parts.workspace.botUserId) return failure('cant_delete_message');
  parts.messages.deleteMessage(found.message);
  return { ok: true, channel: found.message.channel, ts: found.message.ts };
}

function chatGetPermalink(parts: SimParts, args: JsonObject): ApiResult {
  const found = botMessageAt(parts, args, 'message_ts');
  if (!found.ok) return found.result;
  const { channel, ts } = found.message;
  return {
    ok: true,
    channel,
    permalink: `https://${parts.workspace.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
  };
}
