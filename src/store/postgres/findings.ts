import type pg from 'pg';
import type { DriftFinding } from '../../requests/findings.js';
import type { AuditEventInput } from '../../requests/model.js';
import type {
  FindingFilter,
  FindingTransitionInput,
  FindingTransitionResult,
  JobState,
  RecordFindingResult,
} from '../../requests/ports/index.js';
import { parseFindingValue, serializeFinding } from '../serialize.js';
import { inTransaction, type Queryable } from './pool.js';

type AppendAudit = (client: Queryable, event: AuditEventInput, at: Date) => Promise<unknown>;

/**
 * A new finding, or, when one for the same right still stands (the partial unique index), the time it
 * was last seen on that one. `created` tells which: xmax is 0 only for a row this statement inserted.
 */
const RECORD = `
  INSERT INTO drift_findings (id, status, grantee_email, mimecast_id, found_at, announced, doc)
  VALUES ($1, $2, $3, $4, $5, false, $6)
  ON CONFLICT (grantee_email, mimecast_id) WHERE status IN ('open', 'removing')
  DO UPDATE SET doc = drift_findings.doc
    || jsonb_build_object('lastSeenAt', $7::text, 'version', (drift_findings.doc->>'version')::int + 1)
  RETURNING doc, (xmax = 0) AS created`;

const TRANSITION = `
  UPDATE drift_findings f
     SET status = $3,
         doc = (f.doc - $5::text[]) || $4::jsonb
               || jsonb_build_object('status', $3::text, 'version', (f.doc->>'version')::int + 1)
   WHERE f.id = $1 AND f.status = ANY($2::text[])
  RETURNING f.doc`;

const PATCH_MESSAGE = `
  UPDATE drift_findings f
     SET announced = $2,
         doc = (f.doc - 'message') || $3::jsonb || jsonb_build_object('version', (f.doc->>'version')::int + 1)
   WHERE f.id = $1`;

const CLAIM_JOB = `
  UPDATE scheduled_jobs SET last_started_at = $2, lease_until = $3
   WHERE name = $1
     AND (last_started_at IS NULL OR last_started_at <= $4)
     AND (lease_until IS NULL OR lease_until <= $2)
  RETURNING name`;

/** The PostgreSQL side of drift findings and scheduled jobs, kept apart from the request store. */
export class PostgresFindings {
  constructor(
    private readonly pool: pg.Pool,
    private readonly appendAudit: AppendAudit,
  ) {}

  record(finding: DriftFinding, audit: AuditEventInput): Promise<RecordFindingResult> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ doc: unknown; created: boolean }>(RECORD, [
        finding.id,
        finding.status,
        finding.granteeEmail,
        finding.mimecastId,
        finding.foundAt,
        serializeFinding(finding),
        finding.lastSeenAt.toISOString(),
      ]);
      const row = rows[0];
      if (!row) throw new Error('recording a finding returned no row');
      if (row.created) await this.appendAudit(client, audit, finding.foundAt);
      return { created: row.created, finding: parseFindingValue(row.doc) };
    });
  }

  async get(db: Queryable, id: string): Promise<DriftFinding | undefined> {
    const { rows } = await db.query<{ doc: unknown }>('SELECT doc FROM drift_findings WHERE id = $1', [id]);
    return rows[0] ? parseFindingValue(rows[0].doc) : undefined;
  }

  async list(filter: FindingFilter): Promise<DriftFinding[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (filter.statuses) {
      if (filter.statuses.length === 0) return [];
      where.push(`status = ANY(${param([...filter.statuses])}::text[])`);
    }
    if (filter.granteeEmail) where.push(`grantee_email = ${param(filter.granteeEmail)}`);
    if (filter.unannounced) where.push('announced = false');
    const text = `SELECT doc FROM drift_findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                  ORDER BY found_at, id LIMIT ${param(filter.limit ?? 1000)}`;
    const { rows } = await this.pool.query<{ doc: unknown }>(text, values);
    return rows.map((row) => parseFindingValue(row.doc));
  }

  async transition(input: FindingTransitionInput): Promise<FindingTransitionResult> {
    try {
      return await inTransaction(this.pool, async (client): Promise<FindingTransitionResult> => {
        const { rows } = await client.query<{ doc: unknown }>(TRANSITION, [
          input.id,
          [...input.from],
          input.to,
          JSON.stringify(input.patch ?? {}),
          Object.entries(input.patch ?? {})
            .filter(([, value]) => value === undefined)
            .map(([key]) => key),
        ]);
        const row = rows[0];
        if (!row) return { ok: false, current: await this.get(client, input.id) };
        await this.appendAudit(
          client,
          {
            requestId: null,
            actor: input.audit.actor,
            action: input.audit.action,
            details: { findingId: input.id, ...input.audit.details },
          },
          input.at,
        );
        return { ok: true, finding: parseFindingValue(row.doc) };
      });
    } catch (error) {
      // Back to open while a newer finding stands for the same right: that one is the report now.
      if ((error as { code?: string }).code === '23505') {
        return { ok: false, current: await this.get(this.pool, input.id) };
      }
      throw error;
    }
  }

  async patch(id: string, patch: { message: DriftFinding['message'] }): Promise<void> {
    await this.pool.query(PATCH_MESSAGE, [
      id,
      patch.message !== undefined,
      JSON.stringify(patch.message ? { message: patch.message } : {}),
    ]);
  }

  async claimJob(input: { name: string; now: Date; lastStartedBefore: Date; leaseUntil: Date }) {
    await this.pool.query('INSERT INTO scheduled_jobs (name) VALUES ($1) ON CONFLICT DO NOTHING', [
      input.name,
    ]);
    // Replicas claiming at once: the row lock makes the second re-read the row the first updated.
    const { rows } = await this.pool.query(CLAIM_JOB, [
      input.name,
      input.now,
      input.leaseUntil,
      input.lastStartedBefore,
    ]);
    return rows.length === 1;
  }

  async finishJob(name: string, at: Date): Promise<void> {
    await this.pool.query(
      'UPDATE scheduled_jobs SET last_finished_at = $2, lease_until = NULL WHERE name = $1',
      [name, at],
    );
  }

  async getJob(name: string): Promise<JobState | undefined> {
    const { rows } = await this.pool.query<{
      name: string;
      last_started_at: Date | null;
      last_finished_at: Date | null;
      lease_until: Date | null;
    }>('SELECT * FROM scheduled_jobs WHERE name = $1', [name]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      name: row.name,
      ...(row.last_started_at ? { lastStartedAt: row.last_started_at } : {}),
      ...(row.last_finished_at ? { lastFinishedAt: row.last_finished_at } : {}),
      ...(row.lease_until ? { leaseUntil: row.lease_until } : {}),
    };
  }
}
