/**
 * The messages in the workspace: those the bot posted (chat.postMessage, an in_channel reply to a command
 * or a response_url) and those people wrote, the ephemeral messages only one user sees, and every
 * revision of each. Threads are checked here: a reply to a message that does not exist is a problem.
 */
import { MessageClock } from './ids.js';
import type { JsonObject } from './json.js';
import type { Recorder } from './recorder.js';
import type { ResponseUrlContext, SimEphemeral, SimMessage } from './records.js';
import type { Workspace } from './workspace.js';

export class MessageStore {
  readonly messages: SimMessage[] = [];
  readonly ephemerals: SimEphemeral[] = [];
  private readonly clock = new MessageClock();

  constructor(
    private readonly workspace: Workspace,
    private readonly recorder: Recorder,
  ) {}

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
    this.recorder.changed();
    return record;
  }

  /** Every message in a channel, thread replies included, oldest first. */
  messagesIn(channel: string): SimMessage[] {
    return this.messages.filter((message) => message.channel === channel);
  }

  threadReplies(channel: string, threadTs: string): SimMessage[] {
    return this.messages.filter((message) => message.channel === channel && message.threadTs === threadTs);
  }

  findMessage(channel: string, ts: string): SimMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  /** A message as Slack shows it: in API answers, and in the payloads of clicks on it. */
  messageJson(message: SimMessage): JsonObject {
    return {
      type: 'message',
      text: message.text,
      user: message.user,
      ts: message.ts,
      team: this.workspace.teamId,
      ...(message.botId === undefined ? {} : { bot_id: message.botId, app_id: this.workspace.appId }),
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    };
  }

  storeBotMessage(
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
        this.recorder.reportProblem(
          `${via}: thread_ts ${threadTs} names no message in ${channel}; Slack hides such replies`,
        );
      } else if (parent.threadTs !== undefined && parent.threadTs !== parent.ts) {
        this.recorder.reportProblem(
          `${via}: thread_ts ${threadTs} in ${channel} is itself a reply; use its parent's ts`,
        );
      }
    }
    const message: SimMessage = {
      channel,
      ts: this.clock.next(),
      user: this.workspace.botUserId,
      botId: this.workspace.botId,
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

  storeEphemeral(
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

  deleteMessage(message: SimMessage): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  /** response_url's delete_original: removes the message the interaction came from. */
  deleteOriginal(context: ResponseUrlContext): boolean {
    const list: Array<SimMessage | SimEphemeral> = context.isEphemeral ? this.ephemerals : this.messages;
    const index = list.findIndex(
      (item) => item.channel === context.channelId && item.ts === context.messageTs,
    );
    if (index < 0) return false;
    list.splice(index, 1);
    return true;
  }

  /** response_url's replace_original: edits the message the interaction came from. */
  replaceOriginal(context: ResponseUrlContext, text: string, blocks: JsonObject[] | undefined): boolean {
    const list: Array<SimMessage | SimEphemeral> = context.isEphemeral ? this.ephemerals : this.messages;
    const original = list.find((item) => item.channel === context.channelId && item.ts === context.messageTs);
    if (original === undefined) return false;
    reviseMessage(original, text, blocks, 'response_url');
    return true;
  }

  clear(): void {
    this.messages.length = 0;
    this.ephemerals.length = 0;
  }
}

/** Edits a message in place and records the new revision. */
export function reviseMessage(
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
