import type { DelegationRequest, RequestStatus } from '../../requests/model.js';
import type { RequestFilter, StoreOverview } from '../../requests/ports/index.js';
import { parseRequestDoc } from '../serialize.js';
import type { Connection } from './connection.js';
import type { RequestRow } from './rows.js';

/** Reads of requests on SQLite: one, a filtered list, and the overview the metrics read. */

export function readRequest({ sql }: Connection, id: string): DelegationRequest | undefined {
  const row = sql<[string], RequestRow>('SELECT doc FROM requests WHERE id = ?').get(id);
  return row ? parseRequestDoc(row.doc) : undefined;
}

export function listRequests({ sql }: Connection, filter: RequestFilter): DelegationRequest[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.requesterId) {
    where.push('requester_id = ?');
    params.push(filter.requesterId);
  }
  if (filter.mailbox) {
    where.push('mailbox = ?');
    params.push(filter.mailbox);
  }
  if (filter.granteeEmail) {
    where.push('grantee_email = ?');
    params.push(filter.granteeEmail);
  }
  if (filter.expiresBefore) {
    where.push('expires_at IS NOT NULL AND expires_at <= ?');
    params.push(filter.expiresBefore.toISOString());
  }
  if (filter.removalDueBefore) {
    // ISO 8601 text in the document, as for nextSettleAt; a missing field is NULL and matches nothing.
    where.push("json_extract(doc, '$.nextRemovalAt') <= ?");
    params.push(filter.removalDueBefore.toISOString());
  }
  if (filter.createdBefore) {
    where.push('created_at <= ?');
    params.push(filter.createdBefore.toISOString());
  }
  if (filter.viewId) {
    where.push('view_id = ?');
    params.push(filter.viewId);
  }
  if (filter.settleDueBefore) {
    // Dates are stored as ISO 8601 text in the document, so text order is time order.
    where.push("json_extract(doc, '$.nextSettleAt') <= ?");
    params.push(filter.settleDueBefore.toISOString());
  }
  if (filter.statuses) {
    if (filter.statuses.length === 0) return [];
    where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
    params.push(...filter.statuses);
  }
  const text = `SELECT doc FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
               ORDER BY created_at DESC, id LIMIT ?`;
  params.push(filter.limit ?? 1000);
  return sql<(string | number)[], RequestRow>(text)
    .all(...params)
    .map((row) => parseRequestDoc(row.doc));
}

export function overview({ sql }: Connection): StoreOverview {
  const statuses = sql<[], { status: RequestStatus; n: number }>(
    'SELECT status, COUNT(*) AS n FROM requests GROUP BY status',
  ).all();
  const failing = sql<[], { n: number }>(
    `SELECT COUNT(*) AS n FROM requests
      WHERE status = 'completed' AND json_extract(doc, '$.removalAttempts') > 0`,
  ).get();
  const notices = sql<[], { n: number; oldest: string | null }>(
    'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM notices WHERE done_at IS NULL',
  ).get();
  return {
    requestsByStatus: Object.fromEntries(statuses.map((row) => [row.status, row.n])),
    removalsFailing: failing?.n ?? 0,
    noticesWaiting: notices?.n ?? 0,
    oldestNoticeAt: notices?.oldest ? new Date(notices.oldest) : undefined,
  };
}
