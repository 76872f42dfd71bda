/**
 * The workspace the simulator plays: the app's identity (tokens, bot user, team) and the directory
 * (users, channels, user groups, open DMs). The directory survives reset(), as it would in Slack.
 */
import type { DirectoryUser } from './records.js';

export interface SlackSimulatorOptions {
  botToken: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
  /** How long a trigger_id stays usable; Slack's is 3 seconds. */
  triggerTtlMs?: number;
  /** The app-level token (xapp-…) that apps.connections.open accepts, for Socket Mode. */
  appToken?: string;
  port?: number;
}

export interface UsergroupDetails {
  handle: string;
  name: string;
  /** A disabled group: usergroups.list leaves it out unless include_disabled. */
  disabled?: boolean;
}

export class Workspace {
  readonly botToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly triggerTtlMs: number;
  readonly appToken: string;

  readonly users = new Map<string, DirectoryUser>();
  readonly channels = new Map<string, { id: string; name: string }>();
  readonly usergroups = new Map<string, string[]>();
  /** How people know each group: its @handle and its name (usergroups.list). */
  readonly usergroupDetails = new Map<string, UsergroupDetails>();
  /** Open DMs / group DMs: conversation id → member user ids. */
  readonly conversations = new Map<string, string[]>();
  /** One counter for trigger ids, response URLs and view ids. */
  private sequence = 0;

  constructor(options: SlackSimulatorOptions) {
    this.botToken = options.botToken;
    this.botUserId = options.botUserId ?? 'U0SIMBOT';
    this.botId = options.botId ?? 'B0SIMBOT';
    this.teamId = options.teamId ?? 'T0SIMTEAM';
    this.teamDomain = options.teamDomain ?? 'sim-workspace';
    this.appId = options.appId ?? 'A0SIMAPP';
    this.triggerTtlMs = options.triggerTtlMs ?? 3000;
    this.appToken = options.appToken ?? 'xapp-1-A0SIMAPP-sim-app-token';
  }

  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  addUser(user: DirectoryUser): DirectoryUser {
    this.users.set(user.id, { ...user });
    return user;
  }

  /** A user group and its members; its handle defaults to the id in lower case, its name to the id. */
  setUsergroup(groupId: string, userIds: string[], details: Partial<UsergroupDetails> = {}): void {
    this.usergroups.set(groupId, [...userIds]);
    const known = this.usergroupDetails.get(groupId);
    this.usergroupDetails.set(groupId, {
      handle: details.handle ?? known?.handle ?? groupId.toLowerCase(),
      name: details.name ?? known?.name ?? groupId,
      ...((details.disabled ?? known?.disabled) ? { disabled: true } : {}),
    });
  }

  addChannel(id: string, name?: string): void {
    this.channels.set(id, { id, name: name ?? id.toLowerCase() });
  }

  /** The id of the bot's DM with a user (stable, but only valid once the DM is open). */
  dmChannelFor(userId: string): string {
    return `D${userId}`;
  }

  /** Opens the bot's DM with a user, as Slack does when the user writes to the app. */
  openDm(userId: string): string {
    const id = this.dmChannelFor(userId);
    this.conversations.set(id, [userId]);
    return id;
  }

  /** A channel name as Slack puts it in payloads ('directmessage' for DMs). */
  channelName(channelId: string): string | undefined {
    if (this.channels.has(channelId)) return this.channels.get(channelId)?.name;
    const members = this.conversations.get(channelId);
    if (members === undefined) return undefined;
    return members.length === 1 ? 'directmessage' : `mpdm-${members.join('--')}-1`;
  }
}
