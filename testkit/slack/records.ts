/**
 * What the simulator records for tests to assert on: every Web API call, the messages (posted and
 * ephemeral) with their revisions, the views with theirs, the response_url posts; and the shapes of what
 * the driver reports back (acks) or sets up (trigger and response_url contexts, injected failures).
 */
import type { JsonObject } from './json.js';

/** What a Socket Mode app answered to an envelope: the `payload` of its ack. */
export interface SocketAck {
  payload: JsonObject;
  elapsedMs: number;
}

export interface DirectoryUser {
  id: string;
  name: string;
  realName?: string;
  /** Slack's display name is often empty; users.info returns '' unless set. */
  displayName?: string;
  email?: string;
  isBot?: boolean;
  deleted?: boolean;
}

export interface RecordedCall {
  method: string;
  /** Arguments as received, JSON fields (`blocks`, `view`, …) parsed, the token left out. */
  args: JsonObject;
  ok: boolean;
  error?: string;
  at: number;
}

export interface MessageRevision {
  text: string;
  blocks?: JsonObject[];
  at: number;
  via: string;
}

export interface SimMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  /** Author: the bot user for messages the app posted. */
  user: string;
  botId?: string;
  text: string;
  blocks?: JsonObject[];
  /** How many times the message was edited (chat.update or a response_url replace_original). */
  updates: number;
  /** Every version, the original first. */
  history: MessageRevision[];
}

export interface SimEphemeral {
  channel: string;
  user: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: JsonObject[];
  via: 'chat.postEphemeral' | 'response_url' | 'command_ack';
  updates: number;
  history: MessageRevision[];
}

export interface SimView {
  id: string;
  type: 'modal' | 'home';
  /** The user the view is shown to (from the trigger's context, or views.publish's user_id). */
  userId?: string;
  triggerId?: string;
  status: 'open' | 'closed';
  /** The view as Slack stores and returns it: generated block/action ids, hash, state, … */
  view: JsonObject;
  /** Every version of `view`, the first one first. */
  history: JsonObject[];
  rootViewId: string;
  previousViewId: string | null;
  /** The last `response_action: errors` the app returned for this view. */
  errors?: Record<string, string>;
  openedBy: 'views.open' | 'views.push' | 'views.publish' | 'response_action';
  /** When it was opened, in milliseconds since the epoch with a fraction (performance.timeOrigin + now()). */
  openedAt: number;
}

export interface ResponseUrlContext {
  userId?: string;
  channelId?: string;
  /** The message the interaction came from; replace_original/delete_original act on it. */
  messageTs?: string;
  isEphemeral?: boolean;
}

export interface SimResponse {
  id: string;
  url: string;
  body: JsonObject;
  context: ResponseUrlContext;
  ok: boolean;
  error?: string;
  at: number;
}

export interface TriggerContext {
  userId?: string;
  /** The view the interaction happened in; views.push stacks onto it. */
  viewId?: string;
}

export interface FailureSpec {
  error: string;
  /** HTTP status; 200 like Slack's own errors unless set (429 for rate limits, 5xx for outages). */
  status?: number;
  retryAfterSec?: number;
  /** How many consecutive calls fail; 1 by default. */
  times?: number;
}

/** What the app answered to an interaction Slack sent it; see SlackDriver. */
export interface InteractionAck {
  status: number;
  text: string;
  json?: unknown;
  elapsedMs: number;
}
