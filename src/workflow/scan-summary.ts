import { type SQL, sql } from 'drizzle-orm';
import type { CallStats } from '../aws/clients.js';
import { type Database, rawRows } from '../db/client.js';
import { refreshControlStatuses, snapshotCompliance } from '../db/compliance.js';
import { applyStandardsRead, dropUnseenResults, standardsFromFindings } from '../db/control-results.js';
import { resolveUnseen } from '../db/findings.js';
import { issuesLackingTriage, repairIssues } from '../db/issues.js';
import { snapshotPosture } from '../posture/snapshot.js';
import { carryIssueTriage } from './issue-triage.js';
import type { ScanEnvironment, ScanResult } from './scan.js';
import type { ScannedAccount } from './scan-results.js';
import type { RunResult } from './scan-targets.js';

/** A scan's results as its conclusion leaves them on its row, for whoever follows it. */
export type ScanSummary = {
  [K in keyof ScanResult['totals']]: number;
} & {
  accounts: number;
  targets: number;
  failedTargets: number;
  notScanned: Array<{ accountId: string; reasons: string[] }>;
};

/**
 * A scan's conclusion, once every target's result is stored (`scan_target_results`): what the
 * completed full syncs did not see is resolved (a crash before this point resolves nothing), issues
 * regroup, the completed syncs' cursors move, every target's result is recorded in `scan_targets`
 * (`finishScan` then drops the working copies), each account the scan could read gets a posture snapshot and its
 * controls' statuses anew, and every scope's standards get a compliance snapshot. It runs in the
 * database: the scan's process holds no target's result, however many there are.
 */
export async function concludeScan(
  env: Pick<ScanEnvironment, 'db'>,
  ctx: {
    scanId: number;
    accounts: ScannedAccount[];
    discoveryStats: CallStats;
    now: () => Date;
  },
): Promise<Pick<ScanResult, 'targets' | 'totals' | 'notScanned'> & { summary: ScanSummary }> {
  const { db } = env;
  const { scanId, accounts, discoveryStats, now } = ctx;
  const results = sql`select target, result from scan_target_results where scan_id = ${scanId}`;
  // What the completed full syncs vouch for: findings and control results there that they did not see are gone.
  const vouched = sql`select r.target, s.source, s."accountId" as account_id, s.region
      from (${results}) r cross join lateral jsonb_to_recordset(r.result->'resolveScopes')
        as s(source text, "accountId" text, region text)
      where r.result->>'status' = 'ok'`;
  const readAccounts = readAccountIds(
    accounts,
    await rawRows<{ account: string }>(
      db,
      sql`select distinct result->>'accountId' as account from scan_target_results
        where scan_id = ${scanId} and status = 'ok'`,
    ),
  );
  // Findings and control results are concluded side by side, on two connections: neither reads what
  // the other writes (a control result's suppression is Security Hub's, never triage's). Both are
  // waited for before a failure of either is thrown, so that nothing of this conclusion still
  // runs once the scan is marked failed.
  const [findings, controls] = await Promise.allSettled([
    concludeFindings(db, vouched, scanId, readAccounts, now),
    concludeControls(db, vouched, results, scanId, readAccounts, now),
  ]);
  if (findings.status === 'rejected') throw findings.reason;
  if (controls.status === 'rejected') throw controls.reason;
  const credited = findings.value;
  await advanceCursors(db, results);
  await recordTargets(db, scanId, results, credited);
  const failed = await rawRows<{ result: RunResult }>(
    db,
    sql`select result from scan_target_results where scan_id = ${scanId} and status = 'failed' order by target`,
  );
  const { targets, totals } = await recordedTotals(db, scanId, discoveryStats);
  const notScanned = notScannedBy(
    accounts,
    failed.map((f) => f.result),
  );
  const summary: ScanSummary = {
    accounts: accounts.length,
    targets: targets.total,
    failedTargets: targets.failed,
    ...totals,
    notScanned: notScanned.map((n) => ({ accountId: n.accountId, reasons: n.reasons })),
  };
  return { targets, totals, notScanned, summary };
}

/**
 * Only accounts the scan could read (some of) get snapshots: one it could not read keeps its last
 * snapshot, and an account never read has none, rather than a perfect score for having no findings on
 * record.
 */
function readAccountIds(accounts: ScannedAccount[], read: Array<{ account: string }>): string[] {
  const readIds = new Set(read.map((r) => r.account));
  return accounts.map((a) => a.id).filter((id) => readIds.has(id));
}

/**
 * Findings: the triage carried where a stopped process left it undone, what the completed full syncs
 * did not see resolved, issues regrouped, and the read accounts' posture snapshots. Returns the
 * resolutions credited to each target.
 */
async function concludeFindings(
  db: Database,
  vouched: SQL,
  scanId: number,
  readAccounts: string[],
  now: () => Date,
): Promise<Array<{ target: number; resolved: number }>> {
  // The triage a finding should have taken from its issue, when a process stopped between storing and
  // carrying: before resolving, while the finding it comes from may still be unresolved.
  await carryIssueTriage(db, await issuesLackingTriage(db), now());
  const credited = await resolveUnseen(db, vouched, scanId, now());
  // One primary per issue, an unresolved one while any of its findings is: what resolving left, and
  // what two statements storing an issue's first findings at once, or a stopped process, did not do.
  await repairIssues(db);
  await snapshotPosture(db, scanId, now(), readAccounts);
  return credited;
}

/**
 * Control results and standards: what the completed full syncs did not see dropped, the standards
 * read applied, the read accounts' control statuses anew, then every scope's scores.
 */
async function concludeControls(
  db: Database,
  vouched: SQL,
  results: SQL,
  scanId: number,
  readAccounts: string[],
  now: () => Date,
): Promise<void> {
  await dropUnseenResults(db, vouched, scanId);
  await applyStandardsRead(db, results, now());
  await standardsFromFindings(db, results, now());
  await refreshControlStatuses(db, readAccounts, now());
  await snapshotCompliance(db, scanId, now());
}

/** Moves the cursors of the syncs that completed; a full sync also stamps fullSyncedAt. */
async function advanceCursors(db: Database, results: ReturnType<typeof sql>): Promise<void> {
  await rawRows(
    db,
    sql`insert into sync_cursors (source, scope, synced_at, full_synced_at)
      select c.source, c.scope, c."syncedAt", case when c."full" then c."syncedAt" end
      from (${results}) r cross join lateral jsonb_to_record(r.result->'cursor')
        as c(source text, scope text, "syncedAt" timestamptz, "full" boolean)
      where r.result->>'status' = 'ok' and r.result->'cursor' is not null
      on conflict (source, scope) do update set synced_at = excluded.synced_at,
        full_synced_at = coalesce(excluded.full_synced_at, sync_cursors.full_synced_at)`,
  );
}

/** Each target's result as the scan's record, in plan order, with the resolutions credited to it. */
async function recordTargets(
  db: Database,
  scanId: number,
  results: ReturnType<typeof sql>,
  credited: Array<{ target: number; resolved: number }>,
): Promise<void> {
  const literal = (values: number[]) => `{${values.join(',')}}`;
  await rawRows(
    db,
    sql`insert into scan_targets (scan_id, account_id, region, source, status, failure_kind, reason, "full",
        findings, new_count, updated_count, resolved_count, reopened_count, throttles, api_calls, started_at, finished_at)
      select ${scanId}::int, x->>'accountId', x->>'region', x->>'source', x->>'status', x->>'failureKind',
        x->>'reason', coalesce((x->>'full')::boolean, false), (x->>'findings')::int,
        (x->'counts'->>'new')::int, (x->'counts'->>'updated')::int,
        (x->'counts'->>'resolved')::int + coalesce(c.resolved, 0), (x->'counts'->>'reopened')::int,
        (x->>'throttles')::int, (x->>'apiCalls')::int, (x->>'startedAt')::timestamptz, (x->>'finishedAt')::timestamptz
      from (select target, result as x from (${results}) r) r
        left join unnest(${literal(credited.map((c) => c.target))}::int[], ${literal(credited.map((c) => c.resolved))}::int[])
          as c(target, resolved) on c.target = r.target
      order by r.target`,
  );
}

/** The scan's totals as recorded (its discovery's calls added) and how many targets it had and lost. */
async function recordedTotals(
  db: Database,
  scanId: number,
  discoveryStats: CallStats,
): Promise<Pick<ScanResult, 'targets' | 'totals'>> {
  const [row] = await rawRows<Record<string, number>>(
    db,
    sql`select count(*)::int as total, (count(*) filter (where status = 'failed'))::int as failed,
      coalesce(sum(new_count), 0)::int as new, coalesce(sum(updated_count), 0)::int as updated,
      coalesce(sum(resolved_count), 0)::int as resolved, coalesce(sum(reopened_count), 0)::int as reopened,
      coalesce(sum(findings), 0)::int as findings, coalesce(sum(api_calls), 0)::int as api_calls,
      coalesce(sum(throttles), 0)::int as throttles
    from scan_targets where scan_id = ${scanId}`,
  );
  const n = (key: string) => Number(row?.[key] ?? 0);
  return {
    targets: { total: n('total'), failed: n('failed') },
    totals: {
      new: n('new'),
      updated: n('updated'),
      resolved: n('resolved'),
      reopened: n('reopened'),
      findings: n('findings'),
      apiCalls: n('api_calls') + discoveryStats.apiCalls,
      throttles: n('throttles') + discoveryStats.throttles,
    },
  };
}

/** The accounts with a target that failed, and why (an aggregator's failure is every account's it covers). */
function notScannedBy(
  accounts: Array<Pick<ScannedAccount, 'id' | 'name'>>,
  failed: Array<Pick<RunResult, 'accountId' | 'reason' | 'aggregatorCovers'>>,
): ScanResult['notScanned'] {
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const reasons = new Map<string, string[]>();
  for (const r of failed) {
    for (const id of r.aggregatorCovers ?? [r.accountId]) {
      const known = reasons.get(id) ?? [];
      if (!known.includes(r.reason ?? 'failed')) reasons.set(id, [...known, r.reason ?? 'failed']);
    }
  }
  return [...reasons].map(([accountId, rs]) => ({
    accountId,
    name: names.get(accountId) ?? accountId,
    reasons: rs,
  }));
}
