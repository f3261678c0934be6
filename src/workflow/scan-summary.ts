import type { CallStats } from '../aws/clients.js';
import type { DiscoveredAccount } from '../aws/organization.js';
import { resolveUnseen } from '../db/findings.js';
import { advanceCursors, recordTargets } from '../db/scans.js';
import { snapshotPosture } from '../posture/snapshot.js';
import { addCounts, emptyCounts } from './ingest.js';
import type { ScanEnvironment, ScanResult, TargetResult } from './scan.js';
import type { RunResult } from './scan-targets.js';

/**
 * A scan's conclusion, once every target settled: what the completed full syncs did not see is
 * resolved (a crash before this point resolves nothing), the completed syncs' cursors move, every
 * target's result is recorded, and each account the scan could read gets a posture snapshot.
 * Returns the totals, the accounts not scanned, and the summary the scan row keeps.
 */
export async function concludeScan(
  env: ScanEnvironment,
  ctx: {
    scanId: number;
    accounts: DiscoveredAccount[];
    results: RunResult[];
    discoveryStats: CallStats;
    now: () => Date;
  },
): Promise<Pick<ScanResult, 'totals' | 'notScanned'> & { summary: Record<string, unknown> }> {
  const { db } = env;
  const { scanId, accounts, results, discoveryStats, now } = ctx;
  // Only now, with every target settled, resolve what the completed full syncs did not see, and move
  // the completed syncs' cursors: a crash before this point resolves nothing and re-reads more next time.
  const completed = results.filter((r) => r.status === 'ok');
  const resolvedRows = await resolveUnseen(
    db,
    completed.flatMap((r) => r.resolveScopes ?? []),
    scanId,
    now(),
  );
  // Credit each resolution to the target whose scope covered it (with or without a region).
  const tally = new Map<string, number>();
  const bump = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
  for (const x of resolvedRows) {
    bump(`${x.source}|${x.accountId}|${x.region}`);
    bump(`${x.source}|${x.accountId}|*`);
  }
  for (const r of completed) {
    for (const scope of r.resolveScopes ?? []) {
      r.counts.resolved += tally.get(`${scope.source}|${scope.accountId}|${scope.region ?? '*'}`) ?? 0;
    }
  }
  await advanceCursors(
    db,
    completed.flatMap((r) => (r.cursor ? [r.cursor] : [])),
  );
  await recordTargets(
    db,
    results.map((r) => ({
      scanId: scanId,
      accountId: r.accountId,
      region: r.region,
      source: r.source,
      status: r.status,
      failureKind: r.failureKind ?? null,
      reason: r.reason ?? null,
      newCount: r.counts.new,
      updatedCount: r.counts.updated,
      resolvedCount: r.counts.resolved,
      reopenedCount: r.counts.reopened,
      throttles: r.throttles,
      apiCalls: r.apiCalls,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
    })),
  );

  const { totals, notScanned } = summarize(accounts, results, discoveryStats);

  // Only accounts the scan could read (some of): one it could not read keeps its last snapshot, and
  // an account never read has none, rather than a perfect score for having no findings on record.
  const read = new Set(
    results.filter((r) => r.status === 'ok').flatMap((r) => r.aggregatorCovers ?? [r.accountId]),
  );
  await snapshotPosture(
    db,
    scanId,
    now(),
    accounts.map((a) => a.id).filter((id) => read.has(id)),
  );
  const summary = {
    accounts: accounts.length,
    targets: results.length,
    failedTargets: results.filter((r) => r.status === 'failed').length,
    ...totals,
    notScanned: notScanned.map((n) => ({ accountId: n.accountId, reasons: n.reasons })),
  };
  return { totals, notScanned, summary };
}

/** A scan's totals (its discovery's calls included) and the accounts it could not read, and why. */
export function summarize(
  accounts: DiscoveredAccount[],
  results: TargetResult[],
  discoveryStats: CallStats,
): Pick<ScanResult, 'totals' | 'notScanned'> {
  const totals = {
    ...emptyCounts(),
    findings: 0,
    apiCalls: discoveryStats.apiCalls,
    throttles: discoveryStats.throttles,
  };
  for (const r of results) {
    addCounts(totals, r.counts);
    totals.findings += r.findings;
    totals.apiCalls += r.apiCalls;
    totals.throttles += r.throttles;
  }
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const reasons = new Map<string, string[]>();
  for (const r of results.filter((x) => x.status === 'failed')) {
    for (const id of (r as RunResult).aggregatorCovers ?? [r.accountId]) {
      const known = reasons.get(id) ?? [];
      if (!known.includes(r.reason ?? 'failed')) reasons.set(id, [...known, r.reason ?? 'failed']);
    }
  }
  const notScanned = [...reasons].map(([accountId, rs]) => ({
    accountId,
    name: names.get(accountId) ?? accountId,
    reasons: rs,
  }));

  return { totals, notScanned };
}
