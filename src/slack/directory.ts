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

const SWEEP_EVERY = 500;

interface Cached<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * Group membership and emails from Slack. usergroups.users.list is a tier-2 method (about 20 calls a
 * minute), so each group's members are cached for a short TTL and concurrent lookups share one call.
 */
export class SlackDirectory implements Directory {
  private readonly groups = new Map<string, Cached<ReadonlySet<string>>>();
  private readonly profiles = new Map<string, Cached<Profile | undefined>>();

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
