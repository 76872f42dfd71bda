import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Directory, Profile } from '../requests/ports/index.js';
import { slackErrorCode } from './errors.js';

const usergroupUsers = z.object({ users: z.array(z.string()) });
const userInfo = z.object({
  user: z.object({
    id: z.string(),
    deleted: z.boolean().optional(),
    is_bot: z.boolean().optional(),
    profile: z.object({ email: z.string().optional() }).optional(),
  }),
});

const userByEmail = z.object({
  user: z.object({ id: z.string(), deleted: z.boolean().optional(), is_bot: z.boolean().optional() }),
});
const usergroupList = z.object({
  usergroups: z.array(
    z.object({ id: z.string(), handle: z.string().optional(), name: z.string().optional() }),
  ),
});

const SWEEP_EVERY = 500;

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * Group membership, emails and mailbox owners from Slack. usergroups.users.list and usergroups.list are
 * tier-2 methods (about 20 calls a minute), so answers are cached for a short TTL and concurrent
 * lookups share one call.
 */
export class SlackDirectory implements Directory {
  private readonly groups = new Map<string, Cached<ReadonlySet<string>>>();
  private readonly profiles = new Map<string, Cached<Profile | undefined>>();
  private readonly owners = new Map<string, Cached<string | undefined>>();
  private readonly handles = new Map<string, Cached<ReadonlyMap<string, string>>>();

  constructor(
    private readonly client: WebClient,
    private readonly options: { ttlMs: number; logger: Logger; now?: () => number },
  ) {}

  async isMemberOfAny(userId: string, groupIds: readonly string[]): Promise<boolean> {
    for (const groupId of groupIds) {
      if ((await this.membersOf(groupId)).has(userId)) return true;
    }
    return false;
  }

  async emailOf(userId: string): Promise<string | undefined> {
    const profile = await this.profileOf(userId);
    return profile && !profile.deactivated ? profile.email : undefined;
  }

  profileOf(userId: string): Promise<Profile | undefined> {
    return this.cached(this.profiles, userId, async () => {
      let answer: unknown;
      try {
        answer = await this.client.users.info({ user: userId });
      } catch (error) {
        if (slackErrorCode(error) === 'user_not_found') return undefined;
        throw error;
      }
      const { user } = userInfo.parse(answer);
      return {
        deactivated: user.deleted === true,
        email: user.profile?.email?.trim().toLowerCase() || undefined,
      };
    });
  }

  membersOf(groupId: string): Promise<ReadonlySet<string>> {
    return this.cached(this.groups, groupId, async () => {
      const response = usergroupUsers.parse(await this.client.usergroups.users.list({ usergroup: groupId }));
      this.options.logger.debug({ groupId, members: response.users.length }, 'user group loaded');
      return new Set(response.users);
    });
  }

  /**
   * users.lookupByEmail: the active, human user with this profile email. Slack answers `users_not_found`
   * for an address nobody has, and still finds a deactivated account (`deleted: true`): neither owns it.
   */
  async userWithEmail(email: string): Promise<string | undefined> {
    return this.cached(this.owners, email.trim().toLowerCase(), async () => {
      let answer: unknown;
      try {
        answer = await this.client.users.lookupByEmail({ email });
      } catch (error) {
        if (slackErrorCode(error) === 'users_not_found') return undefined;
        throw error;
      }
      const { user } = userByEmail.parse(answer);
      return user.deleted || user.is_bot ? undefined : user.id;
    });
  }

  /** `@handle` of a user group, from usergroups.list (one call for every group, cached). */
  async groupHandle(groupId: string): Promise<string | undefined> {
    const handles = await this.cached(this.handles, 'all', async () => {
      const response = usergroupList.parse(await this.client.usergroups.list({ include_disabled: true }));
      return new Map(
        response.usergroups.flatMap((group) => {
          const label = group.handle ? `@${group.handle}` : group.name;
          return label ? [[group.id, label] as const] : [];
        }),
      );
    });
    return handles.get(groupId);
  }

  private cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = this.options.now?.() ?? Date.now();
    const hit = cache.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = load();
    cache.set(key, { value, expiresAt: now + this.options.ttlMs });
    // Entries are only replaced when asked for again: sweep out expired ones now and then, so a large
    // workspace does not keep every email it ever looked up.
    if (cache.size % SWEEP_EVERY === 0) {
      for (const [old, entry] of cache) if (entry.expiresAt <= now) cache.delete(old);
    }
    // A failed lookup must not be served from the cache.
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  }
}
