import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { ScanKind, ScanTrigger } from '../domain.js';
import type { Source } from '../findings/finding.js';
import type { Database } from './client.js';
import { type Scan, scans, scanTargetResults, scanTargets, syncCursors } from './schema.js';

/**
 * Records a new running scan, holding its lease. Only one scan runs at a time (a unique index on
 * running scans): returns the scan already running instead when there is one. First, every running
 * scan whose lease lapsed (its process stopped renewing it `leaseMs` ago: killed, out of memory,
 * redeployed) is closed as abandoned, and returned so that the caller can audit it.
 */
export async function createScan(
  db: Database,
  scan: {
    kind: ScanKind;
    trigger: ScanTrigger;
    requestedBy?: string | null;
    now: Date;
    leaseMs: number;
  },
): Promise<{ scan: Scan; abandoned: Scan[]; running?: undefined } | { scan?: undefined; running: Scan }> {
  const abandoned = await db
    .update(scans)
    .set({
      status: 'abandoned',
      error: sql`'abandoned: its process stopped renewing its lease (last at ' || to_char(coalesce(${scans.heartbeatAt}, ${scans.startedAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'`,
      finishedAt: scan.now,
    })
    .where(
      and(
        eq(scans.status, 'running'),
        sql`coalesce(${scans.heartbeatAt}, ${scans.startedAt}) < now() - make_interval(secs => ${scan.leaseMs / 1000})`,
      ),
    )
    .returning();
  await dropWorkingResults(
    db,
    abandoned.map((a) => a.id),
  );
  const [row] = await db
    .insert(scans)
    .values({
      kind: scan.kind,
      trigger: scan.trigger,
      requestedBy: scan.requestedBy ?? null,
      startedAt: scan.now,
      sightingsFrom: sql`nextval('finding_sightings')`,
    })
    .onConflictDoNothing({ target: scans.status, where: sql`${scans.status} = 'running'` })
    .returning();
  if (row) return { scan: row, abandoned };
  const [running] = await db.select().from(scans).where(eq(scans.status, 'running'));
  // It finished between the two statements: try again.
  return running ? { running } : createScan(db, scan);
}

/** Renews a running scan's lease; false when the scan is no longer running (another process closed it). */
export async function renewLease(db: Database, id: number): Promise<boolean> {
  const rows = await db
    .update(scans)
    .set({ heartbeatAt: sql`now()` })
    .where(and(eq(scans.id, id), eq(scans.status, 'running')))
    .returning({ id: scans.id });
  return rows.length > 0;
}

export type ScanEnd = 'completed' | 'failed' | 'cancelled';

/**
 * Closes a running scan and drops its targets' working results (its conclusion recorded what it
 * keeps); false when it was no longer running (abandoned meanwhile by another process).
 */
export async function finishScan(
  db: Database,
  id: number,
  outcome: { status: ScanEnd; summary?: Record<string, unknown>; error?: string; now: Date },
): Promise<boolean> {
  const rows = await db
    .update(scans)
    .set({
      status: outcome.status,
      summary: outcome.summary ?? null,
      error: outcome.error ?? null,
      finishedAt: outcome.now,
    })
    .where(and(eq(scans.id, id), eq(scans.status, 'running')))
    .returning({ id: scans.id });
  await dropWorkingResults(
    db,
    rows.map((r) => r.id),
  );
  return rows.length > 0;
}

/** A scan that stopped running needs its targets' working results no more, however it stopped. */
async function dropWorkingResults(db: Database, scanIds: number[]): Promise<void> {
  if (scanIds.length > 0)
    await db.delete(scanTargetResults).where(inArray(scanTargetResults.scanId, scanIds));
}

/** What each target of a scan did, in plan order (a scan records its targets when it concludes). */
export function scanTargetsOf(db: Database, scanId: number) {
  return db.select().from(scanTargets).where(eq(scanTargets.scanId, scanId)).orderBy(asc(scanTargets.id));
}

/**
 * Where an incremental sync of each scope of `source` starts: when the scope was last synced, for the
 * scopes a full sync has covered (a scope absent is read in full), as epoch milliseconds; `scope`
 * asks for one. A scan holds these for its whole run, one per account and region: kept as numbers
 * they take about 104 bytes each on V8's heap, where the rows with their two dates took about 330
 * (measured around 20,000 of them read from PostgreSQL: 1.3 KB per account of 4 regions, about as
 * much as the account's cached credentials).
 */
export async function incrementalFrom(
  db: Database,
  source: Source,
  scope?: string,
): Promise<Map<string, number>> {
  const rows = await db
    .select({ scope: syncCursors.scope, syncedAt: syncCursors.syncedAt })
    .from(syncCursors)
    .where(
      and(
        eq(syncCursors.source, source),
        isNotNull(syncCursors.fullSyncedAt),
        scope === undefined ? undefined : eq(syncCursors.scope, scope),
      ),
    );
  return new Map(rows.map((r) => [r.scope, r.syncedAt.getTime()]));
}

export async function readCursors(db: Database, source: Source) {
  return db.select().from(syncCursors).where(eq(syncCursors.source, source));
}

/** Whether any scan has completed: before the first, there is no posture to report. */
export async function anyScanCompleted(db: Database): Promise<boolean> {
  const [row] = await db.select({ id: scans.id }).from(scans).where(eq(scans.status, 'completed')).limit(1);
  return row !== undefined;
}

/** What a digest job says when no scan has completed: nothing is sent or recorded, the next slot sends. */
export const NO_SCAN_YET = 'no scan has completed yet: the digest waits for the first one';
