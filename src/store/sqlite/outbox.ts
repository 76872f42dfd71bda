import type { DelegationRequest } from '../../requests/model.js';
import type { NewNotice } from '../../requests/notices.js';
import type { StoredNotice } from '../../requests/ports/index.js';
import { serializeRequest } from '../serialize.js';
import type { Connection } from './connection.js';
import { type NoticeRow, toNotice } from './rows.js';

/**
 * The notices outbox on SQLite: notices written with the change they announce, claimed in rounds
 * under a lease, marked delivered (in batches) or failed, released at start-up and pruned.
 */

/** The notices of one write, inside the caller's transaction, each with the request as it now is. */
export function insertNotices(
  { sql }: Connection,
  request: DelegationRequest,
  notices: readonly NewNotice[],
  at: Date,
): void {
  const insert = sql(
    `INSERT INTO notices (request_id, target, event, data, snapshot, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
  );
  const snapshot = serializeRequest(request);
  for (const notice of notices) {
    insert.run(
      request.id,
      notice.target,
      notice.event,
      notice.data ? JSON.stringify(notice.data) : null,
      snapshot,
      at.toISOString(),
      at.toISOString(),
    );
  }
}

/** Each request's first notice not done, when due and not leased. */
export function dueNotices({ sql }: Connection, now: Date, limit: number): StoredNotice[] {
  const rows = sql<[{ now: string; limit: number }], NoticeRow>(
    `SELECT n.* FROM notices n
       WHERE n.done_at IS NULL
         AND n.id = (SELECT MIN(m.id) FROM notices m WHERE m.request_id = n.request_id AND m.done_at IS NULL)
         AND n.next_attempt_at <= @now
         AND (n.lease_until IS NULL OR n.lease_until <= @now)
       ORDER BY n.id LIMIT @limit`,
  ).all({ now: now.toISOString(), limit });
  return rows.map(toNotice);
}

export function claimDueNotices(
  connection: Connection,
  now: Date,
  leaseUntil: Date,
  limit: number,
): StoredNotice[] {
  // One commit for the round rather than one per notice: commits are most of the outbox's cost.
  return connection.db
    .transaction(() => {
      const claim = connection.sql(
        `UPDATE notices SET lease_until = ?, attempts = attempts + 1
           WHERE id = ? AND done_at IS NULL AND (lease_until IS NULL OR lease_until <= ?)`,
      );
      return dueNotices(connection, now, limit).filter(
        (notice) => claim.run(leaseUntil.toISOString(), notice.id, now.toISOString()).changes === 1,
      );
    })
    .immediate();
}

/**
 * Notices marked delivered. Deliveries end in bursts (Slack's answers are read in the same pass of
 * the event loop), so the ones marked in one pass share one commit at its end instead of a commit
 * each: a commit is most of what this costs.
 */
export class DeliveryMarks {
  private waiting: { id: number; at: string; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly connection: Connection) {}

  /** Resolves once the notice is recorded as delivered. */
  mark(id: number, at: Date): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, at: at.toISOString(), resolve, reject });
      if (this.waiting.length === 1) setImmediate(() => this.commit());
    });
  }

  /** Commits the marks waiting; at close too, while the database is still open. */
  commit(): void {
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    try {
      const mark = this.connection.sql(
        'UPDATE notices SET done_at = ?, delivered = 1, lease_until = NULL, last_error = NULL WHERE id = ?',
      );
      this.connection.db
        .transaction(() => {
          for (const notice of batch) mark.run(notice.at, notice.id);
        })
        .immediate();
    } catch (error) {
      for (const notice of batch) notice.reject(error);
      return;
    }
    for (const notice of batch) notice.resolve();
  }
}

export function hasLaterNotice(
  { sql }: Connection,
  notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>,
): boolean {
  const row = sql<[string, number, string], { id: number }>(
    'SELECT id FROM notices WHERE request_id = ? AND id > ? AND target = ? AND done_at IS NULL LIMIT 1',
  ).get(notice.requestId, notice.id, notice.target);
  return row !== undefined;
}

export function markNoticeFailed(
  { sql }: Connection,
  id: number,
  error: string,
  nextAttemptAt: Date | null,
  at: Date,
): void {
  if (nextAttemptAt === null) {
    // Given up: recorded with its error so the request's later notices are not held back forever.
    sql('UPDATE notices SET done_at = ?, delivered = 0, lease_until = NULL, last_error = ? WHERE id = ?').run(
      at.toISOString(),
      error,
      id,
    );
    return;
  }
  sql('UPDATE notices SET next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ?').run(
    nextAttemptAt.toISOString(),
    error,
    id,
  );
}

/** One process uses the file, so at start-up every lease is a dead process's. */
export function releaseNoticeLeases({ sql }: Connection): number {
  return sql('UPDATE notices SET lease_until = NULL WHERE done_at IS NULL AND lease_until IS NOT NULL').run()
    .changes;
}

export function pruneNotices({ sql }: Connection, doneBefore: Date, limit: number): number {
  return sql(
    `DELETE FROM notices WHERE id IN (
       SELECT id FROM notices WHERE done_at IS NOT NULL AND done_at < ? ORDER BY done_at LIMIT ?)`,
  ).run(doneBefore.toISOString(), limit).changes;
}
