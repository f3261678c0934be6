import { setMaxListeners } from 'node:events';
import { eq } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import { type AwsClients, type CallStats, newStats } from '../aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../aws/credentials.js';
import type { FailureKind } from '../aws/errors.js';
import { fanOut } from '../aws/fanout.js';
import { type DiscoveredAccount, discoverAccounts } from '../aws/organization.js';
import { sleep } from '../aws/sleep.js';
import type { Config } from '../config.js';
import { knownPlacements, syncAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { DatabaseFailure, databaseTarget, describeDatabaseError } from '../db/errors.js';
import { createScan, finishScan, incrementalFrom, renewLease } from '../db/scans.js';
import { type Scan, scans } from '../db/schema.js';
import { type ErrorCode, WardenError } from '../errors.js';
import type { Source } from '../findings/finding.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ScanProgress } from '../posture/scan-progress.js';
import { clipReason } from '../reasons.js';
import { IngestBatches, type IngestCounts, ingestOptions } from './ingest.js';
import type { CoordinateJob, ScanJobs } from './scan-jobs.js';
import { freshReportAccounts, planTargets, targetArray } from './scan-plan.js';
import {
  readPlan,
  recordTargetResult,
  type ScannedAccount,
  type ScanPlan,
  scannedAccount,
  storePlan,
  TargetResultWrites,
  targetsEnded,
} from './scan-results.js';
import { concludeScan, type ScanSummary } from './scan-summary.js';
import { lostTarget, runTarget, timedOut } from './scan-targets.js';
import { securityHubApi } from './securityhub-api.js';

export interface ScanEnvironment {
  db: Database;
  config: Config;
  log: Logger;
  clients: AwsClients;
  now?: () => Date;
  /** First wait between credential-report polls (doubles each time). */
  reportPollBaseMs?: number;
  /**
   * The audit role's credentials per account, kept from one scan to the next until they near their
   * expiry (`warden serve` hands in its own); without it, a scan assumes the role afresh.
   */
  auditRoles?: AssumedRoles;
  /** Scan phases, targets, findings and the queue of waiting targets, for `/metrics`. */
  metrics?: Metrics;
  /**
   * The durable job queues (PostgreSQL): a scan's coordination and targets become jobs any Warden
   * process takes. Without it (the embedded database, tests) the scan runs in this process.
   */
  scanJobs?: ScanJobs;
}

export interface ScanRequest {
  /** Full reconciliation: every Security Hub target syncs in full, not only what changed. */
  full?: boolean;
  /** Only these accounts (ids); default: the whole organization. */
  accounts?: string[];
  trigger: 'cli' | 'schedule' | 'slack' | 'demo';
  requestedBy?: string;
  signal?: AbortSignal;
  /**
   * Stops waiting for the scan without cancelling it: a durable scan goes on in the other processes
   * (a replica that stops while its scheduled scan runs). A scan in this process only is cancelled.
   */
  leave?: AbortSignal;
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
  accounts: ScannedAccount[];
  /** How many targets the scan had and how many failed; each one's result is in `scan_targets`. */
  targets: { total: number; failed: number };
  totals: IngestCounts & { findings: number; apiCalls: number; throttles: number };
  /** Accounts with at least one target that failed, and why. */
  notScanned: Array<{ accountId: string; name: string; reasons: string[] }>;
}

/** The scan could not run at all (no organization, no credentials): nothing was changed. */
export class ScanCannotRun extends WardenError {
  constructor(message: string, options?: { cause?: unknown; code?: 'scan-already-running' }) {
    super(options?.code ?? 'scan-cannot-run', message, options);
  }
}

/** Another scan holds the lease: this one did not start. */
export class ScanAlreadyRunning extends ScanCannotRun {
  constructor(readonly running: Scan) {
    super(
      `scan ${running.id} is already running (started ${running.startedAt.toISOString()} by ${running.requestedBy ?? running.trigger})`,
      { code: 'scan-already-running' },
    );
  }
}

/** The scan was stopped on request (a signal, Warden stopping): what it stored stays, nothing was resolved. */
export class ScanCancelled extends WardenError {
  constructor(message: string) {
    super('scan-cancelled', message);
  }
}

/** This process stopped waiting for a durable scan, which goes on in the other Warden processes. */
export class ScanLeft extends WardenError {
  constructor(message: string) {
    super('scan-left', message);
  }
}

/** Another process closed this scan as abandoned (its lease lapsed): it stops without writing more. */
class LeaseLost extends WardenError {
  constructor(message: string) {
    super('scan-lease-lost', message);
  }
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
  const run = { scan, kind, actor, now } as const;
  return env.scanJobs ? followDurableScan(env, request, run) : runHere(env, request, run);
}

/** A scan run by this process alone: every target in its fan-out, concluded here. */
async function runHere(
  env: ScanEnvironment,
  request: ScanRequest,
  run: Pick<ScanRun, 'scan' | 'kind' | 'actor' | 'now'>,
): Promise<ScanResult> {
  const { config } = env;
  const { scan, actor, now } = run;
  // The scan stops as a whole on request, when its database fails, or when its lease is lost: in-flight
  // AWS calls are aborted, no target starts, and nothing is resolved.
  const stop = new AbortController();
  // Every target in flight listens to it (the fan-out's concurrency), besides the lease and discovery.
  setMaxListeners(config.aws.scan.concurrency + 8, stop.signal);
  const asked = [request.signal, request.leave].filter((s): s is AbortSignal => Boolean(s));
  const cancel = () =>
    stop.abort(
      new ScanCancelled(
        `cancelled: ${String(asked.find((s) => s.aborted)?.reason?.message ?? 'stop requested')}`,
      ),
    );
  for (const s of asked) s.addEventListener('abort', cancel, { once: true });
  if (asked.some((s) => s.aborted)) cancel();
  const releaseLease = holdLease(env, scan.id, (reason) => stop.abort(reason));
  try {
    return await scanBody(env, request, { ...run, signal: stop.signal, fail: (e) => stop.abort(e) });
  } catch (err) {
    const cause = stop.signal.aborted ? (stop.signal.reason as Error) : err;
    throw await recordEnd(env, { scanId: scan.id, actor, now }, cause);
  } finally {
    releaseLease();
    for (const s of asked) s.removeEventListener('abort', cancel);
  }
}

/** How often a process waiting for a durable scan looks at it. */
const DURABLE_POLL_MS = 500;

/**
 * A durable scan: its coordination becomes a job that any Warden process may take (this one too), and
 * this process follows it in the database until it ends, drawing its progress. Cancelling it (the
 * request's signal) closes it as cancelled; leaving it (`leave`) stops only the waiting.
 */
async function followDurableScan(
  env: ScanEnvironment,
  request: ScanRequest,
  run: Pick<ScanRun, 'scan' | 'kind' | 'actor' | 'now'>,
): Promise<ScanResult> {
  const { db } = env;
  const { scan, actor, now } = run;
  const ctx = { scanId: scan.id, actor, now };
  try {
    await env.scanJobs!.coordinate({
      scanId: scan.id,
      full: Boolean(request.full),
      ...(request.accounts ? { accounts: request.accounts } : {}),
      trigger: request.trigger,
      ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    });
    let plan: ScanPlan | undefined;
    for (;;) {
      if (request.signal?.aborted)
        throw await recordEnd(
          env,
          ctx,
          new ScanCancelled(`cancelled: ${String(request.signal.reason?.message ?? 'stop requested')}`),
        );
      if (request.leave?.aborted) throw new ScanLeft(`scan ${scan.id} goes on in the other Warden processes`);
      const [row] = await db.select().from(scans).where(eq(scans.id, scan.id));
      if (row && row.status !== 'running') {
        const result = await endedScan(env, row, plan);
        // The last progress is the conclusion's: the targets' working rows are gone by now.
        request.onProgress?.({
          accountsDone: result.accounts.length,
          accountsTotal: result.accounts.length,
          findings: result.totals.findings,
          failures: result.targets.failed,
          throttles: result.totals.throttles,
        });
        return result;
      }
      plan ??= await readPlan(db, scan.id);
      if (plan && request.onProgress) request.onProgress(progressOf(plan, await targetsEnded(db, scan.id)));
      // Woken early by a cancel or a leave, which the next turn handles.
      await sleep(
        DURABLE_POLL_MS,
        AbortSignal.any([request.signal, request.leave].filter((x): x is AbortSignal => Boolean(x))),
      ).catch(() => {});
    }
  } catch (err) {
    if (err instanceof WardenError) throw err;
    throw asFailure(err, env.config);
  }
}

/** What a durable scan that ended gives its follower: the result, or the error it ended with. */
async function endedScan(env: ScanEnvironment, row: Scan, known?: ScanPlan): Promise<ScanResult> {
  const error = row.error ?? row.status;
  if (row.status === 'cancelled') throw new ScanCancelled(error);
  if (row.status === 'abandoned') throw new ScanCannotRun(error);
  if (row.status === 'failed')
    throw new WardenError((row.summary?.code as ErrorCode | undefined) ?? 'scan-failed', error);
  const plan = known ?? (await readPlan(env.db, row.id))!;
  // The conclusion's summary: its totals (discovery's calls counted) and the accounts it could not read.
  const summary = row.summary as unknown as ScanSummary;
  const { new: added, updated, resolved, reopened, findings, apiCalls, throttles } = summary;
  const totals = { new: added, updated, resolved, reopened, findings, apiCalls, throttles };
  const names = new Map(plan.accounts.map((a) => [a.id, a.name]));
  const notScanned = summary.notScanned.map((n) => ({ ...n, name: names.get(n.accountId) ?? n.accountId }));
  return {
    scanId: row.id,
    kind: row.kind,
    accounts: plan.accounts,
    targets: { total: summary.targets, failed: summary.failedTargets },
    totals,
    notScanned,
  };
}

/** A scan's progress from the targets that ended, as its own process counts it. */
function progressOf(
  plan: ScanPlan,
  ended: Array<{ target: number; status: string; findings: number; throttles: number }>,
): ScanProgress {
  const remaining = targetsPerAccount(plan);
  const progress: ScanProgress = {
    accountsDone: 0,
    accountsTotal: plan.accounts.length,
    findings: 0,
    failures: 0,
    throttles: 0,
  };
  for (const e of ended) {
    progress.findings += e.findings;
    progress.throttles += e.throttles;
    if (e.status === 'failed') progress.failures += 1;
    progress.accountsDone += settleCovers(remaining, plan.targets.at(e.target)?.covers ?? []);
  }
  return progress;
}

/**
 * A scan's coordination, as a durable job: discover and plan (unless a process before this one did),
 * queue the targets not read yet, wait for them all, conclude. When this process stops, the job goes
 * back to the queue and another process resumes the scan where it was; a scan that ended is left alone.
 */
export async function coordinateScan(
  env: ScanEnvironment,
  job: CoordinateJob,
  processStop: AbortSignal,
): Promise<void> {
  const now = env.now ?? (() => new Date());
  const [scan] = await env.db.select().from(scans).where(eq(scans.id, job.scanId));
  if (scan?.status !== 'running') return;
  const request: ScanRequest = {
    full: job.full,
    ...(job.accounts ? { accounts: job.accounts } : {}),
    trigger: job.trigger as ScanRequest['trigger'],
    ...(job.requestedBy ? { requestedBy: job.requestedBy } : {}),
  };
  const actor = job.requestedBy ?? `warden:${job.trigger}`;
  const stop = new AbortController();
  const leave = () => stop.abort(processStop.reason);
  processStop.addEventListener('abort', leave, { once: true });
  const releaseLease = holdLease(env, scan.id, (reason) => stop.abort(reason));
  await renewLease(env.db, scan.id);
  env.log.info({ scanId: scan.id }, 'coordinating the scan');
  try {
    await scanBody(env, request, {
      scan,
      kind: scan.kind,
      actor,
      now,
      signal: stop.signal,
      fail: (e) => stop.abort(e),
    });
  } catch (err) {
    // This process stops: the scan is not over, another process takes its coordination over.
    if (processStop.aborted) throw processStop.reason;
    const cause = stop.signal.aborted ? (stop.signal.reason as Error) : err;
    await recordEnd(env, { scanId: scan.id, actor, now }, cause);
  } finally {
    releaseLease();
    processStop.removeEventListener('abort', leave);
  }
}

/**
 * What a process that stops does to the scan it started: a durable scan goes on in the other
 * processes (it only stops waiting); a scan in this process alone is cancelled.
 */
export function untilStopped(deps: { stop: AbortSignal; scanJobs?: ScanJobs | undefined }) {
  return deps.scanJobs ? { leave: deps.stop } : { signal: deps.stop };
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
      // The kind of failure, for a process that follows the scan from another one.
      ...(error instanceof WardenError ? { summary: { code: error.code } } : {}),
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

/** What the phases of one scan share. */
interface ScanRun {
  scan: Scan;
  kind: 'full' | 'incremental';
  actor: string;
  now: () => Date;
  signal: AbortSignal;
  fail: (reason: Error) => void;
}

/**
 * One scan, once it holds its lease: discover and plan (a durable scan resumed by another process
 * finds its plan stored), collect every target, conclude.
 */
async function scanBody(env: ScanEnvironment, request: ScanRequest, ctx: ScanRun): Promise<ScanResult> {
  const { db, config, log } = env;
  const { scan, kind, actor, now, signal } = ctx;
  const discoveryStats = newStats();
  const phase = (name: string) => env.metrics?.scanPhaseSeconds.startTimer({ kind, phase: name });
  const roles =
    env.auditRoles ??
    new AssumedRoles(
      env.clients.sts(discoveryStats),
      auditRoleSpec(config.aws.auditRole, config.aws.partition),
    );
  let plan = env.scanJobs ? await readPlan(db, scan.id) : undefined;
  if (!plan) {
    const discovered = phase('discovery');
    plan = await discoverAndPlan(env, request, ctx, roles, discoveryStats);
    discovered?.();
    if (env.scanJobs) await storePlan(db, scan.id, plan);
  }
  const { accounts } = plan;
  const collected = phase('collect');
  if (env.scanJobs) await collectDurable(env, request, ctx, plan);
  else await collect(env, request, ctx, { ...plan, roles });
  collected?.();
  // Stopped (cancelled, the database failed, the lease lost): what was stored stays, nothing resolves.
  if (signal.aborted) throw signal.reason;

  const concluded = phase('conclude');
  const conclude = async (tx: Database) => {
    const conclusion = await concludeScan(
      { ...env, db: tx },
      { scanId: scan.id, accounts, discoveryStats, now },
    );
    if (!(await finishScan(tx, scan.id, { status: 'completed', summary: conclusion.summary, now: now() })))
      throw new LeaseLost(`scan ${scan.id} was closed by another process while it ran`);
    return conclusion;
  };
  // A durable scan concludes in one transaction: a process that dies in the middle leaves nothing
  // half-done for the one that takes the coordination over.
  const { targets, totals, notScanned, summary } = env.scanJobs
    ? await db.transaction((tx) => conclude(tx as unknown as Database))
    : await conclude(db);
  concluded?.();
  await appendAudit(db, { actor, action: 'scan.completed', subject: `scan:${scan.id}`, details: summary });
  log.info({ scanId: scan.id, ...totals, failedTargets: summary.failedTargets }, 'scan completed');
  return { scanId: scan.id, kind, accounts, targets, totals, notScanned };
}

/**
 * A durable scan's targets: queue those without a result (all of them, unless this coordination
 * resumes another's), then wait for every one to end in whichever process takes it. A target whose
 * job ran out of retries is recorded as failed, so that the scan concludes without it.
 */
async function collectDurable(
  env: ScanEnvironment,
  request: ScanRequest,
  ctx: ScanRun,
  plan: ScanPlan,
): Promise<void> {
  const { db, config, metrics } = env;
  const jobs = env.scanJobs!;
  const scanId = ctx.scan.id;
  const ended = new Set((await targetsEnded(db, scanId)).map((e) => e.target));
  await jobs.enqueueTargets(
    targetArray(plan.targets).flatMap((target, index) =>
      ended.has(index) ? [] : [{ scanId, index, full: Boolean(request.full), target }],
    ),
    Math.ceil(config.aws.scan.targetTimeoutMs / 1000) + 60,
  );
  let lookedForLost = Date.now();
  for (;;) {
    const done = (await targetsEnded(db, scanId)).length;
    const left = plan.targets.length - done;
    metrics?.targetsQueued.set(left);
    if (metrics) metrics.queuedSince = left > 0 ? (metrics.queuedSince ?? Date.now()) : undefined;
    if (left === 0) break;
    if (Date.now() - lookedForLost > LOST_TARGET_CHECK_MS) {
      lookedForLost = Date.now();
      for (const lost of await jobs.exhaustedTargets(scanId))
        await recordTargetResult(
          db,
          scanId,
          lost.index,
          lostTarget(plan.targets.at(lost.index)!, lost.error, ctx.now()),
        );
    }
    await sleep(DURABLE_POLL_MS, ctx.signal);
  }
}

/** How often a durable scan's coordination looks for targets whose job ran out of retries. */
const LOST_TARGET_CHECK_MS = 10_000;

/**
 * Discovery and the targets it implies. Discovery's accounts, recorded, are left here: the plan keeps
 * what the scan's result shows of each. (Kept in a function of its own, since an async function keeps
 * its locals for as long as it waits, and the scan waits for as long as its targets run.)
 */
async function discoverAndPlan(
  env: ScanEnvironment,
  request: ScanRequest,
  ctx: ScanRun,
  roles: AssumedRoles,
  stats: CallStats,
): Promise<ScanPlan> {
  const accounts = await discover(env, request, ctx, stats);
  const targets = planTargets(
    env.config,
    accounts,
    Boolean(request.accounts),
    await freshReportAccounts(env.db, Boolean(request.full), ctx.now()),
    await securityHubApi(env, roles, stats, ctx.signal),
  );
  return { accounts: accounts.map(scannedAccount), targets };
}

/** The organization's ACTIVE accounts (or the ones asked for), with their OU and tags, recorded. */
async function discover(
  env: ScanEnvironment,
  request: ScanRequest,
  ctx: ScanRun,
  stats: CallStats,
): Promise<DiscoveredAccount[]> {
  const { db, config } = env;
  let accounts: DiscoveredAccount[];
  try {
    accounts = await untilAborted(
      discoverAccounts(env.clients.organizations(stats), {
        concurrency: Math.min(config.aws.scan.concurrency, DISCOVERY_CONCURRENCY_MAX),
        ...(request.full ? {} : { known: await knownPlacements(db) }),
        ...(request.accounts ? { only: request.accounts } : {}),
      }),
      ctx.signal,
    );
  } catch (err) {
    if (ctx.signal.aborted || describeDatabaseError(err, databaseTarget(config.database.url))) throw err;
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
      ouAncestors: a.ouAncestors ?? null,
      tags: a.tags,
      joinedAt: a.joinedAt ?? null,
    })),
    ctx.now(),
    { complete: !request.accounts },
  );
  return accounts;
}

/** Every target under the concurrency bound and its time limit, with progress by account. */
async function collect(
  env: ScanEnvironment,
  request: ScanRequest,
  ctx: ScanRun,
  plan: ScanPlan & { roles: AssumedRoles },
): Promise<void> {
  const { config } = env;
  const from = await incrementalFrom(env.db, 'securityhub');
  const progress: ScanProgress = {
    accountsDone: 0,
    accountsTotal: plan.accounts.length,
    findings: 0,
    failures: 0,
    throttles: 0,
  };
  const remaining = targetsPerAccount(plan);
  request.onProgress?.({ ...progress });
  const { metrics } = env;
  // Targets waiting for IAM give their slot up but still listen for the scan's stop: more than the
  // concurrency may listen at once, up to every target.
  setMaxListeners(config.aws.scan.concurrency + plan.targets.length + 8, ctx.signal);
  const ingest = new IngestBatches(env.db, ctx.scan.id, ctx.now, ingestOptions(config));
  // Each target's result goes to the database as it ends; the scan keeps none of them.
  const results = new TargetResultWrites(env.db, ctx.scan.id, (err) => ctx.fail(asFailure(err, config)));
  let waiting = plan.targets.length;
  const queued = (n: number) => {
    waiting = n;
    if (!metrics) return;
    metrics.targetsQueued.set(n);
    metrics.queuedSince = n > 0 ? (metrics.queuedSince ?? Date.now()) : undefined;
  };
  queued(waiting);
  await fanOut(
    plan.targets,
    (t, signal, slot) => {
      queued(waiting - 1);
      return runTarget(env, t, {
        ingest,
        slot,
        scanId: ctx.scan.id,
        full: Boolean(request.full),
        roles: plan.roles,
        incrementalFrom: from,
        signal,
        progress,
        now: ctx.now,
        fail: ctx.fail,
      });
    },
    {
      concurrency: config.aws.scan.concurrency,
      timeoutMs: config.aws.scan.targetTimeoutMs,
      signal: ctx.signal,
      onSettled: (s) => {
        // A target that did not settle by itself (its time limit, a cancelled scan) failed too.
        const result = s.ok ? s.value : timedOut(s.item, s.error, ctx.now());
        results.add(s.index, result);
        const failed = result.status === 'failed';
        if (failed) progress.failures += 1;
        metrics?.scanTargets.inc({ source: s.item.source, outcome: failed ? 'failed' : 'ok' });
        progress.accountsDone += settleCovers(remaining, s.item.covers);
        request.onProgress?.({ ...progress });
      },
    },
  );
  queued(0);
  await results.stored();
}

/** How many targets cover each account: an account is done when its count reaches zero. */
function targetsPerAccount(plan: ScanPlan): Map<string, number> {
  const remaining = new Map(plan.accounts.map((a) => [a.id, 0]));
  for (let i = 0; i < plan.targets.length; i++)
    for (const id of plan.targets.at(i)!.covers) remaining.set(id, (remaining.get(id) ?? 0) + 1);
  return remaining;
}

/** Counts a target that ended down for the accounts it covers; returns how many accounts it finished. */
function settleCovers(remaining: Map<string, number>, covers: string[]): number {
  let done = 0;
  for (const id of covers) {
    const left = (remaining.get(id) ?? 1) - 1;
    remaining.set(id, left);
    if (left === 0) done += 1;
  }
  return done;
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
