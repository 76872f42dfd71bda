import type Database from 'better-sqlite3';
import type { AuditEvent, AuditEventInput } from '../../requests/model.js';
import { type AuditRow, toAuditEvent } from './rows.js';

/**
 * The Store port's `appendAuditAfter` on SQLite: the read of the last event of `actions` and the append
 * are one IMMEDIATE transaction, so no other connection writes in between.
 */
export function appendAuditAfter(
  db: Database.Database,
  insertAudit: (event: AuditEventInput, at: Date) => AuditEvent,
  actions: readonly string[],
  next: (last: AuditEvent | undefined) => AuditEventInput | undefined,
  at: Date,
): AuditEvent | undefined {
  return db
    .transaction(() => {
      const row =
        actions.length === 0
          ? undefined
          : db
              .prepare<string[], AuditRow>(
                `SELECT * FROM audit_events WHERE action IN (${actions.map(() => '?').join(', ')}) ORDER BY seq DESC LIMIT 1`,
              )
              .get(...actions);
      const event = next(row ? toAuditEvent(row) : undefined);
      return event ? insertAudit(event, at) : undefined;
    })
    .immediate();
}
