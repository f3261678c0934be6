import { inArray } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { insertPostureSnapshots } from '../db/posture-snapshots.js';
import { accounts } from '../db/schema.js';
import { accountScore } from './score.js';
import { noFindings, openBySeverityByAccount } from './summary.js';

/** Writes one posture snapshot per account (open findings by severity, score, OU path) at the end of a scan. */
export async function snapshotPosture(
  db: Database,
  scanId: number,
  takenAt: Date,
  accountIds: string[],
): Promise<void> {
  if (accountIds.length === 0) return;
  const counts = await openBySeverityByAccount(db);
  const paths = new Map<string, string | null>();
  for (let i = 0; i < accountIds.length; i += 1000) {
    const some = await db
      .select({ id: accounts.id, ouPath: accounts.ouPath })
      .from(accounts)
      .where(inArray(accounts.id, accountIds.slice(i, i + 1000)));
    for (const a of some) paths.set(a.id, a.ouPath);
  }
  const values = accountIds.map((accountId) => {
    const c = counts.get(accountId);
    return {
      score: accountScore(c ?? noFindings()),
      scanId,
      takenAt,
      accountId,
      ouPath: paths.get(accountId) ?? null,
      openCritical: c?.critical ?? 0,
      openHigh: c?.high ?? 0,
      openMedium: c?.medium ?? 0,
      openLow: c?.low ?? 0,
      openInformational: c?.informational ?? 0,
    };
  });
  await insertPostureSnapshots(db, values);
}
