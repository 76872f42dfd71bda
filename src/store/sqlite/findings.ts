import type Database from 'better-sqlite3';
import type { DriftFinding } from '../../requests/findings.js';
import { STANDING_FINDING_STATUSES } from '../../requests/findings.js';
import type { AuditEventInput } from '../../requests/model.js';
import type {
  FindingFilter,
  FindingTransitionInput,
  FindingTransitionResult,
  JobState,
  RecordFindingResult,
} from '../../requests/ports/index.js';
import { parseFindingValue, serializeFinding } from '../serialize.js';

type Sql = <P extends unknown[] | object = unknown[], R = unknown>(text: string) => Database.Statement<P, R>;
type InsertAudit = (event: AuditEventInput, at: Date) => unknown;

interface FindingRow {
  doc: string;
}

interface JobRow {
  name: string;
  last_started_at: string | null;
  last_finished_at: string | null;
  lease_until: string | null;
}

const STANDING = STANDING_FINDING_STATUSES.map((status) => `'${status}'`).join(', ');

/**
 * The SQLite side of drift findings and scheduled jobs, kept apart from the request store. Each
 * method runs in the caller's IMMEDIATE transaction where it writes more than one row.
 */
export class SqliteFindings {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: Sql,
    private readonly insertAudit: InsertAudit,
  ) {}

  record(finding: DriftFinding, audit: AuditEventInput): RecordFindingResult {
    return this.db
      .transaction((): RecordFindingResult => {
        const standing = this.sql<[string, string], FindingRow>(
          `SELECT doc FROM drift_findings WHERE grantee_email = ? AND mimecast_id = ? AND status IN (${STANDING})`,
        ).get(finding.granteeEmail, finding.mimecastId);
        if (standing) {
          const current = parseFindingValue(standing.doc);
          const seen = { ...current, lastSeenAt: finding.lastSeenAt, version: current.version + 1 };
          this.write(seen);
          return { created: false, finding: seen };
        }
        this.sql(
          `INSERT INTO drift_findings (id, status, grantee_email, mimecast_id, found_at, announced, doc)
           VALUES (@id, @status, @granteeEmail, @mimecastId, @foundAt, @announced, @doc)`,
        ).run(params(finding));
        this.insertAudit(audit, finding.foundAt);
        return { created: true, finding };
      })
      .immediate();
  }

  get(id: string): DriftFinding | undefined {
    const row = this.sql<[string], FindingRow>('SELECT doc FROM drift_findings WHERE id = ?').get(id);
    return row ? parseFindingValue(row.doc) : undefined;
  }

  list(filter: FindingFilter): DriftFinding[] {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (filter.statuses) {
      if (filter.statuses.length === 0) return [];
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      values.push(...filter.statuses);
    }
    if (filter.granteeEmail) {
      where.push('grantee_email = ?');
      values.push(filter.granteeEmail);
    }
    if (filter.unannounced) where.push('announced = 0');
    const text = `SELECT doc FROM drift_findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                  ORDER BY found_at, id LIMIT ?`;
    values.push(filter.limit ?? 1000);
    return this.sql<(string | number)[], FindingRow>(text)
      .all(...values)
      .map((row) => parseFindingValue(row.doc));
  }

  transition(input: FindingTransitionInput): FindingTransitionResult {
    return this.db
      .transaction((): FindingTransitionResult => {
        const current = this.get(input.id);
        if (!current || !input.from.includes(current.status)) return { ok: false, current };
        const next: DriftFinding = {
          ...withPatch(current, input.patch),
          status: input.to,
          version: current.version + 1,
        };
        try {
          const result = this.sql(
            `UPDATE drift_findings SET status = @status, doc = @doc
             WHERE id = @id AND status = @fromStatus`,
          ).run({ ...params(next), fromStatus: current.status });
          if (result.changes !== 1) return { ok: false, current: this.get(input.id) };
        } catch (error) {
          // Back to open while a newer finding stands for the same right: that one is the report now.
          if (isUniqueViolation(error)) return { ok: false, current };
          throw error;
        }
        this.insertAudit(
          {
            requestId: null,
            actor: input.audit.actor,
            action: input.audit.action,
            details: { findingId: input.id, ...input.audit.details },
          },
          input.at,
        );
        return { ok: true, finding: next };
      })
      .immediate();
  }

  patch(id: string, patch: { message: DriftFinding['message'] }): void {
    this.db
      .transaction(() => {
        const current = this.get(id);
        if (!current) return;
        const next: DriftFinding = { ...current, version: current.version + 1 };
        if (patch.message) next.message = patch.message;
        else delete next.message;
        this.write(next);
      })
      .immediate();
  }

  claimJob(input: { name: string; now: Date; lastStartedBefore: Date; leaseUntil: Date }): boolean {
    return this.db
      .transaction(() => {
        this.sql('INSERT OR IGNORE INTO scheduled_jobs (name) VALUES (?)').run(input.name);
        const claimed = this.sql(
          `UPDATE scheduled_jobs SET last_started_at = @now, lease_until = @leaseUntil
           WHERE name = @name
             AND (last_started_at IS NULL OR last_started_at <= @lastStartedBefore)
             AND (lease_until IS NULL OR lease_until <= @now)`,
        ).run({
          name: input.name,
          now: input.now.toISOString(),
          leaseUntil: input.leaseUntil.toISOString(),
          lastStartedBefore: input.lastStartedBefore.toISOString(),
        });
        return claimed.changes === 1;
      })
      .immediate();
  }

  finishJob(name: string, at: Date): void {
    this.sql('UPDATE scheduled_jobs SET last_finished_at = ?, lease_until = NULL WHERE name = ?').run(
      at.toISOString(),
      name,
    );
  }

  getJob(name: string): JobState | undefined {
    const row = this.sql<[string], JobRow>('SELECT * FROM scheduled_jobs WHERE name = ?').get(name);
    if (!row) return undefined;
    return {
      name: row.name,
      ...(row.last_started_at ? { lastStartedAt: new Date(row.last_started_at) } : {}),
      ...(row.last_finished_at ? { lastFinishedAt: new Date(row.last_finished_at) } : {}),
      ...(row.lease_until ? { leaseUntil: new Date(row.lease_until) } : {}),
    };
  }

  private write(finding: DriftFinding): void {
    this.sql(
      'UPDATE drift_findings SET status = @status, announced = @announced, doc = @doc WHERE id = @id',
    ).run(params(finding));
  }
}

function params(finding: DriftFinding) {
  return {
    id: finding.id,
    status: finding.status,
    granteeEmail: finding.granteeEmail,
    mimecastId: finding.mimecastId,
    foundAt: finding.foundAt.toISOString(),
    announced: finding.message ? 1 : 0,
    doc: serializeFinding(finding),
  };
}

/** The finding with a patch applied; a field the patch gives as undefined is removed. */
function withPatch(finding: DriftFinding, patch: FindingTransitionInput['patch']): DriftFinding {
  const next: Record<string, unknown> = { ...finding };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  // Only fields of the patch, each with its own type, were set or removed.
  return next as unknown as DriftFinding;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
