import type { AuditEvent, DelegationRequest, RequestStatus } from '../../requests/model.js';
import type { StoredNotice } from '../../requests/ports/index.js';
import { parseRequestDoc, serializeRequest } from '../serialize.js';

/** Rows as better-sqlite3 returns them, and their mapping to and from the core's types. */
export interface RequestRow {
  doc: string;
}

export interface AuditRow {
  seq: number;
  at: string;
  request_id: string | null;
  actor: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface NoticeRow {
  id: number;
  request_id: string;
  target: string;
  event: string;
  data: string | null;
  snapshot: string;
  attempts: number;
  created_at: string;
}

export function toNotice(row: NoticeRow): StoredNotice {
  return {
    id: row.id,
    requestId: row.request_id,
    target: row.target,
    event: row.event,
    ...(row.data ? { data: JSON.parse(row.data) as unknown } : {}),
    snapshot: parseRequestDoc(row.snapshot),
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
  };
}

export function rowParams(request: DelegationRequest) {
  return {
    id: request.id,
    status: request.status,
    requesterId: request.requesterId,
    granteeEmail: request.granteeEmail,
    mailbox: request.mailbox,
    expiresAt: request.expiresAt ? request.expiresAt.toISOString() : null,
    createdAt: request.createdAt.toISOString(),
    updatedAt: request.updatedAt.toISOString(),
    viewId: request.viewId ?? null,
    doc: serializeRequest(request),
  };
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    at: new Date(row.at),
    requestId: row.request_id,
    actor: row.actor,
    action: row.action,
    fromStatus: row.from_status as RequestStatus | null,
    toStatus: row.to_status as RequestStatus | null,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {},
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
