import type pg from 'pg';
import { inTransaction, LOCKS } from './pool.js';

/**
 * Schema migrations for PostgreSQL, applied in order once each; never edit a released one, add the
 * next. The request is kept whole as jsonb (`doc`) beside the columns that are filtered on, as in
 * SQLite, so a new request field needs no migration.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE requests (
    id            text COLLATE "C" PRIMARY KEY,
    status        text NOT NULL,
    version       integer NOT NULL,
    requester_id  text NOT NULL,
    grantee_email text NOT NULL,
    mailbox       text NOT NULL,
    expires_at    timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    doc           jsonb NOT NULL
  );
  CREATE INDEX requests_by_status ON requests (status, created_at);
  CREATE INDEX requests_by_requester ON requests (requester_id, created_at);
  CREATE INDEX requests_by_pair ON requests (grantee_email, mailbox);
  CREATE INDEX requests_by_requester_mailbox ON requests (requester_id, mailbox, created_at);

  CREATE TABLE audit_events (
    seq         bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    request_id  text,
    actor       text NOT NULL,
    action      text NOT NULL,
    from_status text,
    to_status   text,
    details     jsonb NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL UNIQUE
  );
  CREATE INDEX audit_by_request ON audit_events (request_id, seq);
  -- Append-only: the database itself refuses edits, deletions and truncation of audit events.
  CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit events are append-only';
    END
  $$;
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
  CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
  CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

  CREATE TABLE notices (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id      text COLLATE "C" NOT NULL REFERENCES requests (id),
    target          text NOT NULL,
    event           text NOT NULL,
    data            jsonb,
    snapshot        jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    last_error      text,
    delivered       boolean NOT NULL DEFAULT false,
    done_at         timestamptz,
    created_at      timestamptz NOT NULL
  );
  CREATE INDEX notices_undone ON notices (request_id, id) WHERE done_at IS NULL;
  CREATE INDEX notices_due ON notices (id) WHERE done_at IS NULL;
  CREATE INDEX notices_done ON notices (done_at) WHERE done_at IS NOT NULL;
  `,
  // Reconciliation with Mimecast: what it found that the bot did not make (reported once: one standing
  // finding per right), and the periodic jobs claimed by one replica per interval.
  `
  CREATE TABLE drift_findings (
    id            text COLLATE "C" PRIMARY KEY,
    status        text NOT NULL,
    grantee_email text NOT NULL,
    mimecast_id   text NOT NULL,
    found_at      timestamptz NOT NULL,
    announced     boolean NOT NULL DEFAULT false,
    doc           jsonb NOT NULL
  );
  CREATE UNIQUE INDEX drift_findings_standing ON drift_findings (grantee_email, mimecast_id)
    WHERE status IN ('open', 'removing');
  CREATE INDEX drift_findings_by_status ON drift_findings (status, found_at);

  CREATE TABLE scheduled_jobs (
    name             text PRIMARY KEY,
    last_started_at  timestamptz,
    last_finished_at timestamptz,
    lease_until      timestamptz
  );
  `,
  // The Slack form (view) each request came from: one form makes one request, even when it is sent
  // again after a restart or to another replica. Older requests have none (NULLs never collide).
  `
  ALTER TABLE requests ADD COLUMN view_id text COLLATE "C";
  CREATE UNIQUE INDEX requests_by_view ON requests (view_id);
  `,
];

/**
 * Applies the migrations this database does not have yet, all in one transaction under an advisory
 * lock: replicas starting together wait for the first, then find nothing left to do. The lock is
 * taken before anything is read, so the second replica reads what the first committed.
 */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCKS.migrations]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const now: number[] = [];
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [version]);
      now.push(version);
    }
    return now;
  });
}
