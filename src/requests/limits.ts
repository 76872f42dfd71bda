import type { Core } from './deps.js';
import { isOverdue } from './expiry.js';
import { OPEN_STATUSES } from './model.js';

/** One of a person's open requests, as the refusal lists them. */
export interface OpenRequestRef {
  id: string;
  mailbox: string;
}

/** A person has as many open requests as they may: the limit, and those requests (newest first). */
export interface OpenRequestsFull {
  limit: number;
  open: OpenRequestRef[];
}

/**
 * Whether this person already has MAX_OPEN_REQUESTS requests open (waiting, approved or being
 * granted), and which. A waiting request past REQUEST_TTL_HOURS does not count: it can no longer be
 * decided, whether or not the sweep has expired it yet.
 */
export async function openRequestsFull(core: Core, userId: string): Promise<OpenRequestsFull | undefined> {
  const limit = core.limits.maxOpenRequests;
  const now = core.clock();
  const mine = await core.store.listRequests({ requesterId: userId, statuses: OPEN_STATUSES });
  const open = mine.filter((request) => !isOverdue(core, request, now));
  if (open.length < limit) return undefined;
  return { limit, open: open.map((request) => ({ id: request.id, mailbox: request.mailbox })) };
}
