import type { AuditEvent, DelegationRequest, RequestStatus } from '../../requests/model.js';
import type { RequestPatch, StoredNotice } from '../../requests/ports/index.js';
import { parseRequestValue, serializeRequest } from '../serialize.js';

/**
 * Rows as node-postgres returns them (timestamptz as Date, jsonb parsed, bigint as text), and their
 * mapping to and from the core's types.
 */
export interface AuditRow {
  seq: string;
  at: Date;
  request_id: string | null;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export interface NoticeRow {
  id: string;
  request_id: string;
  target: string;
  event: string;
  data: unknown;
  snapshot: unknown;
  attempts: number;
  created_at: Date;
}

/** The columns of a notice that are read back, in this order. */
export const NOTICE_COLUMNS =
  'n.id, n.request_id, n.target, n.event, n.data, n.snapshot, n.attempts, n.created_at';

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    requestId: row.request_id,
    actor: row.actor,
    action: row.action,
    fromStatus: row.from_status as RequestStatus | null,
    toStatus: row.to_status as RequestStatus | null,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function toNotice(row: NoticeRow): StoredNotice {
  return {
    id: Number(row.id),
    requestId: row.request_id,
    target: row.target,
    event: row.event,
    ...(row.data !== null ? { data: row.data } : {}),
    snapshot: parseRequestValue(row.snapshot),
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}

/** The parameters of a new request's row: its indexed columns and the whole document. */
export function requestParams(request: DelegationRequest): unknown[] {
  return [
    request.id,
    request.status,
    request.version,
    request.requesterId,
    request.granteeEmail,
    request.mailbox,
    request.expiresAt ?? null,
    request.createdAt,
    request.updatedAt,
    serializeRequest(request),
    request.viewId ?? null,
  ];
}

/**
 * A patch as SQL can apply it to the stored document: the fields it sets (as JSON, the way the
 * document is written) and the fields it clears. A field given as `undefined` is cleared, as it is
 * when SQLite spreads the patch over the request.
 */
export function patchParams(patch: RequestPatch = {}): {
  set: string;
  cleared: string[];
  setsExpiry: boolean;
  expiresAt: Date | null;
} {
  const cleared = Object.entries(patch)
    .filter(([, value]) => value === undefined)
    .map(([key]) => key);
  return {
    set: JSON.stringify(patch),
    cleared,
    setsExpiry: 'expiresAt' in patch,
    expiresAt: patch.expiresAt ?? null,
  };
}
