import type { AuditEvent } from '../requests/model.js';

export type ExportFormat = 'csv' | 'jsonl';

const COLUMNS = [
  'seq',
  'at',
  'request_id',
  'actor',
  'action',
  'from_status',
  'to_status',
  'details',
  'prev_hash',
  'hash',
];

function row(event: AuditEvent): (string | number)[] {
  return [
    event.seq,
    event.at.toISOString(),
    event.requestId ?? '',
    event.actor,
    event.action,
    event.fromStatus ?? '',
    event.toStatus ?? '',
    JSON.stringify(event.details ?? {}),
    event.prevHash,
    event.hash,
  ];
}

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed so spreadsheets never run it as a formula. */
function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function formatAudit(events: readonly AuditEvent[], format: ExportFormat): string {
  if (format === 'jsonl') {
    return events
      .map((event) =>
        JSON.stringify({
          seq: event.seq,
          at: event.at.toISOString(),
          requestId: event.requestId,
          actor: event.actor,
          action: event.action,
          fromStatus: event.fromStatus ?? null,
          toStatus: event.toStatus ?? null,
          details: event.details ?? {},
          prevHash: event.prevHash,
          hash: event.hash,
        }),
      )
      .map((line) => `${line}\n`)
      .join('');
  }
  return [COLUMNS.join(','), ...events.map((event) => row(event).map(csvCell).join(','))]
    .map((l) => `${l}\n`)
    .join('');
}
