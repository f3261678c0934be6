import { and, asc, desc, gt, gte, sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { LOCKS } from '../db/locks.js';
import { type AuditEvent, auditEvents } from '../db/schema.js';
import { eventHash, GENESIS_HASH } from './hash.js';
import { scrubSecrets } from './redact.js';

export interface AuditInput {
  /** Who did it: a Slack user id, `warden:<job>` for Warden itself, or `cli:<user>`. */
  actor: string;
  /** What was done, dotted: `finding.acknowledged`, `remediation.approved`, `permission.denied`, … */
  action: string;
  /** What it was done to: `finding:42`, `account:111122223333`, `remediation:7`. */
  subject: string;
  details?: Record<string, unknown>;
  /** Defaults to now; tests pass their own clock. */
  at?: Date;
}

/**
 * Appends one event to the hash chain, inside the caller's transaction when given one (so the event
 * commits or rolls back with the state change it records), otherwise in a transaction of its own.
 *
 * A transaction-scoped advisory lock serialises appenders across connections and processes: the
 * head is read only after the lock is held, and the lock is released when the outer transaction
 * ends, so the next appender always sees this event as the head. Needs READ COMMITTED (the default).
 */
export async function appendAudit(db: Database, input: AuditInput): Promise<AuditEvent> {
  return db.transaction(async (tx) => {
    await rawRows(tx, sql`select pg_advisory_xact_lock(${LOCKS.auditChain}::bigint)`);
    const [head] = await tx
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    const content = {
      seq: (head?.seq ?? 0) + 1,
      at: input.at ?? new Date(),
      actor: input.actor,
      action: input.action,
      subject: input.subject,
      details: scrubSecrets(input.details ?? {}),
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const [row] = await tx
      .insert(auditEvents)
      .values({ ...content, hash: eventHash(content) })
      .returning();
    return row!;
  });
}

/** Reads events in sequence order, a page at a time, so memory does not grow with the trail. */
export async function* readAuditPages(
  db: Database,
  options: { since?: Date; pageSize?: number } = {},
): AsyncGenerator<AuditEvent[]> {
  const pageSize = options.pageSize ?? 1000;
  let after = 0;
  for (;;) {
    const where = and(
      gt(auditEvents.seq, after),
      options.since ? gte(auditEvents.at, options.since) : undefined,
    );
    const page = await db
      .select()
      .from(auditEvents)
      .where(where)
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.seq;
  }
}
