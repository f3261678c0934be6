import { and, eq, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { findings, postureSnapshots, type Scan, scans, scanTargets, syncCursors } from './schema.js';

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

export async function recordTarget(db: Database, target: NewScanTarget): Promise<void> {
  await db.insert(scanTargets).values(target);
}

export async function readCursor(db: Database, source: string, scope: string) {
  const [row] = await db
    .select()
    .from(syncCursors)
    .where(and(eq(syncCursors.source, source), eq(syncCursors.scope, scope)));
  return row;
}

export async function readCursors(db: Database, source: string) {
  return db.select().from(syncCursors).where(eq(syncCursors.source, source));
}

/** Moves a sync cursor forward after a sync that completed; a full sync also stamps fullSyncedAt. */
export async function advanceCursor(
  db: Database,
  source: string,
  scope: string,
  syncedAt: Date,
  full: boolean,
) {
  await db
    .insert(syncCursors)
    .values({ source, scope, syncedAt, fullSyncedAt: full ? syncedAt : null })
    .onConflictDoUpdate({
      target: [syncCursors.source, syncCursors.scope],
      set: {
        syncedAt,
        ...(full ? { fullSyncedAt: syncedAt } : {}),
      },
    });
}

/** Writes one posture snapshot per account: open findings by severity, at the end of a scan. */
export async function snapshotPosture(
  db: Database,
  scanId: number,
  now: Date,
  accountIds: string[],
): Promise<void> {
  if (accountIds.length === 0) return;
  const open = sql`${findings.status} <> 'resolved'`;
  const count = (severity: string) =>
    sql<number>`count(*) filter (where ${open} and ${findings.severity} = ${severity})::int`;
  const rows = await db
    .select({
      accountId: findings.accountId,
      critical: count('critical'),
      high: count('high'),
      medium: count('medium'),
      low: count('low'),
      informational: count('informational'),
    })
    .from(findings)
    .groupBy(findings.accountId);
  const byAccount = new Map(rows.map((r) => [r.accountId, r]));
  const values = accountIds.map((accountId) => {
    const r = byAccount.get(accountId);
    return {
      scanId,
      takenAt: now,
      accountId,
      openCritical: Number(r?.critical ?? 0),
      openHigh: Number(r?.high ?? 0),
      openMedium: Number(r?.medium ?? 0),
      openLow: Number(r?.low ?? 0),
      openInformational: Number(r?.informational ?? 0),
    };
  });
  for (let i = 0; i < values.length; i += 500)
    await db.insert(postureSnapshots).values(values.slice(i, i + 500));
}
