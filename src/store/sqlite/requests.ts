import { type AuditEventInput, CLAIMED_STATUSES, type DelegationRequest } from '../../requests/model.js';
import type { NewNotice } from '../../requests/notices.js';
import {
  DuplicateIdError,
  DuplicateViewError,
  type RequestPatch,
  type TransitionInput,
  type TransitionResult,
} from '../../requests/ports/index.js';
import { canTransition, TRANSITIONS } from '../../requests/state-machine.js';
import { applyPatch } from '../serialize.js';
import { insertAudit } from './audit.js';
import type { Connection } from './connection.js';
import { insertNotices } from './outbox.js';
import { readRequest } from './queries.js';
import { rowParams } from './rows.js';

/**
 * Writes of requests on SQLite: a new request, a transition (a compare-and-set on the status and
 * version), a patch, and the renewal of a claim on Mimecast work. Each is one IMMEDIATE transaction,
 * committed with its audit event and notices.
 */

export function createRequest(
  connection: Connection,
  request: DelegationRequest,
  audit: AuditEventInput,
  notices: readonly NewNotice[],
): void {
  connection.db
    .transaction(() => {
      try {
        connection
          .sql(
            `INSERT INTO requests (id, status, requester_id, grantee_email, mailbox, expires_at, created_at, updated_at, view_id, doc)
             VALUES (@id, @status, @requesterId, @granteeEmail, @mailbox, @expiresAt, @createdAt, @updatedAt, @viewId, @doc)`,
          )
          .run(rowParams(request));
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
      insertAudit(connection, audit, request.createdAt);
      insertNotices(connection, request, notices, request.createdAt);
    })
    .immediate();
}

export function transition(connection: Connection, input: TransitionInput): TransitionResult {
  const { to } = TRANSITIONS[input.name];
  return connection.db
    .transaction((): TransitionResult => {
      const current = readRequest(connection, input.id);
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
      const result = connection
        .sql(
          `UPDATE requests SET status = @status, expires_at = @expiresAt, updated_at = @updatedAt, doc = @doc
           WHERE id = @id AND status = @fromStatus AND json_extract(doc, '$.version') = @fromVersion`,
        )
        .run({ ...rowParams(next), fromStatus: current.status, fromVersion: current.version });
      if (result.changes !== 1) return { ok: false, current: readRequest(connection, input.id) };
      insertAudit(
        connection,
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
      insertNotices(connection, next, input.notices ?? [], input.at);
      return { ok: true, request: next };
    })
    .immediate();
}

export function patchRequest(connection: Connection, id: string, patch: RequestPatch): void {
  connection.db
    .transaction(() => {
      const current = readRequest(connection, id);
      if (!current) return;
      const next = { ...applyPatch(current, patch), version: current.version + 1 };
      connection
        .sql('UPDATE requests SET expires_at = @expiresAt, doc = @doc WHERE id = @id')
        .run(rowParams(next));
    })
    .immediate();
}

/** Renews a claim on Mimecast work, only for its holder and while the request is in a claimed status. */
export function renewClaim(connection: Connection, id: string, owner: string, until: Date): boolean {
  return connection.db
    .transaction(() => {
      const current = readRequest(connection, id);
      if (!current || !CLAIMED_STATUSES.includes(current.status) || current.claim?.owner !== owner) {
        return false;
      }
      const next = { ...current, claim: { owner, until }, version: current.version + 1 };
      connection.sql('UPDATE requests SET doc = @doc WHERE id = @id').run(rowParams(next));
      return true;
    })
    .immediate();
}
