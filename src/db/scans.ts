import { eq, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { type Scan, scans, scanTargets, syncCursors } from './schema.js';

export type NewScanTarget = typeof scanTargets.$inferInsert;

export async function createScan(
  db: Database,
  scan: { kind: 'full' | 'incremental'; trigger: string; requestedBy?: string | null; now: Date },
): Promise<Scan> {
  const [row] = await db
    .insert(scans)
    .values({
      kind: scan.kind,
      trigger: scan.trigger,
      requestedBy: scan.requestedBy ?? null,
      startedAt: scan.now,
    })
    .returning();
  return row!;
}

export async function finishScan(
  db: Database,
  id: number,
  outcome: { status: 'completed' | 'failed'; summary?: Record<string, unknown>; error?: string; now: Date },
): Promise<void> {
  await db
    .update(scans)
    .set({
      status: outcome.status,
      summary: outcome.summary ?? null,
      error: outcome.error ?? null,
      finishedAt: outcome.now,
    })
    .where(eq(scans.id, id));
}

export async function recordTargets(db: Database, targets: NewScanTarget[]): Promise<void> {
  for (let i = 0; i < targets.length; i += 500)
    await db.insert(scanTargets).values(targets.slice(i, i + 500));
}

export async function readCursors(db: Database, source: string) {
  return db.select().from(syncCursors).where(eq(syncCursors.source, source));
}

/** Moves sync cursors forward after the syncs that completed; a full sync also stamps fullSyncedAt. */
export async function advanceCursors(
  db: Database,
  cursors: Array<{ source: string; scope: string; syncedAt: Date; full: boolean }>,
): Promise<void> {
  for (let i = 0; i < cursors.length; i += 500) {
    await db
      .insert(syncCursors)
      .values(
        cursors.slice(i, i + 500).map((c) => ({
          source: c.source,
          scope: c.scope,
          syncedAt: c.syncedAt,
          fullSyncedAt: c.full ? c.syncedAt : null,
        })),
      )
      .onConflictDoUpdate({
        target: [syncCursors.source, syncCursors.scope],
        set: {
          syncedAt: sql.raw('excluded.synced_at'),
          fullSyncedAt: sql.raw('coalesce(excluded.full_synced_at, sync_cursors.full_synced_at)'),
        },
      });
  }
}
