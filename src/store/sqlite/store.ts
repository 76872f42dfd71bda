import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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
import { canTransition, TRANSITIONS } from '../../requests/state-machine.js';
import { chainHash, GENESIS_HASH } from '../audit-chain.js';
import { applyPatch, parseRequestDoc, serializeRequest } from '../serialize.js';
import { appendAuditAfter } from './audit-after.js';
import { WalCheckpointer } from './checkpointer.js';
import { SqliteFindings } from './findings.js';
import { migrate } from './migrations.js';
import { type AuditRow, type NoticeRow, type RequestRow, rowParams, toAuditEvent, toNotice } from './rows.js';

export interface SqliteStoreOptions {
  /** Told when checkpointing falls back to the event loop (the checkpoint thread failed). */
  logger?: Pick<Logger, 'warn'>;
  /** Checkpoint the WAL on a worker thread (the default for files); false for short-lived tools. */
  backgroundCheckpoints?: boolean;
  /** How often the checkpoint thread copies the WAL into the database file; every second by default. */
  checkpointIntervalMs?: number;
}

/**
 * SQLite through better-sqlite3, in WAL mode. better-sqlite3 is synchronous; the methods are async
 * because the PostgreSQL store implements the same port. Every multi-statement write is one transaction,
 * begun IMMEDIATE: with several processes on one file, a deferred transaction that reads and then
 * writes can fail with SQLITE_BUSY instead of waiting its turn.
 */
export class SqliteStore implements Store {
  /** One process uses the file at a time: see the Store port. */
  readonly singleProcess: boolean = true;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly findings: SqliteFindings;
  /** Notices marked delivered in this pass of the event loop, committed together at its end. */
  private delivered: { id: number; at: string; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(path: string, options: SqliteStoreOptions = {}) {
    const inMemory = path === ':memory:';
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.findings = new SqliteFindings(
      this.db,
      (text) => this.sql(text),
      (event, at) => this.insertAudit(event, at),
    );
    if (!inMemory && (options.backgroundCheckpoints ?? true)) {
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new WalCheckpointer(path, {
        ...(options.checkpointIntervalMs ? { intervalMs: options.checkpointIntervalMs } : {}),
        onError: (message) => {
          options.logger?.warn({ error: message }, 'WAL checkpoint thread failed; checkpointing inline');
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        },
      });
    }
  }

  /** Statements are prepared once and reused: preparing is most of the cost of a small query. */
  private sql<P extends unknown[] | object = unknown[], R = unknown>(text: string): Database.Statement<P, R> {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  async createRequest(
    request: DelegationRequest,
    audit: AuditEventInput,
    notices: readonly NewNotice[],
  ): Promise<void> {
    this.db
      .transaction(() => {
        try {
          this.sql(
            `INSERT INTO requests (id, status, requester_id, grantee_email, mailbox, expires_at, created_at, updated_at, view_id, doc)
             VALUES (@id, @status, @requesterId, @granteeEmail, @mailbox, @expiresAt, @createdAt, @updatedAt, @viewId, @doc)`,
          ).run(rowParams(request));
        } catch (error) {
          const code = error instanceof Error && 'code' in error ? error.code : undefined;
          if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateIdError(request.id);
          if (
            code === 'SQLITE_CONSTRAINT_UNIQUE' &&
            request.viewId &&
            /requests\.view_id/.test(String(error))
          ) {
            throw new DuplicateViewError(request.viewId);
          }
          throw error;
        }
        this.insertAudit(audit, request.createdAt);
        this.insertNotices(request, notices, request.createdAt);
      })
      .immediate();
  }

  async getRequest(id: string): Promise<DelegationRequest | undefined> {
    return this.readRequest(id);
  }

  private readRequest(id: string): DelegationRequest | undefined {
    const row = this.sql<[string], RequestRow>('SELECT doc FROM requests WHERE id = ?').get(id);
    return row ? parseRequestDoc(row.doc) : undefined;
  }

  async listRequests(filter: RequestFilter): Promise<DelegationRequest[]> {
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
    const sql = `SELECT doc FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_at DESC, id LIMIT ?`;
    params.push(filter.limit ?? 1000);
    return this.sql<(string | number)[], RequestRow>(sql)
      .all(...params)
      .map((row) => parseRequestDoc(row.doc));
  }

  async transition(input: TransitionInput): Promise<TransitionResult> {
    const { to } = TRANSITIONS[input.name];
    return this.db
      .transaction((): TransitionResult => {
        const current = this.readRequest(input.id);
        if (!current || !canTransition(input.name, current.status)) return { ok: false, current };
        if (input.expectedVersion !== undefined && current.version !== input.expectedVersion) {
          return { ok: false, current };
        }
        const next: DelegationRequest = {
          ...applyPatch(current, input.patch),
          status: to,
          updatedAt: input.at,
          version: current.version + 1,
        };
        // The status and version in the WHERE clause make this a compare-and-set even across processes.
        const result = this.sql(
          `UPDATE requests SET status = @status, expires_at = @expiresAt, updated_at = @updatedAt, doc = @doc
           WHERE id = @id AND status = @fromStatus AND json_extract(doc, '$.version') = @fromVersion`,
        ).run({ ...rowParams(next), fromStatus: current.status, fromVersion: current.version });
        if (result.changes !== 1) return { ok: false, current: this.readRequest(input.id) };
        this.insertAudit(
          {
            requestId: input.id,
            actor: input.audit.actor,
            action: input.audit.action,
            fromStatus: current.status,
            toStatus: to,
            ...(input.audit.details ? { details: input.audit.details } : {}),
          },
          input.at,
        );
        this.insertNotices(next, input.notices ?? [], input.at);
        return { ok: true, request: next };
      })
      .immediate();
  }

  async patchRequest(id: string, patch: RequestPatch): Promise<void> {
    this.db
      .transaction(() => {
        const current = this.readRequest(id);
        if (!current) return;
        const next = { ...applyPatch(current, patch), version: current.version + 1 };
        this.sql('UPDATE requests SET expires_at = @expiresAt, doc = @doc WHERE id = @id').run(
          rowParams(next),
        );
      })
      .immediate();
  }

  async renewClaim(id: string, owner: string, until: Date): Promise<boolean> {
    return this.db
      .transaction(() => {
        const current = this.readRequest(id);
        if (!current || !CLAIMED_STATUSES.includes(current.status) || current.claim?.owner !== owner) {
          return false;
        }
        const next = { ...current, claim: { owner, until }, version: current.version + 1 };
        this.sql('UPDATE requests SET doc = @doc WHERE id = @id').run(rowParams(next));
        return true;
      })
      .immediate();
  }

  async appendAudit(event: AuditEventInput, at: Date): Promise<AuditEvent> {
    return this.db.transaction(() => this.insertAudit(event, at)).immediate();
  }

  private insertAudit(event: AuditEventInput, at: Date): AuditEvent {
    const last = this.sql<[], { seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
    ).get();
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
    const hash = chainHash(full);
    this.sql(
      `INSERT INTO audit_events (seq, at, request_id, actor, action, from_status, to_status, details, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      full.seq,
      at.toISOString(),
      full.requestId,
      full.actor,
      full.action,
      full.fromStatus,
      full.toStatus,
      JSON.stringify(full.details),
      full.prevHash,
      hash,
    );
    return { ...full, hash };
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
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
    const sql = `SELECT a.* FROM audit_events a LEFT JOIN requests r ON r.id = a.request_id
                 ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.seq LIMIT ?`;
    params.push(filter.limit ?? 1_000_000);
    return this.sql<(string | number)[], AuditRow>(sql)
      .all(...params)
      .map(toAuditEvent);
  }

  async appendAuditAfter(
    actions: readonly string[],
    next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
    at: Date,
  ): Promise<AuditEvent | undefined> {
    return appendAuditAfter(this.db, (event, when) => this.insertAudit(event, when), actions, next, at);
  }

  async lastAuditEvent(actions: readonly string[]): Promise<AuditEvent | undefined> {
    if (actions.length === 0) return undefined;
    const row = this.sql<string[], AuditRow>(
      `SELECT * FROM audit_events WHERE action IN (${actions.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT 1`,
    ).get(...actions);
    return row ? toAuditEvent(row) : undefined;
  }

  private insertNotices(request: DelegationRequest, notices: readonly NewNotice[], at: Date): void {
    const insert = this.sql(
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

  async dueNotices(now: Date, limit: number): Promise<StoredNotice[]> {
    return this.selectDueNotices(now, limit);
  }

  async claimDueNotices(now: Date, leaseUntil: Date, limit: number): Promise<StoredNotice[]> {
    // One commit for the round rather than one per notice: commits are most of the outbox's cost.
    return this.db
      .transaction(() => {
        const claim = this.sql(
          `UPDATE notices SET lease_until = ?, attempts = attempts + 1
             WHERE id = ? AND done_at IS NULL AND (lease_until IS NULL OR lease_until <= ?)`,
        );
        return this.selectDueNotices(now, limit).filter(
          (notice) => claim.run(leaseUntil.toISOString(), notice.id, now.toISOString()).changes === 1,
        );
      })
      .immediate();
  }

  private selectDueNotices(now: Date, limit: number): StoredNotice[] {
    const rows = this.sql<[{ now: string; limit: number }], NoticeRow>(
      `SELECT n.* FROM notices n
         WHERE n.done_at IS NULL
           AND n.id = (SELECT MIN(m.id) FROM notices m WHERE m.request_id = n.request_id AND m.done_at IS NULL)
           AND n.next_attempt_at <= @now
           AND (n.lease_until IS NULL OR n.lease_until <= @now)
         ORDER BY n.id LIMIT @limit`,
    ).all({ now: now.toISOString(), limit });
    return rows.map(toNotice);
  }

  /**
   * Resolves once the notice is recorded as delivered. Deliveries end in bursts (Slack's answers are
   * read in the same pass of the event loop), so the ones marked in one pass share one commit at its
   * end instead of a commit each: a commit is most of what this costs.
   */
  markNoticeDelivered(id: number, at: Date): Promise<void> {
    return new Promise((resolve, reject) => {
      this.delivered.push({ id, at: at.toISOString(), resolve, reject });
      if (this.delivered.length === 1) setImmediate(() => this.commitDelivered());
    });
  }

  private commitDelivered(): void {
    const batch = this.delivered;
    this.delivered = [];
    if (batch.length === 0) return;
    try {
      const mark = this.sql(
        'UPDATE notices SET done_at = ?, delivered = 1, lease_until = NULL, last_error = NULL WHERE id = ?',
      );
      this.db
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

  async hasLaterNotice(notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>): Promise<boolean> {
    const row = this.sql<[string, number, string], { id: number }>(
      'SELECT id FROM notices WHERE request_id = ? AND id > ? AND target = ? AND done_at IS NULL LIMIT 1',
    ).get(notice.requestId, notice.id, notice.target);
    return row !== undefined;
  }

  async markNoticeFailed(id: number, error: string, nextAttemptAt: Date | null, at: Date): Promise<void> {
    if (nextAttemptAt === null) {
      // Given up: recorded with its error so the request's later notices are not held back forever.
      this.sql(
        'UPDATE notices SET done_at = ?, delivered = 0, lease_until = NULL, last_error = ? WHERE id = ?',
      ).run(at.toISOString(), error, id);
      return;
    }
    this.sql('UPDATE notices SET next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ?').run(
      nextAttemptAt.toISOString(),
      error,
      id,
    );
  }

  async releaseNoticeLeases(): Promise<number> {
    return this.sql(
      'UPDATE notices SET lease_until = NULL WHERE done_at IS NULL AND lease_until IS NOT NULL',
    ).run().changes;
  }

  async pruneNotices(doneBefore: Date, limit: number): Promise<number> {
    return this.sql(
      `DELETE FROM notices WHERE id IN (
         SELECT id FROM notices WHERE done_at IS NOT NULL AND done_at < ? ORDER BY done_at LIMIT ?)`,
    ).run(doneBefore.toISOString(), limit).changes;
  }

  async overview(): Promise<StoreOverview> {
    const statuses = this.sql<[], { status: RequestStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM requests GROUP BY status',
    ).all();
    const failing = this.sql<[], { n: number }>(
      `SELECT COUNT(*) AS n FROM requests
        WHERE status = 'completed' AND json_extract(doc, '$.removalAttempts') > 0`,
    ).get();
    const notices = this.sql<[], { n: number; oldest: string | null }>(
      'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM notices WHERE done_at IS NULL',
    ).get();
    return {
      requestsByStatus: Object.fromEntries(statuses.map((row) => [row.status, row.n])),
      removalsFailing: failing?.n ?? 0,
      noticesWaiting: notices?.n ?? 0,
      oldestNoticeAt: notices?.oldest ? new Date(notices.oldest) : undefined,
    };
  }

  async recordFinding(finding: DriftFinding, audit: AuditEventInput): Promise<RecordFindingResult> {
    return this.findings.record(finding, audit);
  }

  async getFinding(id: string): Promise<DriftFinding | undefined> {
    return this.findings.get(id);
  }

  async listFindings(filter: FindingFilter): Promise<DriftFinding[]> {
    return this.findings.list(filter);
  }

  async transitionFinding(input: FindingTransitionInput): Promise<FindingTransitionResult> {
    return this.findings.transition(input);
  }

  async patchFinding(id: string, patch: { message: DriftFinding['message'] }): Promise<void> {
    this.findings.patch(id, patch);
  }

  async claimJob(input: { name: string; now: Date; lastStartedBefore: Date; leaseUntil: Date }) {
    return this.findings.claimJob(input);
  }

  async finishJob(name: string, at: Date): Promise<void> {
    this.findings.finishJob(name, at);
  }

  async getJob(name: string): Promise<JobState | undefined> {
    return this.findings.getJob(name);
  }

  async ping(): Promise<boolean> {
    try {
      return this.sql<[], { ok: number }>('SELECT 1 AS ok').get()?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.commitDelivered();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }
}
