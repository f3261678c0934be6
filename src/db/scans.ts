import { and, eq, lt, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { type Scan, scans, scanTargets, syncCursors } from './schema.js';

export type NewScanTarget = typeof scanTargets.$inferInsert;

/** A scan still marked running after this long was left by a crash; the next scan closes it. */
export const ABANDONED_SCAN_MS = 6 * 60 * 60 * 1000;

/**
 * Records a new running scan. Only one scan runs at a time (a unique index on running scans): returns
 * the scan already running instead when there is one. A scan left running by a crash, longer ago than
 * ABANDONED_SCAN_MS, is first marked failed so that it does not block scans forever.
 */
export async function createScan(
  db: Database,
  scan: { kind: 'full' | 'incremental'; trigger: string; requestedBy?: string | null; now: Date },
): Promise<{ scan: Scan; running?: undefined } | { scan?: undefined; running: Scan }> {
  await db
    .update(scans)
    .set({
      status: 'failed',
      error: 'abandoned: the process running it stopped before it finished',
      finishedAt: scan.now,
    })
    .where(
      and(eq(scans.status, 'running'), lt(scans.startedAt, new Date(scan.now.getTime() - ABANDONED_SCAN_MS))),
    );
  const [row] = await db
    .insert(scans)
    .values({
      kind: scan.kind,
      trigger: scan.trigger,
      requestedBy: scan.requestedBy ?? null,
      startedAt: scan.now,
    })
    .onConflictDoNothing({ target: scans.status, where: sql`${scans.status} = 'running'` })
    .returning();
  if (row) return { scan: row };
  const [running] = await db.select().from(scans).where(eq(scans.status, 'running'));
  // It finished between the two statements: try again.
  return running ? { running } : createScan(db, scan);
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
