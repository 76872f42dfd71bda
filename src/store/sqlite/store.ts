import type { Logger } from '../../logger.js';
import type { DriftFinding } from '../../requests/findings.js';
import type { AuditEvent, AuditEventInput, DelegationRequest } from '../../requests/model.js';
import type { NewNotice } from '../../requests/notices.js';
import type {
  AuditFilter,
  FindingFilter,
  FindingTransitionInput,
  FindingTransitionResult,
  JobState,
  RecordFindingResult,
  RequestFilter,
  RequestPatch,
  Store,
  StoredNotice,
  StoreOverview,
  TransitionInput,
  TransitionResult,
} from '../../requests/ports/index.js';
import * as audit from './audit.js';
import { appendAuditAfter } from './audit-after.js';
import { WalCheckpointer } from './checkpointer.js';
import { type Connection, openConnection } from './connection.js';
import { SqliteFindings } from './findings.js';
import * as outbox from './outbox.js';
import * as queries from './queries.js';
import * as requests from './requests.js';

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
 *
 * This class is the port's facade; the work is by job beside it, as in the PostgreSQL store:
 * requests.ts (writes, compare-and-set transitions, claims), queries.ts (reads, the overview),
 * audit.ts (the hash chain), outbox.ts (notices), findings.ts (drift findings, scheduled jobs).
 */
export class SqliteStore implements Store {
  /** One process uses the file at a time: see the Store port. */
  readonly singleProcess: boolean = true;
  private readonly connection: Connection;
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly findings: SqliteFindings;
  /** Notices marked delivered in this pass of the event loop, committed together at its end. */
  private readonly delivered: outbox.DeliveryMarks;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    const connection = openConnection(path);
    const { db } = connection;
    this.connection = connection;
    this.delivered = new outbox.DeliveryMarks(connection);
    this.findings = new SqliteFindings(db, connection.sql, (event, at) =>
      audit.insertAudit(connection, event, at),
    );
    if (path !== ':memory:' && (options.backgroundCheckpoints ?? true)) {
      db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new WalCheckpointer(path, {
        ...(options.checkpointIntervalMs ? { intervalMs: options.checkpointIntervalMs } : {}),
        onError: (message) => {
          options.logger?.warn({ error: message }, 'WAL checkpoint thread failed; checkpointing inline');
          if (db.open) db.pragma('wal_autocheckpoint = 1000');
        },
      });
    }
  }

  // Requests: writes and compare-and-set transitions (requests.ts), reads (queries.ts)

  async createRequest(
    request: DelegationRequest,
    event: AuditEventInput,
    notices: readonly NewNotice[],
  ): Promise<void> {
    requests.createRequest(this.connection, request, event, notices);
  }

  async getRequest(id: string): Promise<DelegationRequest | undefined> {
    return queries.readRequest(this.connection, id);
  }

  async listRequests(filter: RequestFilter): Promise<DelegationRequest[]> {
    return queries.listRequests(this.connection, filter);
  }

  async transition(input: TransitionInput): Promise<TransitionResult> {
    return requests.transition(this.connection, input);
  }

  async patchRequest(id: string, patch: RequestPatch): Promise<void> {
    requests.patchRequest(this.connection, id, patch);
  }

  async renewClaim(id: string, owner: string, until: Date): Promise<boolean> {
    return requests.renewClaim(this.connection, id, owner, until);
  }

  async overview(): Promise<StoreOverview> {
    return queries.overview(this.connection);
  }

  // The audit chain (audit.ts)

  async appendAudit(event: AuditEventInput, at: Date): Promise<AuditEvent> {
    return audit.appendAudit(this.connection, event, at);
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    return audit.listAudit(this.connection, filter);
  }

  async appendAuditAfter(
    actions: readonly string[],
    next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
    at: Date,
  ): Promise<AuditEvent | undefined> {
    const { connection } = this;
    return appendAuditAfter(
      connection.db,
      (event, when) => audit.insertAudit(connection, event, when),
      actions,
      next,
      at,
    );
  }

  async lastAuditEvent(actions: readonly string[]): Promise<AuditEvent | undefined> {
    return audit.lastAuditEvent(this.connection, actions);
  }

  // The notices outbox (outbox.ts)

  async dueNotices(now: Date, limit: number): Promise<StoredNotice[]> {
    return outbox.dueNotices(this.connection, now, limit);
  }

  async claimDueNotices(now: Date, leaseUntil: Date, limit: number): Promise<StoredNotice[]> {
    return outbox.claimDueNotices(this.connection, now, leaseUntil, limit);
  }

  /** Resolves once recorded; the marks of one pass of the event loop share one commit. */
  markNoticeDelivered(id: number, at: Date): Promise<void> {
    return this.delivered.mark(id, at);
  }

  async hasLaterNotice(notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>): Promise<boolean> {
    return outbox.hasLaterNotice(this.connection, notice);
  }

  async markNoticeFailed(id: number, error: string, nextAttemptAt: Date | null, at: Date): Promise<void> {
    outbox.markNoticeFailed(this.connection, id, error, nextAttemptAt, at);
  }

  async releaseNoticeLeases(): Promise<number> {
    return outbox.releaseNoticeLeases(this.connection);
  }

  async pruneNotices(doneBefore: Date, limit: number): Promise<number> {
    return outbox.pruneNotices(this.connection, doneBefore, limit);
  }

  // Drift findings and scheduled jobs (findings.ts)

  async recordFinding(finding: DriftFinding, event: AuditEventInput): Promise<RecordFindingResult> {
    return this.findings.record(finding, event);
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

  // The database

  async ping(): Promise<boolean> {
    try {
      return this.connection.sql<[], { ok: number }>('SELECT 1 AS ok').get()?.ok === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const { db } = this.connection;
    if (db.open) this.delivered.commit();
    await this.checkpointer?.stop();
    if (db.open) db.close();
  }
}
