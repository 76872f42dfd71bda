/**
 * A local stand-in for the Slack Web API, strict enough to refuse what the real Slack refuses.
 *
 * It is a real `node:http` server that `@slack/web-api`'s WebClient talks to through `slackApiUrl`, so a
 * Bolt app under test exercises its real HTTP client, serialisation and error handling. Everything the
 * app does is recorded (`calls`, `messages`, `views`, …) for tests to assert on, and behaviour that the
 * real Slack accepts silently but that is almost certainly a bug (e.g. replying to a thread that does not
 * exist, acking an interaction too late) is collected in `problems`.
 *
 * Error codes and limits follow Slack's published method and Block Kit references; where Slack's exact
 * wording is unknown the simulator says what is wrong in plain words, in Slack's
 * `[ERROR] <message> [json-pointer:<pointer>]` format.
 *
 * This file is the facade; the parts live beside it: block-kit/ (the rules), records.ts and the stores
 * (recorder.ts, messages.ts, view-store.ts, triggers.ts), web-api/ (the methods by family),
 * socket-mode.ts, http/ (the server, response URLs, injected failures) and acks.ts (what Slack does with
 * the app's answers to interactions).
 */
import { ackArrivedInTime, handleCommandAck, handleViewSubmissionAck } from './acks.js';
import { FaultQueue } from './http/faults.js';
import { SimHttpServer } from './http/server.js';
import type { JsonObject } from './json.js';
import { MessageStore } from './messages.js';
import type { SimParts } from './parts.js';
import { Recorder } from './recorder.js';
import type {
  DirectoryUser,
  FailureSpec,
  InteractionAck,
  RecordedCall,
  ResponseUrlContext,
  SimEphemeral,
  SimMessage,
  SimResponse,
  SimView,
  SocketAck,
  TriggerContext,
} from './records.js';
import { type EnvelopeType, SocketMode } from './socket-mode.js';
import { Triggers } from './triggers.js';
import { ViewStore } from './view-store.js';
import { webApiMethods } from './web-api/index.js';
import { type SlackSimulatorOptions, type UsergroupDetails, Workspace } from './workspace.js';

export { validateBlocks, validateView } from './block-kit/surfaces.js';
export { type BlockProblem, type BlockSurface, formatBlockProblem } from './block-kit/validation.js';
export { collectText, isJsonObject, type JsonObject } from './json.js';
export type {
  DirectoryUser,
  FailureSpec,
  InteractionAck,
  MessageRevision,
  RecordedCall,
  ResponseUrlContext,
  SimEphemeral,
  SimMessage,
  SimResponse,
  SimView,
  SocketAck,
  TriggerContext,
} from './records.js';
export { inputBlocksOf } from './view-store.js';
export type { SlackSimulatorOptions, UsergroupDetails } from './workspace.js';

export async function startSlackSimulator(options: SlackSimulatorOptions): Promise<SlackSimulator> {
  const simulator = new SlackSimulator(options);
  await simulator.listen(options.port ?? 0);
  return simulator;
}

export class SlackSimulator {
  readonly botToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly triggerTtlMs: number;
  readonly appToken: string;

  // Directory: survives reset().
  readonly users: Map<string, DirectoryUser>;
  readonly channels: Map<string, { id: string; name: string }>;
  readonly usergroups: Map<string, string[]>;

  // Recordings: cleared by reset().
  readonly calls: RecordedCall[];
  readonly messages: SimMessage[];
  readonly ephemerals: SimEphemeral[];
  readonly views: SimView[];
  readonly homeViews: Map<string, SimView>;
  readonly responses: SimResponse[];
  /** Things the real Slack would accept or hide but that are almost certainly bugs in the app. */
  readonly problems: string[];

  private readonly parts: SimParts;
  private readonly faults = new FaultQueue();
  private readonly socketMode: SocketMode;
  private readonly http: SimHttpServer;

  constructor(options: SlackSimulatorOptions) {
    const workspace = new Workspace(options);
    const recorder = new Recorder();
    const baseUrl = () => this.baseUrl;
    this.parts = {
      workspace,
      recorder,
      messages: new MessageStore(workspace, recorder),
      views: new ViewStore(workspace, recorder),
      triggers: new Triggers(workspace, baseUrl),
    };
    this.socketMode = new SocketMode(workspace, recorder, baseUrl);
    const methods = webApiMethods(this.parts, () => this.socketMode.openConnection());
    this.http = new SimHttpServer(this.parts, methods, this.faults, this.socketMode);

    this.botToken = workspace.botToken;
    this.botUserId = workspace.botUserId;
    this.botId = workspace.botId;
    this.teamId = workspace.teamId;
    this.teamDomain = workspace.teamDomain;
    this.appId = workspace.appId;
    this.triggerTtlMs = workspace.triggerTtlMs;
    this.appToken = workspace.appToken;
    this.users = workspace.users;
    this.channels = workspace.channels;
    this.usergroups = workspace.usergroups;
    this.calls = recorder.calls;
    this.responses = recorder.responses;
    this.problems = recorder.problems;
    this.messages = this.parts.messages.messages;
    this.ephemerals = this.parts.messages.ephemerals;
    this.views = this.parts.views.views;
    this.homeViews = this.parts.views.homeViews;
  }

  /** @internal used by startSlackSimulator */
  listen(port: number): Promise<void> {
    return this.http.listen(port);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** The value for WebClient's `slackApiUrl`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  // ----- directory ------------------------------------------------------------------------------------

  addUser(user: DirectoryUser): DirectoryUser {
    return this.parts.workspace.addUser(user);
  }

  /** A user group and its members, with the handle and name usergroups.list gives (defaults: the id). */
  setUsergroup(groupId: string, userIds: string[], details: Partial<UsergroupDetails> = {}): void {
    this.parts.workspace.setUsergroup(groupId, userIds, details);
  }

  addChannel(id: string, name?: string): void {
    this.parts.workspace.addChannel(id, name);
  }

  /** A message some person wrote (not the bot), e.g. to start a thread the app replies in. */
  addUserMessage(message: { channel: string; user: string; text: string; threadTs?: string }): SimMessage {
    return this.parts.messages.addUserMessage(message);
  }

  /** The id of the bot's DM with a user (stable, but only valid once the DM is open). */
  dmChannelFor(userId: string): string {
    return this.parts.workspace.dmChannelFor(userId);
  }

  /** Opens the bot's DM with a user, as Slack does when the user writes to the app. */
  openDm(userId: string): string {
    return this.parts.workspace.openDm(userId);
  }

  /** A channel name as Slack puts it in payloads ('directmessage' for DMs). */
  channelName(channelId: string): string | undefined {
    return this.parts.workspace.channelName(channelId);
  }

  // ----- triggers and response URLs -------------------------------------------------------------------

  createTrigger(context: TriggerContext = {}): string {
    return this.parts.triggers.createTrigger(context);
  }

  createResponseUrl(context: ResponseUrlContext = {}): string {
    return this.parts.triggers.createResponseUrl(context);
  }

  // ----- fault injection ------------------------------------------------------------------------------

  failNext(method: string, spec: FailureSpec): void {
    this.faults.failNext(method, spec);
  }

  /**
   * The next call to `method` is received and recorded (as failed, `held`) but never answered, as when
   * Slack hangs: the caller waits until it gives up or stops.
   */
  holdNext(method: string): void {
    this.faults.holdNext(method);
  }

  // ----- queries --------------------------------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    return this.parts.recorder.callsTo(method);
  }

  /** Every message in a channel, thread replies included, oldest first. */
  messagesIn(channel: string): SimMessage[] {
    return this.parts.messages.messagesIn(channel);
  }

  threadReplies(channel: string, threadTs: string): SimMessage[] {
    return this.parts.messages.threadReplies(channel, threadTs);
  }

  /** Messages in the bot's DM with the user (whether posted to the DM id or to the user id). */
  dmsTo(userId: string): SimMessage[] {
    return this.messagesIn(this.dmChannelFor(userId));
  }

  findMessage(channel: string, ts: string): SimMessage | undefined {
    return this.parts.messages.findMessage(channel, ts);
  }

  findView(viewId: string): SimView | undefined {
    return this.parts.views.findView(viewId);
  }

  /** Waits for the modal the app opened (or pushed) with this trigger id, e.g. a slash command's. */
  viewOpenedWith(triggerId: string, timeoutMs?: number): Promise<SimView> {
    return this.waitFor(() => this.views.find((view) => view.triggerId === triggerId), timeoutMs);
  }

  /** The modal most recently opened, pushed or updated. */
  lastView(): SimView | undefined {
    return this.parts.views.lastView();
  }

  /** A message as Slack shows it: in API answers, and in the payloads of clicks on it. */
  messageJson(message: SimMessage): JsonObject {
    return this.parts.messages.messageJson(message);
  }

  /**
   * Resolves with the probe's first truthy result. The probe runs now, after every recorded change and
   * on a short poll; on timeout the rejection lists recent calls and problems to show what happened.
   */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return this.parts.recorder.waitFor(probe, timeoutMs);
  }

  reportProblem(problem: string): void {
    this.parts.recorder.reportProblem(problem);
  }

  /**
   * Clears recordings, triggers, response URLs and queued failures. Keeps the directory (users, channels,
   * groups) and the open DMs, which in Slack stay open for good.
   */
  reset(): void {
    this.parts.recorder.clear();
    this.parts.messages.clear();
    this.parts.views.clear();
    this.parts.triggers.clear();
    this.faults.clear();
  }

  close(): Promise<void> {
    this.socketMode.close();
    return this.http.close();
  }

  // ----- Socket Mode ----------------------------------------------------------------------------------

  /** Resolves once a Socket Mode app is connected (it has had Slack's hello). */
  async socketConnected(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.socketMode.connected, timeoutMs);
  }

  /**
   * Sends an envelope to the connected app, as Slack does in Socket Mode, and resolves with its ack.
   * Slack waits 3 seconds for an ack; so does this, then it rejects.
   */
  sendEnvelope(type: EnvelopeType, payload: JsonObject): Promise<SocketAck> {
    return this.socketMode.sendEnvelope(type, payload);
  }

  /**
   * Ends the app's connection as Slack does: with a reason (Slack recycling it, e.g. `refresh_requested`),
   * a `disconnect` message and, if the app has not closed it within a second, the close; without one,
   * at once and without a close frame, like a dropped network.
   */
  disconnectSocket(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void {
    this.socketMode.disconnect(reason);
  }

  // ----- interaction outcomes (reported by SlackDriver) ----------------------------------------------

  /** Applies what the app answered to a view_submission, the way Slack would. */
  handleViewSubmissionAck(viewId: string, ack: InteractionAck): void {
    handleViewSubmissionAck(this.parts, viewId, ack);
  }

  /** Applies what the app answered to a slash command: a body with text/blocks is shown to the user. */
  handleCommandAck(command: string, context: ResponseUrlContext, ack: InteractionAck): void {
    handleCommandAck(this.parts, command, context, ack);
  }

  /** Notes a late or failed ack for interactions whose answer body Slack ignores (actions, events). */
  handleAck(description: string, ack: InteractionAck): void {
    ackArrivedInTime(this.parts, description, ack);
  }

  /** Closes a modal (the user pressed Close / Escape). */
  closeView(viewId: string): void {
    const record = this.findView(viewId);
    if (record !== undefined) this.parts.views.closeStackFrom(record);
  }
}
