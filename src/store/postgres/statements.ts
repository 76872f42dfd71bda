import type { QueryConfig } from 'pg';
import { NOTICE_COLUMNS } from './rows.js';

/**
 * The store's fixed statements, named so that each connection parses and plans them once. The
 * filtered listings are built in store.ts.
 */
function named(name: string, text: string): QueryConfig {
  return { name: `delegate_${name}`, text };
}

export const insertRequest = named(
  'insert_request',
  `INSERT INTO requests (id, status, version, requester_id, grantee_email, mailbox, expires_at, created_at, updated_at, doc, view_id)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
);

export const getRequest = named('get_request', 'SELECT doc FROM requests WHERE id = $1');

/**
 * The compare-and-set. The row is locked first (`current`), so the status it had is known for the
 * audit event even when another transaction changed it while this one waited; the UPDATE then applies
 * only if that status is one the transition starts from (and the version is the expected one). The
 * patch is merged into the document in SQL: fields given as undefined are removed ($7), the others
 * set ($8), then the status, time and version.
 */
export const transition = named(
  'transition',
  `WITH current AS (SELECT id, status FROM requests WHERE id = $1 FOR UPDATE)
   UPDATE requests r
      SET status = $3,
          version = r.version + 1,
          updated_at = $4,
          expires_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE r.expires_at END,
          doc = (r.doc - $7::text[]) || $8::jsonb
                || jsonb_build_object('status', $3::text, 'updatedAt', $9::text, 'version', r.version + 1)
     FROM current
    WHERE r.id = current.id
      AND r.status = ANY($2::text[])
      AND ($10::integer IS NULL OR r.version = $10::integer)
   RETURNING current.status AS from_status, r.doc`,
);

export const patchRequest = named(
  'patch_request',
  `UPDATE requests r
      SET version = r.version + 1,
          expires_at = CASE WHEN $2::boolean THEN $3::timestamptz ELSE r.expires_at END,
          doc = (r.doc - $4::text[]) || $5::jsonb || jsonb_build_object('version', r.version + 1)
    WHERE r.id = $1`,
);

/**
 * A claim renewed (or given up, with an end in the past) by the process that holds it: only while the
 * request is being provisioned or removed and the claim is that process's. The version is bumped, so
 * a takeover computed from an earlier read loses its compare-and-set.
 */
export const renewClaim = named(
  'renew_claim',
  `UPDATE requests r
      SET version = r.version + 1,
          doc = jsonb_set(r.doc, '{claim,until}', to_jsonb($3::text)) || jsonb_build_object('version', r.version + 1)
    WHERE r.id = $1
      AND r.status = ANY($4::text[])
      AND r.doc->'claim'->>'owner' = $2`,
);

export const requestsByStatus = named(
  'requests_by_status',
  'SELECT status, count(*)::int AS n FROM requests GROUP BY status',
);

export const removalsFailing = named(
  'removals_failing',
  `SELECT count(*)::int AS n FROM requests
    WHERE status = 'completed' AND (doc->>'removalAttempts')::int > 0`,
);

export const noticesWaiting = named(
  'notices_waiting',
  'SELECT count(*)::int AS n, min(created_at) AS oldest FROM notices WHERE done_at IS NULL',
);

/** The request's document as it is now (this transaction's own write included) is each notice's snapshot. */
export const insertNotices = named(
  'insert_notices',
  `INSERT INTO notices (request_id, target, event, data, snapshot, next_attempt_at, created_at)
   SELECT r.id, n.target, n.event, n.data, r.doc, $2, $2
     FROM requests r,
          unnest($3::text[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS n (target, event, data, position)
    WHERE r.id = $1
    ORDER BY n.position`,
);

export const lockAuditChain = named('lock_audit_chain', 'SELECT pg_advisory_xact_lock($1, $2)');

export const lastAuditEvent = named(
  'last_audit_event',
  'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
);

export const insertAuditEvent = named(
  'insert_audit_event',
  `INSERT INTO audit_events (seq, at, request_id, actor, action, from_status, to_status, details, prev_hash, hash)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
);

export const lastAuditEventOf = named(
  'last_audit_event_of',
  'SELECT * FROM audit_events WHERE action = ANY($1::text[]) ORDER BY seq DESC LIMIT 1',
);

/** Due: undelivered, its retry time come, not leased, and no earlier notice of its request still undelivered. */
const DUE = `n.done_at IS NULL
     AND n.next_attempt_at <= $1
     AND (n.lease_until IS NULL OR n.lease_until <= $1)
     AND NOT EXISTS (
       SELECT 1 FROM notices m WHERE m.request_id = n.request_id AND m.done_at IS NULL AND m.id < n.id)`;

export const dueNotices = named(
  'due_notices',
  `SELECT ${NOTICE_COLUMNS} FROM notices n WHERE ${DUE} ORDER BY n.id LIMIT $2`,
);

/**
 * Claims in one statement: rows another claimer holds are skipped rather than waited for, and a row
 * claimed and committed meanwhile is checked again and left out (its lease no longer allows it). The
 * attempts returned are those before this claim, as `dueNotices` would show them.
 */
export const claimDueNotices = named(
  'claim_due_notices',
  `WITH due AS (
     SELECT n.id FROM notices n WHERE ${DUE} ORDER BY n.id LIMIT $3 FOR UPDATE SKIP LOCKED
   )
   UPDATE notices n SET lease_until = $2, attempts = n.attempts + 1
     FROM due
    WHERE n.id = due.id
   RETURNING n.id, n.request_id, n.target, n.event, n.data, n.snapshot, n.attempts - 1 AS attempts, n.created_at`,
);

export const markDelivered = named(
  'mark_delivered',
  `UPDATE notices n SET done_at = d.at, delivered = true, lease_until = NULL, last_error = NULL
     FROM unnest($1::bigint[], $2::timestamptz[]) AS d (id, at)
    WHERE n.id = d.id`,
);

export const laterNotice = named(
  'later_notice',
  'SELECT 1 FROM notices WHERE request_id = $1 AND id > $2 AND target = $3 AND done_at IS NULL LIMIT 1',
);

export const giveUpNotice = named(
  'give_up_notice',
  'UPDATE notices SET done_at = $2, delivered = false, lease_until = NULL, last_error = $3 WHERE id = $1',
);

export const retryNotice = named(
  'retry_notice',
  'UPDATE notices SET next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $1',
);

/** Replicas pruning at once each take different rows rather than waiting for one another. */
export const pruneNotices = named(
  'prune_notices',
  `DELETE FROM notices WHERE id IN (
     SELECT id FROM notices WHERE done_at IS NOT NULL AND done_at < $1
      ORDER BY done_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
);
