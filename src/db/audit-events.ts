import { and, asc, desc, eq, gt, gte, inArray, sql } from 'drizzle-orm';
import { type Database, rawRows } from './client.js';
import { LOCKS } from './locks.js';
import { type AuditEvent, auditEvents, type NewAuditEvent } from './schema.js';

/** The chain's last event, which the next one links to; undefined when the chain is empty. */
export type ChainHead = Pick<AuditEvent, 'seq' | 'hash'> | undefined;

/**
 * Appends the event `next` makes from the chain's head, inside the caller's transaction when given
 * one (so it commits or rolls back with the state change it records), otherwise in its own.
 *
 * A transaction-scoped advisory lock serialises appenders across connections and processes: the
 * head is read only after the lock is held, and the lock is released when the outer transaction
 * ends, so the next appender always sees this event as the head. Needs READ COMMITTED (the default).
 */
export function appendToChain(db: Database, next: (head: ChainHead) => NewAuditEvent): Promise<AuditEvent> {
  return db.transaction(async (tx) => {
    await rawRows(tx, sql`select pg_advisory_xact_lock(${LOCKS.auditChain}::bigint)`);
    const [head] = await tx
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    const [row] = await tx.insert(auditEvents).values(next(head)).returning();
    return row!;
  });
}

/** Reads events in sequence order, a page at a time, so memory does not grow with the trail. */
export async function* auditEventPages(
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

/** The chain's last event as it stands (undefined for an empty chain). */
export async function chainHead(db: Database): Promise<Pick<AuditEvent, 'seq' | 'hash' | 'at'> | undefined> {
  const [head] = await db
    .select({ seq: auditEvents.seq, hash: auditEvents.hash, at: auditEvents.at })
    .from(auditEvents)
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  return head;
}

/** The events about one subject with one of these actions, oldest first. */
export function eventsAbout(
  db: Database,
  subject: string,
  actions: readonly string[],
): Promise<AuditEvent[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.subject, subject), inArray(auditEvents.action, [...actions])))
    .orderBy(asc(auditEvents.seq));
}
