import { asc, type SQL, sql } from 'drizzle-orm';
import { eventHash } from '../../src/audit/hash.js';
import type { Database } from '../../src/db/client.js';
import { auditEvents } from '../../src/db/schema.js';

/** The audit events in sequence order. */
export const chainEvents = (db: Database) => db.select().from(auditEvents).orderBy(asc(auditEvents.seq));

/** What the table's owner can do unseen: switch the append-only trigger off, change rows, switch it on. */
export async function asOwner(db: Database, ...changes: SQL[]): Promise<void> {
  await db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
  for (const change of changes) await db.execute(change);
  await db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
}

/** A careful forger: changes event 2's actor and recomputes every hash from there to the head. */
export async function rechainFromEvent2(db: Database): Promise<void> {
  const all = await chainEvents(db);
  let prevHash = all[0]!.hash;
  await asOwner(
    db,
    ...all.slice(1).map((e) => {
      const forged = { ...e, actor: e.seq === 2 ? 'U0MALLORY' : e.actor, prevHash };
      prevHash = eventHash(forged);
      return sql`update audit_events set actor = ${forged.actor}, prev_hash = ${forged.prevHash}, hash = ${prevHash} where seq = ${e.seq}`;
    }),
  );
}
