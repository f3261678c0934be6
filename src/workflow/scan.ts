import { setMaxListeners } from 'node:events';
import { appendAudit } from '../audit/trail.js';
import { type AwsClients, type CallStats, newStats } from '../aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../aws/credentials.js';
import { explainAwsError, type FailureKind, TargetError } from '../aws/errors.js';
import { fanOut } from '../aws/fanout.js';
import { type DiscoveredAccount, discoverAccounts } from '../aws/organization.js';
import { CREDENTIAL_REPORT_MIN_INTERVAL_MS, PAGE_LIMITS } from '../aws/quotas.js';
import { evaluateChecks } from '../collect/checks/cis.js';
import {
  fetchCredentialReport,
  MalformedReportError,
  ReportTimeoutError,
} from '../collect/credential-report.js';
import { fullSyncFilters, incrementalFilters, securityHubPages } from '../collect/securityhub.js';
import type { Config } from '../config.js';
import { knownPlacements, syncAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { DatabaseFailure, databaseTarget, describeDatabaseError } from '../db/errors.js';
import { type ResolveScope, resolveUnseen } from '../db/findings.js';
import {
  advanceCursors,
  createScan,
  finishScan,
  readCursors,
  recordTargets,
  renewLease,
} from '../db/scans.js';
import type { Scan, SyncCursor } from '../db/schema.js';
import type { Source } from '../findings/finding.js';
import type { Logger } from '../log.js';
import type { ScanProgress } from '../posture/scan-progress.js';
import { snapshotPosture } from '../posture/snapshot.js';
import { clipReason } from '../reasons.js';
import { addCounts, emptyCounts, type IngestCounts, ingestPage } from './ingest.js';

export interface ScanEnvironment {
  db: Database;
  config: Config;
  log: Logger;
  clients: AwsClients;
  now?: () => Date;
  /** First wait between credential-report polls (doubles each time). */
  reportPollBaseMs?: number;
}

export interface ScanRequest {
  /** Full reconciliation: every Security Hub target syncs in full, not only what changed. */
  full?: boolean;
  /** Only these accounts (ids); default: the whole organization. */
  accounts?: string[];
  trigger: 'cli' | 'schedule' | 'slack' | 'demo';
  requestedBy?: string;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
}

export type { ScanProgress };

export interface TargetResult {
  accountId: string;
  region: string;
  source: Source;
  /** Whether a Security Hub target synced in full (or only what changed). */
  full: boolean;
  status: 'ok' | 'failed';
  failureKind?: FailureKind;
  reason?: string;
  counts: IngestCounts;
  findings: number;
  apiCalls: number;
  throttles: number;
}

export interface ScanResult {
  scanId: number;
  kind: 'full' | 'incremental';
  accounts: DiscoveredAccount[];
  targets: TargetResult[];
  totals: IngestCounts & { findings: number; apiCalls: number; throttles: number };
  /** Accounts with at least one target that failed, and why. */
  notScanned: Array<{ accountId: string; name: string; reasons: string[] }>;
}

/** The scan could not run at all (no organization, no credentials): nothing was changed. */
export class ScanCannotRun extends Error {
  override name = 'ScanCannotRun';
}

/** Another scan holds the lease: this one did not start. */
export class ScanAlreadyRunning extends ScanCannotRun {
  override name = 'ScanAlreadyRunning';
  constructor(readonly running: Scan) {
    super(
      `scan ${running.id} is already running (started ${running.startedAt.toISOString()} by ${running.requestedBy ?? running.trigger})`,
    );
  }
}

/** The scan was stopped on request (a signal, Warden stopping): what it stored stays, nothing was resolved. */
export class ScanCancelled extends Error {
  override name = 'ScanCancelled';
}

/** Another process closed this scan as abandoned (its lease lapsed): it stops without writing more. */
class LeaseLost extends Error {
  override name = 'LeaseLost';
}

interface Target {
  source: Source;
  /** The account whose credentials the target uses. */
  accountId: string;
  region: string;
  /** The accounts whose findings this target covers (more than one in aggregator mode). */
  covers: string[];
  aggregator: boolean;
  /** Aggregator mode restricted to some accounts: the AwsAccountId filter (at most 20 values). */
  accountFilter?: string[];
  /** The sync cursor's scope; undefined when this target must not move a cursor. */
  cursorScope: string | undefined;
}

/**
 * Discovery's per-account Organizations calls (ListParents, ListTagsForResource) run at most this many
 * at once: AWS publishes no rate for them, so Warden stays modest and lets the SDK retry throttling.
 */
export const DISCOVERY_CONCURRENCY_MAX = 16;

/**
 * One scan of the organization: discover accounts, then collect every account × region × source
 * under a concurrency bound, storing findings page by page. A finding is resolved only when the
 * target that covers it completed; a failed target leaves its findings as they were.
 */
export async function runScan(env: ScanEnvironment, request: ScanRequest): Promise<ScanResult> {
  const { db, config, log } = env;
  const now = env.now ?? (() => new Date());
  const kind = request.full ? 'full' : 'incremental';
  const actor = request.requestedBy ?? `warden:${request.trigger}`;
  const created = await createScan(db, {
    kind,
    trigger: request.trigger,
    requestedBy: request.requestedBy ?? null,
    now: now(),
    leaseMs: config.aws.scan.leaseMs,
  }).catch((err: unknown) => {
    throw asFailure(err, config);
  });
  if (created.running) throw new ScanAlreadyRunning(created.running);
  const { scan } = created;
  for (const gone of created.abandoned) {
    log.warn({ scanId: gone.id, error: gone.error }, 'a scan left by a dead process was closed as abandoned');
    await appendAudit(db, {
      actor,
      action: 'scan.abandoned',
      subject: `scan:${gone.id}`,
      details: {
        kind: gone.kind,
        trigger: gone.trigger,
        startedAt: gone.startedAt.toISOString(),
        error: gone.error,
      },
    });
  }
  await appendAudit(db, {
    actor,
    action: 'scan.started',
    subject: `scan:${scan.id}`,
    details: { kind, accounts: request.accounts ?? 'all' },
  });

  log.info({ scanId: scan.id, kind, trigger: request.trigger }, 'scan started');
  // The scan stops as a whole on request, when its database fails, or when its lease is lost: in-flight
  // AWS calls are aborted, no target starts, and nothing is resolved.
  const stop = new AbortController();
  // Every target in flight listens to it (the fan-out's concurrency), besides the lease and discovery.
  setMaxListeners(config.aws.scan.concurrency + 8, stop.signal);
  const cancel = () =>
    stop.abort(
      new ScanCancelled(`cancelled: ${String(request.signal?.reason?.message ?? 'stop requested')}`),
    );
  request.signal?.addEventListener('abort', cancel, { once: true });
  if (request.signal?.aborted) cancel();
  const releaseLease = holdLease(env, scan.id, (reason) => stop.abort(reason));
  try {
    return await scanBody(env, request, {
      scan,
      kind,
      actor,
      now,
      signal: stop.signal,
      fail: (e) => stop.abort(e),
    });
  } catch (err) {
    const cause = stop.signal.aborted ? (stop.signal.reason as Error) : err;
    const ended = await recordEnd(env, { scanId: scan.id, actor, now }, cause);
    throw ended;
  } finally {
    releaseLease();
    request.signal?.removeEventListener('abort', cancel);
  }
}

/** A running scan renews its lease every third of WARDEN_SCAN_LEASE_SECONDS; returns what stops renewing. */
function holdLease(env: ScanEnvironment, scanId: number, lost: (reason: Error) => void): () => void {
  let renewing = false;
  const timer = setInterval(() => {
    if (renewing) return;
    renewing = true;
    renewLease(env.db, scanId)
      .then((held) => {
        if (!held) lost(new LeaseLost(`scan ${scanId} was closed by another process while it ran`));
      })
      .catch((err) => lost(asFailure(err, env.config)))
      .finally(() => {
        renewing = false;
      });
  }, env.config.aws.scan.leaseMs / 3);
  timer.unref();
  return () => clearInterval(timer);
}

/** A database error as a DatabaseFailure (one line naming the database); anything else unchanged. */
function asFailure(err: unknown, config: Config): Error {
  if (err instanceof DatabaseFailure) return err;
  const database = describeDatabaseError(err, databaseTarget(config.database.url));
  return database ? new DatabaseFailure(database, { cause: err }) : (err as Error);
}

/**
 * Records how a scan that did not complete ended: cancelled, or failed with its reason (a database
 * failure is recorded if the database still answers). Returns the error the caller sees.
 */
async function recordEnd(
  env: ScanEnvironment,
  ctx: { scanId: number; actor: string; now: () => Date },
  cause: unknown,
): Promise<Error> {
  const error = asFailure(cause, env.config);
  if (error instanceof LeaseLost) return new ScanCannotRun(error.message, { cause: error });
  const cancelled = error instanceof ScanCancelled;
  const message = clipReason(error.message ?? String(error));
  try {
    const closed = await finishScan(env.db, ctx.scanId, {
      status: cancelled ? 'cancelled' : 'failed',
      error: message,
      now: ctx.now(),
    });
    if (closed)
      await appendAudit(env.db, {
        actor: ctx.actor,
        action: cancelled ? 'scan.cancelled' : 'scan.failed',
        subject: `scan:${ctx.scanId}`,
        details: { error: message },
      });
  } catch (err) {
    // The database is gone too: the lease lapses and the next scan closes this one as abandoned.
    env.log.error(
      { scanId: ctx.scanId, err: asFailure(err, env.config).message },
      'could not record how the scan ended',
    );
  }
  return error;
}

async function scanBody(
  env: ScanEnvironment,
  request: ScanRequest,
  ctx: {
    scan: Scan;
    kind: 'full' | 'incremental';
    actor: string;
    now: () => Date;
    signal: AbortSignal;
    fail: (reason: Error) => void;
  },
): Promise<ScanResult> {
  const { db, config, log } = env;
  const { scan, kind, actor, now, signal } = ctx;
  const discoveryStats = newStats();
  let accounts: DiscoveredAccount[];
  try {
    accounts = await untilAborted(
      discoverAccounts(env.clients.organizations(discoveryStats), {
        concurrency: Math.min(config.aws.scan.concurrency, DISCOVERY_CONCURRENCY_MAX),
        ...(request.full ? {} : { known: await knownPlacements(db) }),
        ...(request.accounts ? { only: request.accounts } : {}),
      }),
      signal,
    );
  } catch (err) {
    if (signal.aborted || describeDatabaseError(err, databaseTarget(config.database.url))) throw err;
    throw new ScanCannotRun(`cannot list the organization's accounts: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const unknown = (request.accounts ?? []).filter((id) => !accounts.some((a) => a.id === id));
  if (unknown.length > 0)
    throw new ScanCannotRun(`not ACTIVE accounts of the organization: ${unknown.join(', ')}`);
  await syncAccounts(
    db,
    accounts.map((a) => ({
      id: a.id,
      name: a.name,
      email: a.email ?? null,
      state: a.state,
      ouId: a.ouId,
      ouPath: a.ouPath,
      tags: a.tags,
      joinedAt: a.joinedAt ?? null,
    })),
    now(),
    { complete: !request.accounts },
  );

  // IAM hands back the same credential report for 4 hours, so an incremental scan skips the
  // accounts whose report was read more recently than that; a full scan reads every one.
  const reportCutoff = now().getTime() - CREDENTIAL_REPORT_MIN_INTERVAL_MS;
  const freshReports = request.full
    ? new Set<string>()
    : new Set(
        (await readCursors(db, 'credential-report'))
          .filter((c) => c.syncedAt.getTime() > reportCutoff)
          .map((c) => c.scope),
      );
  const cursors = new Map((await readCursors(db, 'securityhub')).map((c) => [c.scope, c]));
  const targets = planTargets(config, accounts, Boolean(request.accounts), freshReports);
  const roles = new AssumedRoles(env.clients.sts(discoveryStats), auditRoleSpec(config.aws.auditRole));

  const progress: ScanProgress = {
    accountsDone: 0,
    accountsTotal: accounts.length,
    findings: 0,
    failures: 0,
    throttles: 0,
  };
  const remaining = new Map(accounts.map((a) => [a.id, 0]));
  for (const t of targets) for (const id of t.covers) remaining.set(id, (remaining.get(id) ?? 0) + 1);
  request.onProgress?.({ ...progress });

  const settled = await fanOut(
    targets,
    (t, signal) =>
      runTarget(env, t, {
        scanId: scan.id,
        full: Boolean(request.full),
        roles,
        cursors,
        signal,
        progress,
        now,
        fail: ctx.fail,
      }),
    {
      concurrency: config.aws.scan.concurrency,
      timeoutMs: config.aws.scan.targetTimeoutMs,
      signal,
      onSettled: (s) => {
        // A target that did not settle by itself is a failure too (timedOut explains it below).
        if (!s.ok || s.value.status === 'failed') progress.failures += 1;
        for (const id of s.item.covers) {
          const left = (remaining.get(id) ?? 1) - 1;
          remaining.set(id, left);
          if (left === 0) progress.accountsDone += 1;
        }
        request.onProgress?.({ ...progress });
      },
    },
  );
  const results = settled.map((s) => (s.ok ? s.value : timedOut(s.item, s.error, now())));
  // Stopped (cancelled, the database failed, the lease lost): what was stored stays, nothing resolves.
  if (signal.aborted) throw signal.reason;

  // Only now, with every target settled, resolve what the completed full syncs did not see, and move
  // the completed syncs' cursors: a crash before this point resolves nothing and re-reads more next time.
  const completed = results.filter((r) => r.status === 'ok');
  const resolvedRows = await resolveUnseen(
    db,
    completed.flatMap((r) => r.resolveScopes ?? []),
    scan.id,
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
      scanId: scan.id,
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
    for (const id of r.aggregatorCovers ?? [r.accountId]) {
      const known = reasons.get(id) ?? [];
      if (!known.includes(r.reason ?? 'failed')) reasons.set(id, [...known, r.reason ?? 'failed']);
    }
  }
  const notScanned = [...reasons].map(([accountId, rs]) => ({
    accountId,
    name: names.get(accountId) ?? accountId,
    reasons: rs,
  }));

  // Only accounts the scan could read (some of): one it could not read keeps its last snapshot, and
  // an account never read has none, rather than a perfect score for having no findings on record.
  const read = new Set(
    results.filter((r) => r.status === 'ok').flatMap((r) => r.aggregatorCovers ?? [r.accountId]),
  );
  await snapshotPosture(
    db,
    scan.id,
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
  if (!(await finishScan(db, scan.id, { status: 'completed', summary, now: now() })))
    throw new LeaseLost(`scan ${scan.id} was closed by another process while it ran`);
  await appendAudit(db, { actor, action: 'scan.completed', subject: `scan:${scan.id}`, details: summary });
  log.info({ scanId: scan.id, ...totals, failedTargets: summary.failedTargets }, 'scan completed');
  return { scanId: scan.id, kind, accounts, targets: results, totals, notScanned };
}

/** Resolves as `work` does, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function planTargets(
  config: Config,
  accounts: DiscoveredAccount[],
  restricted: boolean,
  freshReports: Set<string>,
): Target[] {
  const ids = accounts.map((a) => a.id);
  const targets: Target[] = accounts
    .filter((a) => !freshReports.has(a.id))
    .map((a) => ({
      source: 'credential-report',
      accountId: a.id,
      region: 'global',
      covers: [a.id],
      aggregator: false,
      cursorScope: a.id,
    }));
  const hub = config.aws.securityHub;
  if (hub.mode === 'aggregator' && !restricted) {
    targets.push({
      source: 'securityhub',
      accountId: hub.adminAccountId,
      region: hub.aggregationRegion,
      covers: ids,
      aggregator: true,
      cursorScope: `aggregator|${hub.adminAccountId}|${hub.aggregationRegion}`,
    });
  } else if (hub.mode === 'aggregator') {
    // Some accounts only: one stream per 20 accounts (the most values a filter takes), always in full,
    // and the organization-wide cursor stays where it is.
    for (let i = 0; i < ids.length; i += PAGE_LIMITS.securityHubFilterValues) {
      const some = ids.slice(i, i + PAGE_LIMITS.securityHubFilterValues);
      targets.push({
        source: 'securityhub',
        accountId: hub.adminAccountId,
        region: hub.aggregationRegion,
        covers: some,
        aggregator: true,
        accountFilter: some,
        cursorScope: undefined,
      });
    }
  } else {
    for (const a of accounts) {
      for (const region of config.aws.regions) {
        targets.push({
          source: 'securityhub',
          accountId: a.id,
          region,
          covers: [a.id],
          aggregator: false,
          cursorScope: `${a.id}|${region}`,
        });
      }
    }
  }
  return targets;
}

type RunResult = TargetResult & {
  aggregatorCovers?: string[];
  startedAt: Date;
  finishedAt: Date;
  /** What a completed full sync vouches for: unseen findings there get resolved. */
  resolveScopes?: ResolveScope[];
  /** The sync cursor a completed sync moves. */
  cursor?: { source: string; scope: string; syncedAt: Date; full: boolean };
};

/** What a target had done when it ended, whichever way it ended. */
interface TargetRun {
  stats: CallStats;
  counts: IngestCounts;
  findings: number;
  full: boolean;
  startedAt: Date;
}

function result(t: Target, run: TargetRun, now: Date, error?: TargetError): RunResult {
  return {
    accountId: t.accountId,
    region: t.region,
    source: t.source,
    full: run.full,
    status: error ? 'failed' : 'ok',
    ...(error ? { failureKind: error.kind, reason: clipReason(error.message) } : {}),
    counts: run.counts,
    findings: run.findings,
    apiCalls: run.stats.apiCalls,
    throttles: run.stats.throttles,
    startedAt: run.startedAt,
    finishedAt: now,
    ...(error && t.aggregator ? { aggregatorCovers: t.covers } : {}),
  };
}

/** A target that did not settle by itself (its time limit, or a cancelled scan). */
function timedOut(t: Target, error: unknown, now: Date): RunResult {
  const call = t.source === 'securityhub' ? 'securityhub:GetFindings' : 'iam:GetCredentialReport';
  const explained = explainAwsError(
    error,
    { account: t.accountId, region: t.region, call },
    AbortSignal.abort(),
  );
  return result(
    t,
    { stats: newStats(), counts: emptyCounts(), findings: 0, full: false, startedAt: now },
    now,
    explained,
  );
}

async function runTarget(
  env: ScanEnvironment,
  t: Target,
  ctx: {
    scanId: number;
    full: boolean;
    roles: AssumedRoles;
    cursors: Map<string, SyncCursor>;
    signal: AbortSignal;
    progress: ScanProgress;
    now: () => Date;
    /** Stops the whole scan: its database failed. */
    fail: (reason: Error) => void;
  },
): Promise<RunResult> {
  const { db, config, clients } = env;
  const run: TargetRun = {
    stats: newStats(),
    counts: emptyCounts(),
    findings: 0,
    full: t.source === 'credential-report' || ctx.full,
    startedAt: ctx.now(),
  };
  const { stats, counts } = run;
  const store = async (page: Parameters<typeof ingestPage>[1]) => {
    addCounts(counts, await ingestPage(db, page, ctx.scanId, ctx.now()));
    run.findings += page.length;
    ctx.progress.findings += page.length;
  };
  try {
    const credentials = await ctx.roles.credentialsFor(t.accountId);
    if (t.source === 'credential-report') {
      const report = await fetchCredentialReport(clients.iam(credentials, stats), {
        timeoutMs: config.aws.scan.reportTimeoutMs,
        ...(env.reportPollBaseMs !== undefined ? { pollBaseMs: env.reportPollBaseMs } : {}),
        signal: ctx.signal,
      });
      const found = evaluateChecks({
        accountId: t.accountId,
        report,
        thresholds: config.policy.checks,
        now: ctx.now(),
      });
      await store(found);
      ctx.progress.throttles += stats.throttles;
      return {
        ...result(t, run, ctx.now()),
        resolveScopes: [{ source: t.source, accountId: t.accountId }],
        cursor: { source: t.source, scope: t.accountId, syncedAt: report.generatedAt, full: true },
      };
    } else {
      const cursor = t.cursorScope ? ctx.cursors.get(t.cursorScope) : undefined;
      run.full ||= !cursor?.fullSyncedAt;
      const full = run.full;
      const fetchStartedAt = ctx.now();
      const only = t.accountFilter;
      const filters = full
        ? fullSyncFilters(only)
        : incrementalFilters(
            new Date(cursor!.syncedAt.getTime() - config.aws.scan.incrementalOverlapMs),
            fetchStartedAt,
            only,
          );
      const client = clients.securityHub(credentials, t.accountId, t.region, stats);
      for await (const page of securityHubPages(client, filters, ctx.signal)) await store(page);
      ctx.progress.throttles += stats.throttles;
      return {
        ...result(t, run, ctx.now()),
        ...(full
          ? {
              resolveScopes: t.covers.map((accountId) => ({
                source: 'securityhub',
                accountId,
                ...(t.aggregator ? {} : { region: t.region }),
              })),
            }
          : {}),
        ...(t.cursorScope
          ? { cursor: { source: 'securityhub', scope: t.cursorScope, syncedAt: fetchStartedAt, full } }
          : {}),
      };
    }
  } catch (err) {
    ctx.progress.throttles += stats.throttles;
    // The database failing is not the account's fault: the whole scan stops, and no account is blamed.
    const database = describeDatabaseError(err, databaseTarget(config.database.url));
    if (database) {
      const failure = new DatabaseFailure(database, { cause: err });
      ctx.fail(failure);
      throw failure;
    }
    const where = {
      account: t.accountId,
      region: t.region,
      call:
        stats.lastCall ??
        (t.source === 'securityhub' ? 'securityhub:GetFindings' : 'iam:GenerateCredentialReport'),
    };
    const explained =
      err instanceof MalformedReportError
        ? new TargetError(
            'report-malformed',
            { ...where, call: 'iam:GetCredentialReport' },
            `the credential report could not be read: ${err.message}`,
          )
        : err instanceof ReportTimeoutError
          ? new TargetError('report-unavailable', where, `${err.message}; try again later`)
          : explainAwsError(err, where, ctx.signal);
    env.log.warn(
      { account: t.accountId, region: t.region, source: t.source, kind: explained.kind },
      explained.message,
    );
    return result(t, run, ctx.now(), explained);
  }
}
