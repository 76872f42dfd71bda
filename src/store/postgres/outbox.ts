import type pg from 'pg';
import type { NewNotice } from '../../requests/notices.js';
import type { StoredNotice } from '../../requests/ports/index.js';
import type { Queryable } from './pool.js';
import { type NoticeRow, toNotice } from './rows.js';
import * as sql from './statements.js';

/**
 * The notices outbox on PostgreSQL: notices written with the change they announce, claimed in rounds
 * with FOR UPDATE SKIP LOCKED and a lease, marked delivered (in batches) or failed, and pruned.
 */

/** The notices of one write, in the order given (their ids keep that order), each with the request as it now is. */
export async function insertNotices(
  client: Queryable,
  requestId: string,
  notices: readonly NewNotice[],
  at: Date,
): Promise<void> {
  if (notices.length === 0) return;
  await client.query(sql.insertNotices, [
    requestId,
    at,
    notices.map((notice) => notice.target),
    notices.map((notice) => notice.event),
    notices.map((notice) => (notice.data ? JSON.stringify(notice.data) : null)),
  ]);
}

/** Each request's first notice not done, when due and not leased. */
export async function dueNotices(pool: pg.Pool, now: Date, limit: number): Promise<StoredNotice[]> {
  const { rows } = await pool.query<NoticeRow>(sql.dueNotices, [now, limit]);
  return rows.map(toNotice);
}

export async function claimDueNotices(
  pool: pg.Pool,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<StoredNotice[]> {
  const { rows } = await pool.query<NoticeRow>(sql.claimDueNotices, [now, leaseUntil, limit]);
  return rows.map(toNotice).sort((a, b) => a.id - b.id);
}

/**
 * Notices marked delivered. Deliveries end in bursts, so the ones marked in one pass of the event
 * loop share one statement (one commit) at its end, as in SQLite.
 */
export class DeliveryMarks {
  private waiting: { id: number; at: Date; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly ready: Promise<void>,
  ) {}

  /** Resolves once the notice is recorded as delivered. */
  mark(id: number, at: Date): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, at, resolve, reject });
      if (this.waiting.length === 1) setImmediate(() => void this.commit());
    });
  }

  /** Commits the marks waiting, and resolves once every commit begun so far has ended (for close). */
  async settle(): Promise<void> {
    await this.commit();
    await Promise.all(this.flushing);
  }

  private commit(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return Promise.resolve();
    const flush = (async () => {
      try {
        await this.ready;
        await this.pool.query(sql.markDelivered, [batch.map((n) => n.id), batch.map((n) => n.at)]);
      } catch (error) {
        for (const notice of batch) notice.reject(error);
        return;
      }
      for (const notice of batch) notice.resolve();
    })();
    this.flushing.add(flush);
    void flush.finally(() => this.flushing.delete(flush));
    return flush;
  }
}

export async function hasLaterNotice(
  pool: pg.Pool,
  notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>,
): Promise<boolean> {
  const { rows } = await pool.query(sql.laterNotice, [notice.requestId, notice.id, notice.target]);
  return rows.length > 0;
}

export async function markNoticeFailed(
  pool: pg.Pool,
  id: number,
  error: string,
  nextAttemptAt: Date | null,
  at: Date,
): Promise<void> {
  if (nextAttemptAt === null) {
    // Given up: recorded with its error so the request's later notices are not held back forever.
    await pool.query(sql.giveUpNotice, [id, at, error]);
    return;
  }
  await pool.query(sql.retryNotice, [id, nextAttemptAt, error]);
}

export async function pruneNotices(pool: pg.Pool, doneBefore: Date, limit: number): Promise<number> {
  const result = await pool.query(sql.pruneNotices, [doneBefore, limit]);
  return result.rowCount ?? 0;
}
