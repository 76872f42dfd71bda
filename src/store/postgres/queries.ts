import type pg from 'pg';
import type { DelegationRequest, RequestStatus } from '../../requests/model.js';
import type { RequestFilter, StoreOverview } from '../../requests/ports/index.js';
import { parseRequestValue } from '../serialize.js';
import type { Queryable } from './pool.js';
import * as sql from './statements.js';

/** Reads of requests on PostgreSQL: one, a filtered list, and the overview the metrics read. */

export async function readRequest(db: Queryable, id: string): Promise<DelegationRequest | undefined> {
  const { rows } = await db.query<{ doc: unknown }>(sql.getRequest, [id]);
  return rows[0] ? parseRequestValue(rows[0].doc) : undefined;
}

export async function listRequests(pool: pg.Pool, filter: RequestFilter): Promise<DelegationRequest[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.requesterId) where.push(`requester_id = ${param(filter.requesterId)}`);
  if (filter.mailbox) where.push(`mailbox = ${param(filter.mailbox)}`);
  if (filter.granteeEmail) where.push(`grantee_email = ${param(filter.granteeEmail)}`);
  if (filter.expiresBefore) where.push(`expires_at <= ${param(filter.expiresBefore)}`);
  if (filter.removalDueBefore) {
    where.push(`(doc->>'nextRemovalAt')::timestamptz <= ${param(filter.removalDueBefore)}`);
  }
  if (filter.createdBefore) where.push(`created_at <= ${param(filter.createdBefore)}`);
  if (filter.viewId) where.push(`view_id = ${param(filter.viewId)}`);
  if (filter.settleDueBefore) {
    where.push(`(doc->>'nextSettleAt')::timestamptz <= ${param(filter.settleDueBefore)}`);
  }
  if (filter.statuses) {
    if (filter.statuses.length === 0) return [];
    where.push(`status = ANY(${param([...filter.statuses])}::text[])`);
  }
  const text = `SELECT doc FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                ORDER BY created_at DESC, id LIMIT ${param(filter.limit ?? 1000)}`;
  const { rows } = await pool.query<{ doc: unknown }>(text, params);
  return rows.map((row) => parseRequestValue(row.doc));
}

export async function overview(pool: pg.Pool): Promise<StoreOverview> {
  const [statuses, failing, notices] = await Promise.all([
    pool.query<{ status: RequestStatus; n: number }>(sql.requestsByStatus),
    pool.query<{ n: number }>(sql.removalsFailing),
    pool.query<{ n: number; oldest: Date | null }>(sql.noticesWaiting),
  ]);
  const waiting = notices.rows[0];
  return {
    requestsByStatus: Object.fromEntries(statuses.rows.map((row) => [row.status, row.n])),
    removalsFailing: failing.rows[0]?.n ?? 0,
    noticesWaiting: waiting?.n ?? 0,
    oldestNoticeAt: waiting?.oldest ?? undefined,
  };
}
