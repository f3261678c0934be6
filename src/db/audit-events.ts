import { and, asc, desc, eq, gt, gte, inArray, sql } from 'drizzle-orm';
import { WardenError } from '../errors.js';
import { type Database, rawRows } from './client.js';
import { type AuditEvent, auditEvents, type NewAuditEvent } from './schema.js';

/** The chain's last event, which the next one links to; undefined when the chain is empty. */
export type ChainHead = Pick<AuditEvent, 'seq' | 'hash'> | undefined;

/**
 * Appends the event `next` makes from the chain's head, inside the caller's transaction when given
 * one (so it commits or rolls back with the state change it records), otherwise in its own.
 *
 * Two statements. The first claims the next sequence number by updating the head row: its row lock
 * orders appenders across connections and processes (held until the transaction ends), and in READ
 * COMMITTED an appender that waited re-reads the head its predecessor committed. The second inserts
 * the event and records its hash as the head's.
 */
export function appendToChain(db: Database, next: (head: ChainHead) => NewAuditEvent): Promise<AuditEvent> {
  return db.transaction(async (tx) => {
    const [claimed] = await rawRows<{ seq: string | number; hash: string }>(
      tx,
      sql`update audit_chain_head set seq = seq + 1 returning seq - 1 as seq, hash`,
    );
    if (!claimed) throw new WardenError('database', 'the audit chain has no head row: run `warden migrate`');
    const seq = Number(claimed.seq);
    const event = next(seq === 0 ? undefined : { seq, hash: claimed.hash });
    await rawRows(
      tx,
      sql`with e as (
            insert into audit_events (seq, at, actor, action, subject, details, prev_hash, hash)
            values (${event.seq}, ${event.at.toISOString()}::timestamptz, ${event.actor}, ${event.action},
                    ${event.subject}, ${JSON.stringify(event.details)}::jsonb, ${event.prevHash}, ${event.hash})
            returning hash)
          update audit_chain_head set hash = e.hash from e`,
    );
    return { ...event, details: event.details ?? {} } as AuditEvent;
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
