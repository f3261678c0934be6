import { eq } from 'drizzle-orm';
import { AssumedRoles, auditRoleSpec } from '../aws/credentials.js';
import { runHolding, Slots } from '../aws/fanout.js';
import { DatabaseFailure } from '../db/errors.js';
import { incrementalFrom } from '../db/scans.js';
import { scans } from '../db/schema.js';
import { IngestBatches, ingestOptions } from './ingest.js';
import { coordinateScan, type ScanEnvironment } from './scan.js';
import { type ScanJobHandlers, ScanJobs, type TargetJob } from './scan-jobs.js';
import { recordTargetResult } from './scan-results.js';
import { runTarget, timedOut } from './scan-targets.js';
import { SharedRateLimiter } from './shared-rate-limits.js';

/**
 * On PostgreSQL, opens the durable scan queues and works them in this process until `stop()`: the
 * services it returns start scans as jobs. On the embedded database scans run in the process that
 * starts them, and nothing is opened.
 */
export async function workScanJobs<S extends ScanEnvironment>(services: S): Promise<S> {
  const url = services.config.database.url;
  if (!url) return services;
  const scanJobs = await ScanJobs.open(url, services.log);
  // Several processes now call the same accounts: Security Hub's rates are kept in the database.
  services.clients.shareSecurityHubLimits((limitFor) => new SharedRateLimiter(services.db, limitFor));
  const withJobs = { ...services, scanJobs };
  // A process takes no more targets than it runs: one that took more would hold them while other
  // processes idle. A target waiting for IAM keeps its job meanwhile; the other processes go on.
  await scanJobs.work(scanJobHandlers(withJobs), { targets: services.config.aws.scan.concurrency });
  return withJobs;
}

/**
 * What a Warden process does with the scan jobs it takes: coordinations, and targets, at most
 * WARDEN_SCAN_CONCURRENCY of them at once in this process, each under its time limit. Ingest
 * statements gather the pages of every target of the same scan this process holds.
 */
export function scanJobHandlers(env: ScanEnvironment): ScanJobHandlers {
  const { config, db } = env;
  const now = env.now ?? (() => new Date());
  const slots = new Slots(config.aws.scan.concurrency);
  const roles =
    env.auditRoles ??
    new AssumedRoles(env.clients.sts(), auditRoleSpec(config.aws.auditRole, config.aws.partition));
  let ingest: IngestBatches | undefined;
  const ingestFor = (scanId: number) => {
    if (ingest?.scanId !== scanId) ingest = new IngestBatches(db, scanId, now, ingestOptions(config));
    return ingest;
  };

  return {
    coordinate: (job, signal) => coordinateScan(env, job, signal),
    async target(job: TargetJob, signal: AbortSignal) {
      const [scan] = await db.select({ status: scans.status }).from(scans).where(eq(scans.id, job.scanId));
      // A scan that ended (cancelled, abandoned, failed) has nothing more to read.
      if (scan?.status !== 'running') return;
      const t = job.target;
      const from =
        t.cursorScope && t.source === 'securityhub'
          ? await incrementalFrom(db, 'securityhub', t.cursorScope)
          : new Map<string, number>();
      await slots.acquire();
      const progress = { accountsDone: 0, accountsTotal: 0, findings: 0, failures: 0, throttles: 0 };
      let failure: Error | undefined;
      const result = await runHolding(
        slots,
        (targetSignal, slot) =>
          runTarget(env, t, {
            ingest: ingestFor(job.scanId),
            slot,
            scanId: job.scanId,
            full: job.full,
            roles,
            incrementalFrom: from,
            signal: targetSignal,
            progress,
            now,
            fail: (e) => {
              failure = e;
            },
          }),
        { timeoutMs: config.aws.scan.targetTimeoutMs, signal },
      ).catch((err: unknown) => {
        // The database failed, or this process stops: the job fails and is retried, here or elsewhere.
        if (failure || signal.aborted || err instanceof DatabaseFailure) throw failure ?? err;
        return timedOut(t, err, now());
      });
      env.metrics?.scanTargets.inc({ source: t.source, outcome: result.status });
      await recordTargetResult(db, job.scanId, job.index, result);
    },
  };
}
