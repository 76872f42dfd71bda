import type pg from 'pg';
import type { AuditEvent, AuditEventInput } from '../../requests/model.js';
import type { AuditFilter } from '../../requests/ports/index.js';
import { auditColumns, chainNext } from '../audit-chain.js';
import { inTransaction, LOCKS, type Queryable } from './pool.js';
import { type AuditRow, toAuditEvent } from './rows.js';
import * as sql from './statements.js';

/** The audit hash chain on PostgreSQL: appends under an advisory lock, and reads. */

/**
 * Appends one event to the hash chain, inside the caller's transaction. The advisory lock is held
 * until that transaction ends, so no other process reads the last hash between this read and this
 * commit. The lock is a statement of its own: under READ COMMITTED a statement reads what was
 * committed when it began, so the read of the last event must begin after the lock is granted.
 */
export async function appendToChain(
  client: Queryable,
  event: AuditEventInput,
  at: Date,
): Promise<AuditEvent> {
  await client.query(sql.lockAuditChain, [...LOCKS.auditChain]);
  const { rows } = await client.query<{ seq: string; hash: string }>(sql.lastAuditEvent);
  const last = rows[0];
  const next = chainNext(last ? { seq: Number(last.seq), hash: last.hash } : undefined, event, at);
  await client.query(sql.insertAuditEvent, auditColumns(next, at));
  return next;
}

/** An event of its own, in a transaction of its own. */
export function appendAudit(pool: pg.Pool, event: AuditEventInput, at: Date): Promise<AuditEvent> {
  return inTransaction(pool, (client) => appendToChain(client, event, at));
}

export async function listAudit(pool: pg.Pool, filter: AuditFilter): Promise<AuditEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.requestId) where.push(`a.request_id = ${param(filter.requestId)}`);
  if (filter.email) {
    const email = param(filter.email);
    where.push(`(r.grantee_email = ${email} OR r.mailbox = ${email})`);
  }
  if (filter.since) where.push(`a.at >= ${param(filter.since)}`);
  const text = `SELECT a.* FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
                ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY a.seq LIMIT ${param(filter.limit ?? 1_000_000)}`;
  const { rows } = await pool.query<AuditRow>(text, params);
  return rows.map(toAuditEvent);
}

export async function lastAuditEvent(
  pool: pg.Pool,
  actions: readonly string[],
): Promise<AuditEvent | undefined> {
  if (actions.length === 0) return undefined;
  const { rows } = await pool.query<AuditRow>(sql.lastAuditEventOf, [[...actions]]);
  return rows[0] ? toAuditEvent(rows[0]) : undefined;
}
