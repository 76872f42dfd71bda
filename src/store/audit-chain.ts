import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventInput } from '../requests/model.js';

/** The hash the first event chains to. */
export const GENESIS_HASH = '0'.repeat(64);

type Hashable = Omit<AuditEvent, 'hash'>;

/**
 * sha256 over the event's fields in a fixed order plus the previous event's hash: editing, removing
 * or reordering any event breaks every hash after it.
 */
export function chainHash(event: Hashable): string {
  const canonical = JSON.stringify([
    event.seq,
    event.at.toISOString(),
    event.requestId,
    event.actor,
    event.action,
    event.fromStatus ?? null,
    event.toStatus ?? null,
    sortKeys(event.details ?? {}),
    event.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The event that follows `last` (absent: the first), with its place and hash in the chain. */
export function chainNext(
  last: { seq: number; hash: string } | undefined,
  event: AuditEventInput,
  at: Date,
): AuditEvent {
  const full = {
    seq: (last?.seq ?? 0) + 1,
    at,
    requestId: event.requestId,
    actor: event.actor,
    action: event.action,
    fromStatus: event.fromStatus ?? null,
    toStatus: event.toStatus ?? null,
    details: event.details ?? {},
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  return { ...full, hash: chainHash(full) };
}

/** An event's values in the order of the audit_events columns (details as JSON text). */
export function auditColumns(event: AuditEvent, at: string | Date): unknown[] {
  return [
    event.seq,
    at,
    event.requestId,
    event.actor,
    event.action,
    event.fromStatus ?? null,
    event.toStatus ?? null,
    JSON.stringify(event.details ?? {}),
    event.prevHash,
    event.hash,
  ];
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => [key, sortKeys(inner)]),
    );
  }
  return value;
}

export type ChainCheck =
  | { ok: true; count: number }
  | { ok: false; count: number; brokenAt: number; why: string };

/** Walks events in seq order and reports the first one whose hash or link does not hold. */
export function verifyChain(events: Iterable<AuditEvent>): ChainCheck {
  let previous = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (const event of events) {
    count += 1;
    if (event.seq !== expectedSeq) {
      return {
        ok: false,
        count,
        brokenAt: event.seq,
        why: `expected event #${expectedSeq}, found #${event.seq}`,
      };
    }
    if (event.prevHash !== previous) {
      return { ok: false, count, brokenAt: event.seq, why: 'does not link to the event before it' };
    }
    if (chainHash(event) !== event.hash) {
      return { ok: false, count, brokenAt: event.seq, why: 'its contents do not match its hash (edited)' };
    }
    previous = event.hash;
    expectedSeq += 1;
  }
  return { ok: true, count };
}
