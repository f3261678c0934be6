import { and, isNull, notInArray, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { accounts, type NewAccount } from './schema.js';

/** Records what discovery found: new accounts are added, known ones refreshed, missing ones marked gone. */
export async function syncAccounts(
  db: Database,
  found: Omit<NewAccount, 'firstSeenAt' | 'lastSeenAt' | 'goneAt'>[],
  now: Date,
  options: { complete: boolean },
): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < found.length; i += 500) {
      const batch = found
        .slice(i, i + 500)
        .map((a) => ({ ...a, firstSeenAt: now, lastSeenAt: now, goneAt: null }));
      await tx
        .insert(accounts)
        .values(batch)
        .onConflictDoUpdate({
          target: accounts.id,
          set: {
            name: sql.raw('excluded.name'),
            email: sql.raw('excluded.email'),
            state: sql.raw('excluded.state'),
            ouId: sql.raw('excluded.ou_id'),
            ouPath: sql.raw('excluded.ou_path'),
            ouAncestors: sql.raw('excluded.ou_ancestors'),
            tags: sql.raw('excluded.tags'),
            joinedAt: sql.raw('excluded.joined_at'),
            lastSeenAt: sql.raw('excluded.last_seen_at'),
            goneAt: sql`null`,
          },
        });
    }
    // Only a discovery of the whole organization can say an account is gone.
    if (options.complete) {
      const ids = found.map((a) => a.id);
      await tx
        .update(accounts)
        .set({ goneAt: now })
        .where(and(isNull(accounts.goneAt), ids.length ? notInArray(accounts.id, ids) : undefined));
    }
  });
}

/** Where each known account sits and how it is tagged, as the last discovery found it. */
export async function knownPlacements(db: Database) {
  const rows = await db
    .select({ id: accounts.id, ouId: accounts.ouId, ouPath: accounts.ouPath, tags: accounts.tags })
    .from(accounts)
    .where(isNull(accounts.goneAt));
  return new Map(
    rows
      .filter((r) => r.ouId && r.ouPath)
      .map((r) => [r.id, { ouId: r.ouId!, ouPath: r.ouPath!, tags: r.tags }]),
  );
}

/** The accounts discovery last found in the organization. */
export async function currentAccounts(db: Database) {
  return db.select().from(accounts).where(isNull(accounts.goneAt)).orderBy(accounts.name);
}
