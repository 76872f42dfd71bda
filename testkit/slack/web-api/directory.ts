/**
 * The directory methods: users.info, users.lookupByEmail, usergroups.list, usergroups.users.list and
 * conversations.open.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../json.js';
import type { SimParts } from '../parts.js';
import type { DirectoryUser } from '../records.js';
import type { Workspace } from '../workspace.js';
import { type ApiResult, argBoolean, argString, failure, type MethodTable } from './result.js';

export function directoryMethods({ workspace }: SimParts): MethodTable {
  return {
    'users.info': (args) => usersInfo(workspace, args),
    'users.lookupByEmail': (args) => usersLookupByEmail(workspace, args),
    'usergroups.list': (args) => usergroupsList(workspace, args),
    'usergroups.users.list': (args) => usergroupsUsersList(workspace, args),
    'conversations.open': (args) => conversationsOpen(workspace, args),
  };
}

function userObject(workspace: Workspace, user: DirectoryUser): JsonObject {
  const realName = user.realName ?? user.name;
  const displayName = user.displayName ?? '';
  return {
    id: user.id,
    team_id: workspace.teamId,
    name: user.name,
    deleted: user.deleted ?? false,
    real_name: realName,
    is_bot: user.isBot ?? false,
    is_app_user: false,
    profile: {
      real_name: realName,
      real_name_normalized: realName,
      display_name: displayName,
      display_name_normalized: displayName,
      ...(user.email === undefined ? {} : { email: user.email }),
      team: workspace.teamId,
    },
  };
}

function usersInfo(workspace: Workspace, args: JsonObject): ApiResult {
  const user = workspace.users.get(argString(args, 'user') ?? '');
  if (user === undefined) return failure('user_not_found');
  return { ok: true, user: userObject(workspace, user) };
}

/**
 * As Slack documents it: an address no user has, and a deactivated user's, both answer
 * `users_not_found`; a missing `email` is `invalid_arguments`.
 */
function usersLookupByEmail(workspace: Workspace, args: JsonObject): ApiResult {
  const email = argString(args, 'email')?.trim().toLowerCase();
  if (!email) {
    return failure('invalid_arguments', {
      response_metadata: { messages: ['missing required field: email'] },
    });
  }
  const user = [...workspace.users.values()].find((u) => u.email?.toLowerCase() === email && !u.deleted);
  if (user === undefined) return failure('users_not_found');
  return { ok: true, user: userObject(workspace, user) };
}

/** Every user group of the team, as Slack lists them; members with include_users, counts with include_count. */
function usergroupsList(workspace: Workspace, args: JsonObject): ApiResult {
  const usergroups = [...workspace.usergroups.entries()].flatMap(([id, members]) => {
    const details = workspace.usergroupDetails.get(id) ?? { handle: id.toLowerCase(), name: id };
    if (details.disabled && !argBoolean(args, 'include_disabled')) return [];
    return [
      {
        id,
        team_id: workspace.teamId,
        is_usergroup: true,
        name: details.name,
        description: '',
        handle: details.handle,
        is_external: false,
        date_create: 1_700_000_000,
        date_update: 1_700_000_000,
        date_delete: details.disabled ? 1_700_000_100 : 0,
        auto_type: null,
        created_by: 'USLACKBOT',
        updated_by: 'USLACKBOT',
        deleted_by: null,
        prefs: { channels: [], groups: [] },
        ...(argBoolean(args, 'include_users') ? { users: [...members] } : {}),
        ...(argBoolean(args, 'include_count') ? { user_count: members.length } : {}),
      },
    ];
  });
  return { ok: true, usergroups };
}

function usergroupsUsersList(workspace: Workspace, args: JsonObject): ApiResult {
  const members = workspace.usergroups.get(argString(args, 'usergroup') ?? '');
  if (members === undefined) return failure('no_such_subteam');
  return { ok: true, users: [...members] };
}

function conversationsOpen(workspace: Workspace, args: JsonObject): ApiResult {
  const channel = argString(args, 'channel');
  if (channel !== undefined) {
    if (!workspace.conversations.has(channel)) return failure('channel_not_found');
    return { ok: true, no_op: true, already_open: true, channel: { id: channel } };
  }
  const userIds = (argString(args, 'users') ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (userIds.length === 0) return failure('users_list_not_supplied');
  if (userIds.length > 8) return failure('too_many_users');
  for (const id of userIds) {
    const user = workspace.users.get(id);
    if (user === undefined) return failure('user_not_found');
    if (user.deleted) return failure('user_disabled');
  }
  const id =
    userIds.length === 1
      ? workspace.dmChannelFor(userIds[0] ?? '')
      : `G${createHash('sha1')
          .update([...userIds].sort().join(','))
          .digest('hex')
          .slice(0, 10)
          .toUpperCase()}`;
  const alreadyOpen = workspace.conversations.has(id);
  workspace.conversations.set(id, userIds);
  const details = argBoolean(args, 'return_im')
    ? {
        created: Math.floor(Date.now() / 1000),
        is_im: userIds.length === 1,
        ...(userIds.length === 1 ? { user: userIds[0] } : {}),
      }
    : {};
  return {
    ok: true,
    ...(alreadyOpen ? { no_op: true, already_open: true } : {}),
    channel: { id, ...details },
  };
}
