import type pg from 'pg';
import type { AuditEvent, AuditEventInput } from '../../requests/model.js';
import { inTransaction, LOCKS } from './pool.js';
import { type AuditRow, toAuditEvent } from './rows.js';
import * as sql from './statements.js';

/**
 * The Store port's `appendAuditAfter` on PostgreSQL: the audit chain's advisory lock is taken first, in
 * a statement of its own, so the read of the last event of `actions` (READ COMMITTED) sees every append
 * committed before it, and none can commit until this transaction ends. `append` takes the same lock
 * again (it is held by this transaction already) and appends to the chain.
 */
export function appendAuditAfter(
  pool: pg.Pool,
  append: (client: pg.PoolClient, event: AuditEventInput, at: Date) => Promise<AuditEvent>,
  actions: readonly string[],
  next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
  at: Date,
): Promise<AuditEvent | undefined> {
  return inTransaction(pool, async (client) => {
    await client.query(sql.lockAuditChain, [...LOCKS.auditChain]);
    const { rows } = await client.query<AuditRow>(sql.lastAuditEventOf, [[...actions]]);
    const event = next(rows[0] ? toAuditEvent(rows[0]) : undefined);
    return event ? append(client, event, at) : undefined;
  });
}
