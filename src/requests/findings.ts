import { randomInt } from 'node:crypto';
import type { CardRef } from './model.js';

/**
 * What a check against Mimecast (reconcile.ts) found that the bot did not make: a delegate right on
 * a grantee's list that no grant of the bot accounts for. Stored, so that it is reported once, and so
 * that admins can list it (`/delegate drift`) and remove it (the Remove button, drift.ts).
 */
export const FINDING_STATUSES = [
  /** Listed in Mimecast and waiting for an admin. */
  'open',
  /** An admin's removal is under way (claimed, so two clicks make one Mimecast call). */
  'removing',
  /** Removed from Mimecast by an admin through the bot. */
  'removed',
  /** No longer listed at a later check: someone removed it elsewhere. */
  'gone',
  /**
   * Still listed, but now held by a grant of the bot: a request whose add was under way (or landed
   * after the check read the bot's records) completed. The grant manages it from here.
   */
  'managed',
] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** Statuses in which a finding still stands for a right in Mimecast: the same right is not reported again. */
export const STANDING_FINDING_STATUSES: readonly FindingStatus[] = ['open', 'removing'];

export interface DriftFinding {
  /** Short and readable, like a request id: DF-7KQ2M9. */
  id: string;
  /** The only kind stored today: a right the bot did not create. */
  kind: 'unmanaged_right';
  /** Whose list it is on (the grantee searched). */
  granteeEmail: string;
  /** The mailbox they can open, as Mimecast listed it (lower case). */
  mailbox: string;
  /** Mimecast's id of the right. */
  mimecastId: string;
  /** What Mimecast said of it, when it did. */
  name?: string;
  source?: string;
  status: FindingStatus;
  foundAt: Date;
  /** The last check that saw it listed. */
  lastSeenAt: Date;
  /** Where the admins were told; absent until the message is posted. */
  message?: CardRef;
  /** When an admin's removal was claimed, and by whom. */
  removalStartedAt?: Date;
  resolvedBy?: string;
  resolvedAt?: Date;
  /** Optimistic-concurrency counter, bumped by every write. */
  version: number;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newFindingId(): string {
  let id = 'DF-';
  for (let i = 0; i < 6; i += 1) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

export const FINDING_ID_PATTERN = /^DF-[0-9A-HJKMNP-TV-Z]{6}$/;

/** Accepts what people type: any case, with or without the DF- prefix. */
export function parseFindingId(text: string): string | undefined {
  const value = text.trim().toUpperCase();
  const id = value.startsWith('DF-') ? value : `DF-${value}`;
  return FINDING_ID_PATTERN.test(id) ? id : undefined;
}
