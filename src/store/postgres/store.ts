import type pg from 'pg';
import type { Logger } from '../../logger.js';
import type { DriftFinding } from '../../requests/findings.js';
import {
  type AuditEvent,
  type AuditEventInput,
  CLAIMED_STATUSES,
  type DelegationRequest,
  type RequestStatus,
} from '../../requests/model.js';
import type { NewNotice } from '../../requests/notices.js';
import {
  type AuditFilter,
  DuplicateIdError,
  DuplicateViewError,
  type FindingFilter,
  type FindingTransitionInput,
  type FindingTransitionResult,
  type JobState,
  type RecordFindingResult,
  type RequestFilter,
  type RequestPatch,
  type Store,
  type StoredNotice,
  type StoreOverview,
  type TransitionInput,
  type TransitionResult,
} from '../../requests/ports/index.js';
import { TRANSITIONS } from '../../requests/state-machine.js';
import { chainHash, GENESIS_HASH } from '../audit-chain.js';
import { parseRequestValue } from '../serialize.js';
import { appendAuditAfter } from './audit-after.js';
import { PostgresFindings } from './findings.js';
import { migrate } from './migrations.js';
import { createPool, inTransaction, LOCKS, openError } from './pool.js';
import { type AuditRow, type NoticeRow, patchParams, requestParams, toAuditEvent, toNotice } from './rows.js';
import * as sql from './statements.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:5432/dbname; the password is never logged. */
  url: string;
  /** Connections in this process's pool; 10 by default. */
  poolSize?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * PostgreSQL through node-postgres, for one or several replicas on one database. Every guarantee of
 * the SQLite store holds across processes: a transition is a compare-and-set on the row, committed
 * with its audit event and notices; notices are claimed with FOR UPDATE SKIP LOCKED and a lease; the
 * audit chain stays one line because appends take a transaction-scoped advisory lock.
 *
 * The constructor returns at once and migrates in the background; every method waits for it, and
 * `ready` rejects, with the reason and without the password, when the database cannot be opened.
 */
export class PostgresStore implements Store {
  /** Replicas share the database: see the Store port. */
  readonly singleProcess: boolean = false;
  readonly ready: Promise<void>;
  private readonly pool: pg.Pool;
  private readonly findings: PostgresFindings;
  /** Notices marked delivered in this pass of the event loop, committed together at its end. */
  private delivered: { id: number; at: Date; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private readonly flushing = new Set<Promise<void>>();
  private closed: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.pool = createPool({
      url: options.url,
      ...(options.poolSize ? { poolSize: options.poolSize } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.findings = new PostgresFindings(this.pool, appendToChain);
    this.ready = migrate(this.pool).then(
      (versions) => {
        if (versions.length) options.logger?.info({ versions }, 'PostgreSQL schema migrated');
      },
      (error: unknown) => {
        throw openError(options.url, error);
      },
    );
    // Handled here so that a failure waits, unreported, for the first caller to see it.
    this.ready.catch(() => {});
  }

  /** A store whose migrations have run; rejects (and closes the pool) when the database cannot be opened. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await store.ready;
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async createRequest(
    request: DelegationRequest,
    audit: AuditEventInput,
    notices: readonly NewNotice[],
  ): Promise<void> {
    await this.ready;
    await inTransaction(this.pool, async (client) => {
      try {
        await client.query(sql.insertRequest, requestParams(request));
      } catch (error) {
        if (isUniqueViolation(error, 'requests_pkey')) throw new DuplicateIdError(request.id);
        if (request.viewId && isUniqueViolation(error, 'requests_by_view')) {
          throw new DuplicateViewError(request.viewId);
        }
        throw error;
      }
      await insertNotices(client, request.id, notices, request.createdAt);
      await appendToChain(client, audit, request.createdAt);
    });
  }

  async getRequest(id: string): Promise<DelegationRequest | undefined> {
    await this.ready;
    return readRequest(this.pool, id);
  }

  async listRequests(filter: RequestFilter): Promise<DelegationRequest[]> {
    await this.ready;
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
    const { rows } = await this.pool.query<{ doc: unknown }>(text, params);
    return rows.map((row) => parseRequestValue(row.doc));
  }

  async transition(input: TransitionInput): Promise<TransitionResult> {
    await this.ready;
    const { from, to } = TRANSITIONS[input.name];
    const patch = patchParams(input.patch);
    return inTransaction(this.pool, async (client): Promise<TransitionResult> => {
      // The compare-and-set: the row changes only if its status (and version, when given) still allow it.
      const { rows } = await client.query<{ from_status: string; doc: unknown }>(sql.transition, [
        input.id,
        [...from],
        to,
        input.at,
        patch.setsExpiry,
        patch.expiresAt,
        patch.cleared,
        patch.set,
        input.at.toISOString(),
        input.expectedVersion ?? null,
      ]);
      const changed = rows[0];
      if (!changed) return { ok: false, current: await readRequest(client, input.id) };
      await insertNotices(client, input.id, input.notices ?? [], input.at);
      await appendToChain(
        client,
        {
          requestId: input.id,
          actor: input.audit.actor,
          action: input.audit.action,
          fromStatus: changed.from_status as DelegationRequest['status'],
          toStatus: to,
          ...(input.audit.details ? { details: input.audit.details } : {}),
        },
        input.at,
      );
      return { ok: true, request: parseRequestValue(changed.doc) };
    });
  }

  async patchRequest(id: string, patch: RequestPatch): Promise<void> {
    await this.ready;
    const params = patchParams(patch);
    await this.pool.query(sql.patchRequest, [
      id,
      params.setsExpiry,
      params.expiresAt,
      params.cleared,
      params.set,
    ]);
  }

  async renewClaim(id: string, owner: string, until: Date): Promise<boolean> {
    await this.ready;
    const result = await this.pool.query(sql.renewClaim, [id, owner, until.toISOString(), CLAIMED_STATUSES]);
    return result.rowCount === 1;
  }

  async appendAudit(event: AuditEventInput, at: Date): Promise<AuditEvent> {
    await this.ready;
    return inTransaction(this.pool, (client) => appendToChain(client, event, at));
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    await this.ready;
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
    const { rows } = await this.pool.query<AuditRow>(text, params);
    return rows.map(toAuditEvent);
  }

  async appendAuditAfter(
    actions: readonly string[],
    next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
    at: Date,
  ): Promise<AuditEvent | undefined> {
    await this.ready;
    return appendAuditAfter(this.pool, appendToChain, actions, next, at);
  }

  async lastAuditEvent(actions: readonly string[]): Promise<AuditEvent | undefined> {
    await this.ready;
    if (actions.length === 0) return undefined;
    const { rows } = await this.pool.query<AuditRow>(sql.lastAuditEventOf, [[...actions]]);
    return rows[0] ? toAuditEvent(rows[0]) : undefined;
  }

  async dueNotices(now: Date, limit: number): Promise<StoredNotice[]> {
    await this.ready;
    const { rows } = await this.pool.query<NoticeRow>(sql.dueNotices, [now, limit]);
    return rows.map(toNotice);
  }

  async claimDueNotices(now: Date, leaseUntil: Date, limit: number): Promise<StoredNotice[]> {
    await this.ready;
    const { rows } = await this.pool.query<NoticeRow>(sql.claimDueNotices, [now, leaseUntil, limit]);
    return rows.map(toNotice).sort((a, b) => a.id - b.id);
  }

  /**
   * Resolves once the notice is recorded as delivered. Deliveries end in bursts, so the ones marked
   * in one pass of the event loop share one statement (one commit) at its end, as in SQLite.
   */
  markNoticeDelivered(id: number, at: Date): Promise<void> {
    return new Promise((resolve, reject) => {
      this.delivered.push({ id, at, resolve, reject });
      if (this.delivered.length === 1) setImmediate(() => void this.commitDelivered());
    });
  }

  private commitDelivered(): Promise<void> {
    const batch = this.delivered;
    this.delivered = [];
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

  async hasLaterNotice(notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>): Promise<boolean> {
    await this.ready;
    const { rows } = await this.pool.query(sql.laterNotice, [notice.requestId, notice.id, notice.target]);
    return rows.length > 0;
  }

  async markNoticeFailed(id: number, error: string, nextAttemptAt: Date | null, at: Date): Promise<void> {
    await this.ready;
    if (nextAttemptAt === null) {
      // Given up: recorded with its error so the request's later notices are not held back forever.
      await this.pool.query(sql.giveUpNotice, [id, at, error]);
      return;
    }
    await this.pool.query(sql.retryNotice, [id, nextAttemptAt, error]);
  }

  /**
   * Releases nothing: other replicas may be delivering the notices that are claimed right now, and
   * nothing here tells a live claim from a dead one. A dead process's claims are due again once
   * their lease runs out.
   */
  async releaseNoticeLeases(): Promise<number> {
    return 0;
  }

  async pruneNotices(doneBefore: Date, limit: number): Promise<number> {
    await this.ready;
    const result = await this.pool.query(sql.pruneNotices, [doneBefore, limit]);
    return result.rowCount ?? 0;
  }

  async overview(): Promise<StoreOverview> {
    await this.ready;
    const [statuses, failing, notices] = await Promise.all([
      this.pool.query<{ status: RequestStatus; n: number }>(sql.requestsByStatus),
      this.pool.query<{ n: number }>(sql.removalsFailing),
      this.pool.query<{ n: number; oldest: Date | null }>(sql.noticesWaiting),
    ]);
    const waiting = notices.rows[0];
    return {
      requestsByStatus: Object.fromEntries(statuses.rows.map((row) => [row.status, row.n])),
      removalsFailing: failing.rows[0]?.n ?? 0,
      noticesWaiting: waiting?.n ?? 0,
      oldestNoticeAt: waiting?.oldest ?? undefined,
    };
  }

  async recordFinding(finding: DriftFinding, audit: AuditEventInput): Promise<RecordFindingResult> {
    await this.ready;
    return this.findings.record(finding, audit);
  }

  async getFinding(id: string): Promise<DriftFinding | undefined> {
    await this.ready;
    return this.findings.get(this.pool, id);
  }

  async listFindings(filter: FindingFilter): Promise<DriftFinding[]> {
    await this.ready;
    return this.findings.list(filter);
  }

  async transitionFinding(input: FindingTransitionInput): Promise<FindingTransitionResult> {
    await this.ready;
    return this.findings.transition(input);
  }

  async patchFinding(id: string, patch: { message: DriftFinding['message'] }): Promise<void> {
    await this.ready;
    await this.findings.patch(id, patch);
  }

  async claimJob(input: { name: string; now: Date; lastStartedBefore: Date; leaseUntil: Date }) {
    await this.ready;
    return this.findings.claimJob(input);
  }

  async finishJob(name: string, at: Date): Promise<void> {
    await this.ready;
    await this.findings.finishJob(name, at);
  }

  async getJob(name: string): Promise<JobState | undefined> {
    await this.ready;
    return this.findings.getJob(name);
  }

  async ping(): Promise<boolean> {
    try {
      await this.ready;
      const { rows } = await this.pool.query<{ ok: number }>('SELECT 1 AS ok');
      return rows[0]?.ok === 1;
    } catch {
      return false;
    }
  }

  /** Commits what is still waiting to be marked delivered, then closes every connection. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.commitDelivered();
      await Promise.all(this.flushing);
      await this.pool.end();
    })();
    return this.closed;
  }
}

async function readRequest(db: Queryable, id: string): Promise<DelegationRequest | undefined> {
  const { rows } = await db.query<{ doc: unknown }>(sql.getRequest, [id]);
  return rows[0] ? parseRequestValue(rows[0].doc) : undefined;
}

/** The notices of one write, in the order given (their ids keep that order), each with the request as it now is. */
async function insertNotices(
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

/**
 * Appends one event to the hash chain, inside the caller's transaction. The advisory lock is held
 * until that transaction ends, so no other process reads the last hash between this read and this
 * commit. The lock is a statement of its own: under READ COMMITTED a statement reads what was
 * committed when it began, so the read of the last event must begin after the lock is granted.
 */
async function appendToChain(client: Queryable, event: AuditEventInput, at: Date): Promise<AuditEvent> {
  await client.query(sql.lockAuditChain, [...LOCKS.auditChain]);
  const { rows } = await client.query<{ seq: string; hash: string }>(sql.lastAuditEvent);
  const last = rows[0];
  const full = {
    seq: (last ? Number(last.seq) : 0) + 1,
    at,
    requestId: event.requestId,
    actor: event.actor,
    action: event.action,
    fromStatus: event.fromStatus ?? null,
    toStatus: event.toStatus ?? null,
    details: event.details ?? {},
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = chainHash(full);
  await client.query(sql.insertAuditEvent, [
    full.seq,
    at,
    full.requestId,
    full.actor,
    full.action,
    full.fromStatus,
    full.toStatus,
    JSON.stringify(full.details),
    full.prevHash,
    hash,
  ]);
  return { ...full, hash };
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === '23505' &&
    (error as { constraint?: string }).constraint === constraint
  );
}
