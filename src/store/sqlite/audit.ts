import type { AuditEvent, AuditEventInput } from '../../requests/model.js';
import type { AuditFilter } from '../../requests/ports/index.js';
import { auditColumns, chainNext } from '../audit-chain.js';
import type { Connection } from './connection.js';
import { type AuditRow, toAuditEvent } from './rows.js';

/** The audit hash chain on SQLite: appends, inside the caller's IMMEDIATE transaction, and reads. */

/** Appends one event to the chain; the caller's transaction keeps other writers out until its commit. */
export function insertAudit({ sql }: Connection, event: AuditEventInput, at: Date): AuditEvent {
  const last = sql<[], { seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  ).get();
  const next = chainNext(last, event, at);
  sql(
    `INSERT INTO audit_events (seq, at, request_id, actor, action, from_status, to_status, details, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(...auditColumns(next, at.toISOString()));
  return next;
}

/** An event of its own, in a transaction of its own. */
export function appendAudit(connection: Connection, event: AuditEventInput, at: Date): AuditEvent {
  return connection.db.transaction(() => insertAudit(connection, event, at)).immediate();
}

export function listAudit({ sql }: Connection, filter: AuditFilter): AuditEvent[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.requestId) {
    where.push('a.request_id = ?');
    params.push(filter.requestId);
  }
  if (filter.email) {
    where.push('(r.grantee_email = ? OR r.mailbox = ?)');
    params.push(filter.email, filter.email);
  }
  if (filter.since) {
    where.push('a.at >= ?');
    params.push(filter.since.toISOString());
  }
  const text = `SELECT a.* FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
               ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.seq LIMIT ?`;
  params.push(filter.limit ?? 1_000_000);
  return sql<(string | number)[], AuditRow>(text)
    .all(...params)
    .map(toAuditEvent);
}

export function lastAuditEvent({ sql }: Connection, actions: readonly string[]): AuditEvent | undefined {
  if (actions.length === 0) return undefined;
  const row = sql<string[], AuditRow>(
    `SELECT * FROM audit_events WHERE action IN (${actions.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT 1`,
  ).get(...actions);
  return row ? toAuditEvent(row) : undefined;
}
