import type { CallStats, SecurityHubCalls } from '../aws/clients.js';
import { newStats } from '../aws/clients.js';
import type { AssumedRoles } from '../aws/credentials.js';
import { explainAwsError, TargetError } from '../aws/errors.js';
import type { Slot } from '../aws/fanout.js';
import { evaluateAccount } from '../collect/checks/cis.js';
import {
  fetchCredentialReport,
  MalformedReportError,
  ReportTimeoutError,
} from '../collect/credential-report.js';
import { fullSyncFilters, incrementalFilters, securityHubPages } from '../collect/securityhub.js';
import { securityHubV2Pages, v2FullSyncFilters, v2IncrementalFilters } from '../collect/securityhub-v2.js';
import { readEnabledStandards } from '../collect/standards.js';
import { storeCheckResults } from '../db/control-results.js';
import { DatabaseFailure, databaseTarget, describeDatabaseError } from '../db/errors.js';
import type { ResolveScope } from '../db/findings.js';
import { enablementOf, type StandardRead, type StandardsEnablement } from '../findings/compliance.js';
import type { Finding, Source } from '../findings/finding.js';
import type { ScanProgress } from '../posture/scan-progress.js';
import { clipReason } from '../reasons.js';
import { addCounts, emptyCounts, type IngestBatches, type IngestCounts } from './ingest.js';
import type { ScanEnvironment, TargetResult } from './scan.js';
import type { Target } from './scan-plan.js';

/** A target's result, with what the scan's conclusion needs: what it vouches for, the cursor it moves. */
export type RunResult = TargetResult & {
  aggregatorCovers?: string[];
  startedAt: Date;
  finishedAt: Date;
  /** What a completed full sync vouches for: unseen findings there get resolved. */
  resolveScopes?: ResolveScope[];
  /** The sync cursor a completed sync moves. */
  cursor?: { source: Source; scope: string; syncedAt: Date; full: boolean };
  /** What a full per-account sync read of its account and region's standards (absent if not read). */
  standards?: StandardsEnablement;
  /**
   * A full aggregator sync: the accounts whose enabled standards are taken from their control
   * results' `AssociatedStandards` (the delegated administrator cannot list a member's standards).
   */
  standardsFromFindings?: string[];
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
export function timedOut(t: Target, error: unknown, now: Date): RunResult {
  return result(t, nothingRead(now), now, explainAwsError(error, whereOf(t), AbortSignal.abort()));
}

/** A durable target whose job ran out of retries: each process that took it stopped before it ended. */
export function lostTarget(t: Target, lastError: string, now: Date): RunResult {
  const detail = `not read: each Warden process that took it stopped before it ended (last: ${lastError})`;
  return result(t, nothingRead(now), now, new TargetError('error', whereOf(t), detail));
}

const nothingRead = (now: Date): TargetRun => ({
  stats: newStats(),
  counts: emptyCounts(),
  findings: 0,
  full: false,
  startedAt: now,
});

const whereOf = (t: Target) => ({
  account: t.accountId,
  region: t.region,
  call: t.source === 'securityhub' ? 'securityhub:GetFindings' : 'iam:GetCredentialReport',
});

/** What a target runner is handed by the scan. */
export interface TargetContext {
  scanId: number;
  full: boolean;
  roles: AssumedRoles;
  /** Where each scope's incremental sync starts (`incrementalFrom`); a scope absent is read in full. */
  incrementalFrom: ReadonlyMap<string, number>;
  signal: AbortSignal;
  /** Stores pages, gathered with other targets' into statements. */
  ingest: IngestBatches;
  /** The target's concurrency slot, which it gives up while it waits for IAM. */
  slot: Slot;
  progress: ScanProgress;
  now: () => Date;
  /** Stops the whole scan: its database failed. */
  fail: (reason: Error) => void;
}

/** Stores one page of findings for a target, counting what it did. */
type Store = (page: Finding[]) => Promise<void>;

/** What a source reader hands over to be written: its pages, and any other write after them. */
interface Writes {
  add: Store;
  /**
   * Another write of the target's (its check results), sent once the writes before it are done. The
   * reader waits only for those; the target waits for this one after giving its slot up.
   */
  after(write: () => Promise<void>): Promise<void>;
}

/**
 * A target's writes on their way to the database, one statement at a time: a page is handed over
 * once the write before it is done, so the target reads its next page while the last one is
 * written, and holds at most two pages.
 */
class PageWrites implements Writes {
  private last: Promise<void> = Promise.resolve();
  constructor(private readonly store: Store) {}

  /** Hands `page` over once the write before it is done; that write's failure is thrown here. */
  readonly add: Store = (page) => this.after(() => this.store(page));

  readonly after = async (write: () => Promise<void>): Promise<void> => {
    await this.last;
    this.last = write();
    // Awaited by the next write or by stored(); until then its failure is not unhandled.
    this.last.catch(() => {});
  };

  /** Settles when every page handed over is stored, or with the first failure. */
  stored(): Promise<void> {
    return this.last;
  }
}

/** What a source adds to a target's result: what a completed read vouches for, the cursor it moves. */
type Outcome = Pick<RunResult, 'resolveScopes' | 'cursor' | 'standards' | 'standardsFromFindings'>;

/**
 * Runs one target with the audit role of its account and stores what it reads page by page. It ends
 * ok, or failed with a reason a person can act on; a database failure stops the whole scan instead.
 */
export async function runTarget(env: ScanEnvironment, t: Target, ctx: TargetContext): Promise<RunResult> {
  const run: TargetRun = {
    stats: newStats(),
    counts: emptyCounts(),
    findings: 0,
    full: t.source === 'credential-report' || ctx.full,
    startedAt: ctx.now(),
  };
  const store: Store = async (page) => {
    const n = page.length; // the page itself is not kept while it is stored
    addCounts(run.counts, await ctx.ingest.store(page));
    run.findings += n;
    ctx.progress.findings += n;
    env.metrics?.findingsIngested.inc({ source: t.source }, n);
  };
  const writes = new PageWrites(store);
  try {
    const credentials = await ctx.roles.credentialsFor(t.accountId);
    const read = t.source === 'credential-report' ? readCredentialReport : readSecurityHub;
    const outcome = await read(env, t, ctx, run, credentials, writes);
    ctx.progress.throttles += run.stats.throttles;
    // Its AWS calls are over: the slot serves the next target while the last page is stored.
    ctx.slot.leave();
    await writes.stored();
    return { ...result(t, run, ctx.now()), ...outcome };
  } catch (err) {
    ctx.progress.throttles += run.stats.throttles;
    // A page that could not be stored is the cause, whatever the reading did after it.
    const storing = await writes.stored().then(
      () => undefined,
      (e: unknown) => e,
    );
    return failedTarget(env, t, ctx, run, storing ?? err);
  }
}

type Credentials = Awaited<ReturnType<AssumedRoles['credentialsFor']>>;

/** One source's reader: it reads with the account's credentials and hands what it reads over page by page. */
type SourceRunner = (
  env: ScanEnvironment,
  t: Target,
  ctx: TargetContext,
  run: TargetRun,
  credentials: Credentials,
  writes: Writes,
) => Promise<Outcome>;

/** The credential report: generate, poll, read, run the CIS checks; a completed read vouches for the account. */
const readCredentialReport: SourceRunner = async (env, t, ctx, run, credentials, writes) => {
  const { config } = env;
  const report = await fetchCredentialReport(env.clients.iam(credentials, run.stats), {
    timeoutMs: config.aws.scan.reportTimeoutMs,
    ...(env.reportPollBaseMs !== undefined ? { pollBaseMs: env.reportPollBaseMs } : {}),
    signal: ctx.signal,
    // Polls wait outside the concurrency slot: Security Hub targets use it meanwhile.
    wait: (ms) => ctx.slot.pause(ms),
  });
  const { findings, results } = evaluateAccount({
    accountId: t.accountId,
    partition: config.aws.partition,
    report,
    thresholds: config.policy.checks,
    now: ctx.now(),
  });
  await writes.add(findings);
  const at = ctx.now();
  await writes.after(() => storeCheckResults(env.db, results, ctx.scanId, at));
  return {
    resolveScopes: [{ source: t.source, accountId: t.accountId }],
    cursor: { source: t.source, scope: t.accountId, syncedAt: report.generatedAt, full: true },
  };
};

/**
 * Security Hub: everything failing (a full sync, which vouches for its scope) or only what changed
 * since the cursor, less the overlap (an incremental sync, which resolves nothing by absence).
 */
const readSecurityHub: SourceRunner = async (env, t, ctx, run, credentials, writes) => {
  const syncedAt = t.cursorScope ? ctx.incrementalFrom.get(t.cursorScope) : undefined;
  run.full ||= syncedAt === undefined;
  const full = run.full;
  const fetchStartedAt = ctx.now();
  const since = full ? undefined : new Date(syncedAt! - env.config.aws.scan.incrementalOverlapMs);
  const client = env.clients.securityHub(credentials, t.accountId, t.region, run.stats);
  const pages =
    t.api === 'v2'
      ? securityHubV2Pages(
          client,
          since
            ? v2IncrementalFilters(since, fetchStartedAt, t.accountFilter)
            : v2FullSyncFilters(t.accountFilter),
          ctx.signal,
          t.scopeOus,
        )
      : securityHubPages(
          client,
          since
            ? incrementalFilters(since, fetchStartedAt, t.accountFilter)
            : fullSyncFilters(t.accountFilter),
          ctx.signal,
        );
  for await (const page of pages) await writes.add(page);
  // In aggregator mode the administrator's own standards give the controls' definitions (the same in
  // every account); which standards each member has on is read from its findings at the conclusion.
  const standards = full ? await readStandards(env, t, ctx, client, run.stats) : undefined;
  return {
    ...(standards && !t.aggregator ? { standards } : {}),
    ...(full && t.aggregator ? { standardsFromFindings: t.covers } : {}),
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
};

/**
 * A full sync also reads which standards the account has enabled in the region, with their controls
 * (a day's full scan is often enough: they change by hand). The controls' definitions are recorded
 * once per standard and scan; the enablement goes with the target's result to the conclusion. A read
 * that fails is logged, naming the account, region and call, and leaves what Warden knew: the
 * findings the target read still count, and an audit role deployed before Warden read standards
 * (without `securityhub:GetEnabledStandards`) does not stop findings from resolving.
 */
async function readStandards(
  env: ScanEnvironment,
  t: Target,
  ctx: TargetContext,
  client: SecurityHubCalls,
  stats: CallStats,
): Promise<StandardsEnablement | undefined> {
  let standards: StandardRead[];
  try {
    standards = await readEnabledStandards(client, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const explained = explainAwsError(
      err,
      { account: t.accountId, region: t.region, call: stats.lastCall ?? 'securityhub:GetEnabledStandards' },
      ctx.signal,
    );
    env.log.warn(
      { account: t.accountId, region: t.region, kind: explained.kind },
      `standards not read: ${explained.message}`,
    );
    return undefined;
  }
  for (const s of standards) await ctx.ingest.recordStandard(s.standardId, s.controls);
  return enablementOf(standards);
}

/** A target that failed: why, naming the account, region and call; the database's failure stops the scan. */
function failedTarget(
  env: ScanEnvironment,
  t: Target,
  ctx: TargetContext,
  run: TargetRun,
  err: unknown,
): RunResult {
  // The database failing is not the account's fault: the whole scan stops, and no account is blamed.
  const database = describeDatabaseError(err, databaseTarget(env.config.database.url));
  if (database) {
    const failure = new DatabaseFailure(database, { cause: err });
    ctx.fail(failure);
    throw failure;
  }
  const where = {
    account: t.accountId,
    region: t.region,
    call:
      run.stats.lastCall ??
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
