import type pg from 'pg';
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
import { PostgresFindings } from './findings.js';
import { migrate } from './migrations.js';
import * as outbox from './outbox.js';
import { createPool, openError } from './pool.js';
import * as queries from './queries.js';
import * as requests from './requests.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:5432/dbname; the password is never logged. */
  url: string;
  /** Connections in this process's pool; 10 by default. */
  poolSize?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * PostgreSQL through node-postgres, for one or several replicas on one database. Every guarantee of
 * the SQLite store holds across processes: a transition is a compare-and-set on the row, committed
 * with its audit event and notices; notices are claimed with FOR UPDATE SKIP LOCKED and a lease; the
 * audit chain stays one line because appends take a transaction-scoped advisory lock.
 *
 * The constructor returns at once and migrates in the background; every method waits for it, and
 * `ready` rejects, with the reason and without the password, when the database cannot be opened.
 *
 * This class is the port's facade; the work is by job beside it, as in the SQLite store:
 * requests.ts (writes, compare-and-set transitions, claims), queries.ts (reads, the overview),
 * audit.ts (the hash chain), outbox.ts (notices), findings.ts (drift findings, scheduled jobs).
 */
export class PostgresStore implements Store {
  /** Replicas share the database: see the Store port. */
  readonly singleProcess: boolean = false;
  readonly ready: Promise<void>;
  private readonly pool: pg.Pool;
  private readonly findings: PostgresFindings;
  /** Notices marked delivered in this pass of the event loop, committed together at its end. */
  private readonly delivered: outbox.DeliveryMarks;
  private closed: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.pool = createPool({
      url: options.url,
      ...(options.poolSize ? { poolSize: options.poolSize } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.findings = new PostgresFindings(this.pool, audit.appendToChain);
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
    this.delivered = new outbox.DeliveryMarks(this.pool, this.ready);
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

  // Requests: writes and compare-and-set transitions (requests.ts), reads (queries.ts)

  async createRequest(
    request: DelegationRequest,
    event: AuditEventInput,
    notices: readonly NewNotice[],
  ): Promise<void> {
    await this.ready;
    await requests.createRequest(this.pool, request, event, notices);
  }

  async getRequest(id: string): Promise<DelegationRequest | undefined> {
    await this.ready;
    return queries.readRequest(this.pool, id);
  }

  async listRequests(filter: RequestFilter): Promise<DelegationRequest[]> {
    await this.ready;
    return queries.listRequests(this.pool, filter);
  }

  async transition(input: TransitionInput): Promise<TransitionResult> {
    await this.ready;
    return requests.transition(this.pool, input);
  }

  async patchRequest(id: string, patch: RequestPatch): Promise<void> {
    await this.ready;
    await requests.patchRequest(this.pool, id, patch);
  }

  async renewClaim(id: string, owner: string, until: Date): Promise<boolean> {
    await this.ready;
    return requests.renewClaim(this.pool, id, owner, until);
  }

  async overview(): Promise<StoreOverview> {
    await this.ready;
    return queries.overview(this.pool);
  }

  // The audit chain (audit.ts)

  async appendAudit(event: AuditEventInput, at: Date): Promise<AuditEvent> {
    await this.ready;
    return audit.appendAudit(this.pool, event, at);
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    await this.ready;
    return audit.listAudit(this.pool, filter);
  }

  async appendAuditAfter(
    actions: readonly string[],
    next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
    at: Date,
  ): Promise<AuditEvent | undefined> {
    await this.ready;
    return appendAuditAfter(this.pool, audit.appendToChain, actions, next, at);
  }

  async lastAuditEvent(actions: readonly string[]): Promise<AuditEvent | undefined> {
    await this.ready;
    return audit.lastAuditEvent(this.pool, actions);
  }

  // The notices outbox (outbox.ts)

  async dueNotices(now: Date, limit: number): Promise<StoredNotice[]> {
    await this.ready;
    return outbox.dueNotices(this.pool, now, limit);
  }

  async claimDueNotices(now: Date, leaseUntil: Date, limit: number): Promise<StoredNotice[]> {
    await this.ready;
    return outbox.claimDueNotices(this.pool, now, leaseUntil, limit);
  }

  /** Resolves once recorded; the marks of one pass of the event loop share one statement. */
  markNoticeDelivered(id: number, at: Date): Promise<void> {
    return this.delivered.mark(id, at);
  }

  async hasLaterNotice(notice: Pick<StoredNotice, 'id' | 'requestId' | 'target'>): Promise<boolean> {
    await this.ready;
    return outbox.hasLaterNotice(this.pool, notice);
  }

  async markNoticeFailed(id: number, error: string, nextAttemptAt: Date | null, at: Date): Promise<void> {
    await this.ready;
    await outbox.markNoticeFailed(this.pool, id, error, nextAttemptAt, at);
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
    return outbox.pruneNotices(this.pool, doneBefore, limit);
  }

  // Drift findings and scheduled jobs (findings.ts)

  async recordFinding(finding: DriftFinding, event: AuditEventInput): Promise<RecordFindingResult> {
    await this.ready;
    return this.findings.record(finding, event);
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

  // The database

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
      await this.delivered.settle();
      await this.pool.end();
    })();
    return this.closed;
  }
}
