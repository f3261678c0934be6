import { asc, eq } from 'drizzle-orm';
import type { DiscoveredAccount } from '../aws/organization.js';
import type { Database } from '../db/client.js';
import { scans, scanTargetResults, scanTargets } from '../db/schema.js';
import type { Target } from './scan-plan.js';
import type { RunResult } from './scan-targets.js';

/** What a durable scan reads: kept on its row once discovery is done, so that a resumed scan does not discover again. */
export interface ScanPlan {
  accounts: DiscoveredAccount[];
  targets: Target[];
}

export async function storePlan(db: Database, scanId: number, plan: ScanPlan): Promise<void> {
  await db
    .update(scans)
    .set({ plan: plan as unknown as Record<string, unknown> })
    .where(eq(scans.id, scanId));
}

/** The plan a scan stored (its accounts' dates revived), or undefined before discovery ended. */
export async function readPlan(db: Database, scanId: number): Promise<ScanPlan | undefined> {
  const [row] = await db.select({ plan: scans.plan }).from(scans).where(eq(scans.id, scanId));
  const plan = row?.plan as unknown as ScanPlan | null | undefined;
  if (!plan) return undefined;
  return {
    targets: plan.targets,
    accounts: plan.accounts.map((a) => ({
      ...a,
      joinedAt: a.joinedAt ? new Date(a.joinedAt as unknown as string) : undefined,
    })),
  };
}

/** Records what a target ended with; the first answer stands (false when one was already there). */
export async function recordTargetResult(
  db: Database,
  scanId: number,
  target: number,
  result: RunResult,
): Promise<boolean> {
  const rows = await db
    .insert(scanTargetResults)
    .values({
      scanId,
      target,
      status: result.status,
      findings: result.findings,
      throttles: result.throttles,
      result: result as unknown as Record<string, unknown>,
    })
    .onConflictDoNothing()
    .returning({ target: scanTargetResults.target });
  return rows.length > 0;
}

/** Every target of the scan that has ended so far: its place in the plan and a little of its result. */
export function targetsEnded(db: Database, scanId: number) {
  return db
    .select({
      target: scanTargetResults.target,
      status: scanTargetResults.status,
      findings: scanTargetResults.findings,
      throttles: scanTargetResults.throttles,
    })
    .from(scanTargetResults)
    .where(eq(scanTargetResults.scanId, scanId));
}

/** The results of the scan's targets in plan order (dates revived); a target not ended is missing. */
export async function readTargetResults(db: Database, scanId: number): Promise<Map<number, RunResult>> {
  const rows = await db
    .select({ target: scanTargetResults.target, result: scanTargetResults.result })
    .from(scanTargetResults)
    .where(eq(scanTargetResults.scanId, scanId))
    .orderBy(asc(scanTargetResults.target));
  return new Map(rows.map((r) => [r.target, reviveResult(r.result as unknown as RunResult)]));
}

function reviveResult(r: RunResult): RunResult {
  const date = (d: Date | string) => new Date(d);
  return {
    ...r,
    startedAt: date(r.startedAt),
    finishedAt: date(r.finishedAt),
    ...(r.cursor ? { cursor: { ...r.cursor, syncedAt: date(r.cursor.syncedAt) } } : {}),
  };
}

/** The resolved counts the scan's conclusion credited to each target, in plan order. */
export async function recordedResolutions(db: Database, scanId: number): Promise<number[]> {
  const rows = await db
    .select({ resolved: scanTargets.resolvedCount })
    .from(scanTargets)
    .where(eq(scanTargets.scanId, scanId))
    .orderBy(asc(scanTargets.id));
  return rows.map((r) => r.resolved);
}
