import type Database from 'better-sqlite3';

/** Schema migrations, applied in order once each; never edit a released one, add the next. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE requests (
    id            TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    requester_id  TEXT NOT NULL,
    grantee_email TEXT NOT NULL,
    mailbox       TEXT NOT NULL,
    expires_at    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    doc           TEXT NOT NULL
  );
  CREATE INDEX requests_by_status ON requests (status, created_at);
  CREATE INDEX requests_by_requester ON requests (requester_id, created_at);
  CREATE INDEX requests_by_pair ON requests (grantee_email, mailbox);

  CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    request_id  TEXT,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    details     TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE
  );
  CREATE INDEX audit_by_request ON audit_events (request_id, seq);
  -- Append-only: the database itself refuses edits and deletions of audit events.
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

  CREATE TABLE notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id      TEXT NOT NULL REFERENCES requests (id),
    target          TEXT NOT NULL,
    event           TEXT NOT NULL,
    data            TEXT,
    snapshot        TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    delivered       INTEGER NOT NULL DEFAULT 0,
    done_at         TEXT,
    created_at      TEXT NOT NULL
  );
  CREATE INDEX notices_undone ON notices (request_id, id) WHERE done_at IS NULL;
  `,
  // Without it, finding due notices scanned every notice ever written (delivered ones too).
  `
  CREATE INDEX notices_due ON notices (id) WHERE done_at IS NULL;
  `,
  // Finished notices are pruned after a retention period (the audit log is the record; notices are mail).
  `
  CREATE INDEX notices_done ON notices (done_at) WHERE done_at IS NOT NULL;
  `,
  // The duplicate check at submit (this requester, this mailbox, still open) read all of the
  // requester's history.
  `
  CREATE INDEX requests_by_requester_mailbox ON requests (requester_id, mailbox, created_at);
  `,
  // Reconciliation with Mimecast: what it found that the bot did not make (reported once: one standing
  // finding per right), and the periodic jobs claimed by one process per interval.
  `
  CREATE TABLE drift_findings (
    id            TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    grantee_email TEXT NOT NULL,
    mimecast_id   TEXT NOT NULL,
    found_at      TEXT NOT NULL,
    announced     INTEGER NOT NULL DEFAULT 0,
    doc           TEXT NOT NULL
  );
  CREATE UNIQUE INDEX drift_findings_standing ON drift_findings (grantee_email, mimecast_id)
    WHERE status IN ('open', 'removing');
  CREATE INDEX drift_findings_by_status ON drift_findings (status, found_at);

  CREATE TABLE scheduled_jobs (
    name             TEXT PRIMARY KEY,
    last_started_at  TEXT,
    last_finished_at TEXT,
    lease_until      TEXT
  );
  `,
  // The Slack form (view) each request came from: one form makes one request, even when it is sent
  // again after a restart or to another process. Older requests have none (NULLs never collide).
  `
  ALTER TABLE requests ADD COLUMN view_id TEXT;
  CREATE UNIQUE INDEX requests_by_view ON requests (view_id);
  `,
];

/** Applies the migrations this file does not have yet, each in its own write transaction. */
export function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  for (const [index, sql] of MIGRATIONS.entries()) {
    const version = index + 1;
    // Checked inside the write lock, so two replicas starting together apply each migration once.
    db.transaction(() => {
      if (isApplied.get(version)) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        new Date().toISOString(),
      );
    }).immediate();
  }
}
