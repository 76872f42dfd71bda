import type { WebClient } from '@slack/web-api';
import { ErrorCode } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { CardRef, DelegationRequest } from '../requests/model.js';
import type { Notice } from '../requests/notices.js';
import type { DeliveryReport, NoticeDelivery } from '../requests/ports/index.js';
import {
  ownerAnsweredMessage,
  ownerMessage,
  requestCard,
  requesterMessage,
  type SlackMessage,
  threadMessage,
  unseenRequestMessage,
} from './blocks/messages.js';
import { consentClosedLine } from './copy/owner.js';
import { isChannelProblem, NO_ANSWER, slackErrorCode } from './errors.js';

/** Slack errors that no retry can fix; the notice is given up on (and logged) instead. */
const PERMANENT_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'invalid_arguments',
  'msg_too_long',
  'no_text',
  'user_not_found',
  'cannot_dm_bot',
  'account_inactive',
  'invalid_auth',
  'not_authed',
  'missing_scope',
]);

export function isPermanentSlackError(error: unknown): boolean {
  return PERMANENT_ERRORS.has(slackErrorCode(error) ?? '');
}

/** A rate-limited call carries Slack's Retry-After, which the dispatcher honours. */
function withRetryHint(error: unknown): unknown {
  const limited = error as { code?: string; retryAfter?: number } | undefined;
  if (limited?.code === ErrorCode.RateLimitedError && typeof limited.retryAfter === 'number') {
    return Object.assign(error as object, { retryAfterMs: limited.retryAfter * 1000 });
  }
  return error;
}

/**
 * Delivers queued notices to Slack: the approvers' card (in the channel of the request's policy rule,
 * APPROVAL_CHANNEL_ID without one), replies in its thread, and DMs to the requester and the mailbox's
 * owner. It never writes the store: the card it posts, or why it could not, goes back to the
 * dispatcher, which records it.
 */
export class SlackDelivery implements NoticeDelivery {
  private readonly dmChannels = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly options: {
      approvalChannelId: string;
      adminGroupIds: readonly string[];
      extendChoicesHours: readonly number[];
      logger: Logger;
    },
  ) {}

  async deliver(notice: Notice, current: DelegationRequest): Promise<DeliveryReport | undefined> {
    try {
      switch (notice.target) {
        case 'card':
          return await this.showCard(current);
        case 'thread':
          await this.replyInThread(
            current,
            threadMessage(notice, notice.snapshot, this.options.adminGroupIds),
          );
          return undefined;
        case 'dm':
          await this.sendDirect(
            current.requesterId,
            // "With the approvers" would not be true when their card could not be posted.
            notice.event === 'submitted' && current.cardProblem
              ? unseenRequestMessage(current, current.cardProblem)
              : requesterMessage(notice, notice.snapshot),
          );
          return undefined;
        case 'owner':
          return await this.tellOwner(notice, current);
      }
    } catch (error) {
      throw withRetryHint(error);
    }
  }

  /**
   * The mailbox owner's DMs. The consent request reports where it was posted, so that once the request
   * no longer waits for them, `consent_closed` replaces its buttons with what happened (worded from the
   * request as that change left it).
   */
  private async tellOwner(
    notice: Extract<Notice, { target: 'owner' }>,
    current: DelegationRequest,
  ): Promise<DeliveryReport | undefined> {
    if (notice.event === 'consent_closed') {
      const dm = current.ownerMessage;
      // Never posted (given up on): there is no DM to update.
      if (!dm) return undefined;
      const closed = ownerAnsweredMessage(notice.snapshot, consentClosedLine(notice.snapshot));
      await this.client.chat.update({ channel: dm.channel, ts: dm.ts, ...closed });
      return undefined;
    }
    // The owner was found when the request was made; the core queues nothing without one.
    const ownerId = notice.snapshot.route?.ownerId;
    if (!ownerId) return undefined;
    const posted = await this.sendDirect(ownerId, ownerMessage(notice, notice.snapshot));
    return notice.event === 'consent_requested' ? { ownerMessage: posted } : undefined;
  }

  /** Posts the card the first time (and reports where), then keeps it showing the request's current state. */
  private async showCard(request: DelegationRequest): Promise<DeliveryReport | undefined> {
    // Approvers extend by the durations the request's rule offers.
    const card = requestCard(request, request.route?.durationChoicesHours ?? this.options.extendChoicesHours);
    if (request.card) {
      await this.client.chat.update({ channel: request.card.channel, ts: request.card.ts, ...card });
      return undefined;
    }
    const posted = await this.client.chat.postMessage({ channel: this.channelOf(request), ...card });
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage returned no ts');
    return { card: { channel: posted.channel, ts: posted.ts } };
  }

  /**
   * A card never posted leaves a request nobody sees: say what to fix, and report why, so the
   * requester's confirmation says so instead of "with the approvers" (it is next in line).
   */
  async gaveUp(
    notice: Notice,
    error: unknown,
    current: DelegationRequest | undefined,
  ): Promise<DeliveryReport | undefined> {
    if (notice.target !== 'card' || !current || current.card) return undefined;
    const code = slackErrorCode(error) ?? NO_ANSWER;
    // The channel is the request's policy rule's when it has one, APPROVAL_CHANNEL_ID otherwise.
    const rule = current.route?.rule;
    this.options.logger.error(
      { requestId: current.id, ...(rule ? { rule } : {}), channel: this.channelOf(current), error: code },
      !isChannelProblem(code)
        ? 'the approval card could not be posted'
        : rule
          ? "the approval card could not be posted: invite the bot to its policy rule's channel, or set the rule's channel to one the bot is in"
          : 'the approval card could not be posted: invite the bot to APPROVAL_CHANNEL_ID, or set it to a channel the bot is in',
    );
    return { cardProblem: code };
  }

  private async replyInThread(request: DelegationRequest, message: SlackMessage): Promise<void> {
    // Notices go out in order, so the card exists unless posting it was given up on.
    if (!request.card) {
      await this.client.chat.postMessage({ channel: this.channelOf(request), ...message });
      return;
    }
    await this.client.chat.postMessage({
      channel: request.card.channel,
      thread_ts: request.card.ts,
      ...message,
    });
  }

  /** Where the request's card goes: its policy rule's channel, or APPROVAL_CHANNEL_ID. */
  private channelOf(request: DelegationRequest): string {
    return request.route?.channelId ?? this.options.approvalChannelId;
  }

  private async sendDirect(userId: string, message: SlackMessage): Promise<CardRef> {
    let channel = this.dmChannels.get(userId);
    if (!channel) {
      const opened = await this.client.conversations.open({ users: userId });
      channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      this.dmChannels.set(userId, channel);
    }
    const posted = await this.client.chat.postMessage({ channel, ...message });
    if (!posted.ts) throw new Error('chat.postMessage returned no ts');
    return { channel: posted.channel ?? channel, ts: posted.ts };
  }
}
