import { eq } from 'drizzle-orm';
import type { DiscoveredAccount } from '../aws/organization.js';
import type { Database } from '../db/client.js';
import { scans, scanTargetResults } from '../db/schema.js';
import { type Target, type TargetList, targetArray } from './scan-plan.js';
import type { RunResult } from './scan-targets.js';

/**
 * What a scan keeps of an account once discovery has recorded it (OU, tags, email are in `accounts`):
 * what its result shows. The rest would cost half a kilobyte per account for the scan's whole run.
 */
export type ScannedAccount = Pick<DiscoveredAccount, 'id' | 'name' | 'ouPath'>;

export const scannedAccount = (a: ScannedAccount): ScannedAccount => ({
  id: a.id,
  name: a.name,
  ouPath: a.ouPath,
});

/** What a scan reads; a durable scan's is kept on its row once discovery is done, so that a resumed scan does not discover again. */
export interface ScanPlan {
  accounts: ScannedAccount[];
  targets: TargetList;
}

export async function storePlan(db: Database, scanId: number, plan: ScanPlan): Promise<void> {
  const stored = { accounts: plan.accounts, targets: targetArray(plan.targets) };
  await db
    .update(scans)
    .set({ plan: stored as unknown as Record<string, unknown> })
    .where(eq(scans.id, scanId));
}

/** The plan a scan stored, or undefined before discovery ended. */
export async function readPlan(db: Database, scanId: number): Promise<ScanPlan | undefined> {
  const [row] = await db.select({ plan: scans.plan }).from(scans).where(eq(scans.id, scanId));
  const plan = row?.plan as unknown as { accounts: ScannedAccount[]; targets: Target[] } | null | undefined;
  if (!plan) return undefined;
  // A plan stored before scans kept less of each account holds every field: only these are read.
  return { targets: plan.targets, accounts: plan.accounts.map(scannedAccount) };
}

const resultRow = (scanId: number, target: number, result: RunResult) => ({
  scanId,
  target,
  status: result.status,
  findings: result.findings,
  throttles: result.throttles,
  result: result as unknown as Record<string, unknown>,
});

/** Records what a target ended with; the first answer stands (false when one was already there). */
export async function recordTargetResult(
  db: Database,
  scanId: number,
  target: number,
  result: RunResult,
): Promise<boolean> {
  const rows = await db
    .insert(scanTargetResults)
    .values(resultRow(scanId, target, result))
    .onConflictDoNothing()
    .returning({ target: scanTargetResults.target });
  return rows.length > 0;
}

/**
 * A scan's target results on their way to the database as the targets end, a few hundred to a
 * statement: the scan keeps none of them, so its memory does not grow with its targets, and its
 * conclusion reads them there. The first to fail stops the scan (`fail`).
 */
export class TargetResultWrites {
  private pending: ReturnType<typeof resultRow>[] = [];
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly scanId: number,
    private readonly fail: (reason: unknown) => void,
    private readonly rows = 500,
  ) {}

  add(target: number, result: RunResult): void {
    this.pending.push(resultRow(this.scanId, target, result));
    if (this.pending.length >= this.rows) this.flush();
  }

  /** Settles once every result added is stored, or with the first failure. */
  async stored(): Promise<void> {
    this.flush();
    await this.writes;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    // One statement at a time, in order; after a failure nothing more is sent.
    this.writes = this.writes.then(async () => {
      await this.db.insert(scanTargetResults).values(batch).onConflictDoNothing();
    });
    this.writes.catch(this.fail);
  }
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
