import type pg from 'pg';
import { type AuditEventInput, CLAIMED_STATUSES, type DelegationRequest } from '../../requests/model.js';
import type { NewNotice } from '../../requests/notices.js';
import {
  DuplicateIdError,
  DuplicateViewError,
  type RequestPatch,
  type TransitionInput,
  type TransitionResult,
} from '../../requests/ports/index.js';
import { TRANSITIONS } from '../../requests/state-machine.js';
import { parseRequestValue } from '../serialize.js';
import { appendToChain } from './audit.js';
import { insertNotices } from './outbox.js';
import { inTransaction } from './pool.js';
import { readRequest } from './queries.js';
import { patchParams, requestParams } from './rows.js';
import * as sql from './statements.js';

/**
 * Writes of requests on PostgreSQL: a new request, a transition (a compare-and-set on the row's
 * status and version), a patch, and the renewal of a claim on Mimecast work. A new request and a
 * transition are each one transaction, committed with their audit event and notices.
 */

export async function createRequest(
  pool: pg.Pool,
  request: DelegationRequest,
  audit: AuditEventInput,
  notices: readonly NewNotice[],
): Promise<void> {
  await inTransaction(pool, async (client) => {
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

export function transition(pool: pg.Pool, input: TransitionInput): Promise<TransitionResult> {
  const { from, to } = TRANSITIONS[input.name];
  const patch = patchParams(input.patch);
  return inTransaction(pool, async (client): Promise<TransitionResult> => {
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

export async function patchRequest(pool: pg.Pool, id: string, patch: RequestPatch): Promise<void> {
  const params = patchParams(patch);
  await pool.query(sql.patchRequest, [id, params.setsExpiry, params.expiresAt, params.cleared, params.set]);
}

/** Renews a claim on Mimecast work, only for its holder and while the request is in a claimed status. */
export async function renewClaim(pool: pg.Pool, id: string, owner: string, until: Date): Promise<boolean> {
  const result = await pool.query(sql.renewClaim, [id, owner, until.toISOString(), CLAIMED_STATUSES]);
  return result.rowCount === 1;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === '23505' &&
    (error as { constraint?: string }).constraint === constraint
  );
}
