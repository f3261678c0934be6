import { stringify } from 'csv-stringify/sync';
import { auditEventPages } from '../db/audit-events.js';
import type { Database } from '../db/client.js';
import type { AuditEvent } from '../db/schema.js';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const CSV_COLUMNS = ['seq', 'at', 'actor', 'action', 'subject', 'details', 'prev_hash', 'hash'];

function exportRecord(e: AuditEvent) {
  return {
    seq: e.seq,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

/**
 * Writes the audit events (those at or after `since`, when given) for an auditor, page by page.
 * Each record carries its hashes, so the export can be checked against `warden audit verify`'s head.
 * Returns the number of events written.
 */
export async function exportAudit(
  db: Database,
  options: { since?: Date; format: ExportFormat },
  write: (chunk: string) => void | Promise<void>,
): Promise<number> {
  let count = 0;
  if (options.format === 'csv') await write(stringify([CSV_COLUMNS]));
  for await (const page of auditEventPages(db, options.since ? { since: options.since } : {})) {
    const records = page.map(exportRecord);
    if (options.format === 'jsonl') {
      await write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    } else {
      await write(
        stringify(
          records.map((r) => ({ ...r, details: JSON.stringify(r.details) })),
          { columns: CSV_COLUMNS },
        ),
      );
    }
    count += page.length;
  }
  return count;
}
