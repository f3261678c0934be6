import { createHash } from 'node:crypto';
import type { Job, PgBoss } from 'pg-boss';
import { WardenError } from '../errors.js';
import type { Source } from '../findings/finding.js';
import type { Logger } from '../log.js';
import type { Target } from './scan-plan.js';

/**
 * A scan's work as durable jobs in pg-boss, on Warden's PostgreSQL: one job coordinates a scan
 * (discover, plan, wait for its targets, conclude) and one job per target reads an account × region ×
 * source. Every process that works them (each `warden serve` replica, `warden worker`, `warden scan`)
 * takes jobs from both queues; a process that dies loses only the jobs it held, which pg-boss hands to
 * another once their heartbeat lapses.
 */

/** pg-boss's own schema in Warden's database, installed and kept up to date by `warden migrate`. */
export const JOB_SCHEMA = 'pgboss';

export const SCAN_QUEUES = { coordinate: 'warden-scan', target: 'warden-scan-target' } as const;

/**
 * How quickly the work of a process that died is taken over: a job in hand is touched every 5 s; one
 * untouched for 10 s (pg-boss's least) is failed at the next check (every 5 s) and retried at once by
 * whichever worker polls next (every second). So within about 20 s, well within a minute.
 */
export const SCAN_JOB_TIMING = {
  heartbeatSeconds: 10,
  superviseSeconds: 5,
  pollSeconds: 1,
  /** A scan's coordination survives this many process deaths or restarts. */
  coordinateRetries: 20,
  /** A target crashed this many times more is recorded as failed, and the scan concludes without it. */
  targetRetries: 4,
  /** How long a scan's coordination may hold its job (pg-boss's longest). */
  coordinateExpireSeconds: 24 * 3600,
} as const;

/** What a coordination job carries: the scan row holds the rest. */
export interface CoordinateJob {
  scanId: number;
  full: boolean;
  accounts?: string[];
  trigger: string;
  requestedBy?: string;
}

/** What a target job carries. */
export interface TargetJob {
  scanId: number;
  /** The target's place in the scan's plan. */
  index: number;
  full: boolean;
  target: Target;
}

/** What a process does with the jobs it takes; `signal` aborts when the process stops. */
export interface ScanJobHandlers {
  coordinate(job: CoordinateJob, signal: AbortSignal): Promise<void>;
  target(job: TargetJob, signal: AbortSignal): Promise<void>;
}

/** The process is stopping: the job goes back to the queue for another process. */
export class ProcessStopping extends WardenError {
  constructor() {
    super('process-stopping', 'this process is stopping: the job is left to another process');
  }
}

/** The queues' options, set when `warden migrate` creates them. */
const QUEUE_OPTIONS = {
  [SCAN_QUEUES.coordinate]: {
    retryLimit: SCAN_JOB_TIMING.coordinateRetries,
    heartbeatSeconds: SCAN_JOB_TIMING.heartbeatSeconds,
    expireInSeconds: SCAN_JOB_TIMING.coordinateExpireSeconds,
    deleteAfterSeconds: 7 * 86_400,
  },
  [SCAN_QUEUES.target]: {
    retryLimit: SCAN_JOB_TIMING.targetRetries,
    heartbeatSeconds: SCAN_JOB_TIMING.heartbeatSeconds,
    deleteAfterSeconds: 86_400,
  },
};

async function newBoss(url: string, options: { owner: boolean }): Promise<PgBoss> {
  const { PgBoss } = await import('pg-boss');
  return new PgBoss({
    connectionString: url,
    schema: JOB_SCHEMA,
    application_name: 'warden-jobs',
    max: 4,
    // Only the schema's owner installs and upgrades pg-boss (`warden migrate`); the runtime role uses it.
    migrate: options.owner,
    createSchema: options.owner,
    supervise: !options.owner,
    schedule: false,
    registerInstance: !options.owner,
    superviseIntervalSeconds: SCAN_JOB_TIMING.superviseSeconds,
    monitorIntervalSeconds: SCAN_JOB_TIMING.superviseSeconds,
    // Rebuilding indexes needs their owner, which the runtime role is not.
    reindex: false,
  });
}

/**
 * Installs or upgrades pg-boss's schema and Warden's queues, as the schema's owner (`warden migrate`).
 * Returns the schema, for the runtime role's grants.
 */
export async function installJobQueues(ownerUrl: string): Promise<string> {
  const boss = await newBoss(ownerUrl, { owner: true });
  boss.on('error', () => {});
  await boss.start();
  try {
    for (const [name, options] of Object.entries(QUEUE_OPTIONS)) {
      if (await boss.getQueue(name)) await boss.updateQueue(name, options);
      else await boss.createQueue(name, options);
    }
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
  return JOB_SCHEMA;
}

/** A job id that is the same every time for the same scan and target, so enqueueing twice adds nothing. */
function jobId(scanId: number, index: number): string {
  const h = createHash('sha256').update(`warden-scan-target:${scanId}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The rate-limit scope a target's calls fall in: Security Hub counts per account and region. */
export function rateScope(t: { source: Source; accountId: string; region: string }): string {
  return `${t.source}|${t.accountId}|${t.region}`;
}

/** Warden's scan queues on pg-boss, as the runtime role sees them. */
export class ScanJobs {
  private readonly stopping = new AbortController();
  private working = false;

  private constructor(
    private readonly boss: PgBoss,
    private readonly log: Logger,
  ) {}

  /** Connects to the queues `warden migrate` installed; refuses a database where they are not. */
  static async open(url: string, log: Logger): Promise<ScanJobs> {
    const boss = await newBoss(url, { owner: false });
    boss.on('error', (err) => log.error({ err: (err as Error).message }, 'the job queue failed'));
    await boss.start();
    if (!(await boss.getQueue(SCAN_QUEUES.target))) {
      await boss.stop({ graceful: false, close: true });
      throw new WardenError(
        'database',
        `the job queues (schema ${JOB_SCHEMA}) are not installed: run \`warden migrate\` as the schema's owner`,
      );
    }
    return new ScanJobs(boss, log);
  }

  /** Hands a scan's coordination to whichever process takes it first. */
  async coordinate(job: CoordinateJob): Promise<void> {
    await this.boss.send(SCAN_QUEUES.coordinate, job as unknown as object);
  }

  /**
   * Queues the targets of a scan not queued yet (the ids are the scan's and the target's, so a
   * resumed coordination adds nothing twice). At most one target per rate-limit scope runs at once
   * across every process, so each scope's calls come from one process's limiter.
   */
  async enqueueTargets(jobs: TargetJob[], expireInSeconds: number): Promise<void> {
    for (let i = 0; i < jobs.length; i += 1000) {
      await this.boss.insert(
        SCAN_QUEUES.target,
        jobs.slice(i, i + 1000).map((j) => ({
          id: jobId(j.scanId, j.index),
          data: j,
          expireInSeconds,
          group: { id: rateScope(j.target) },
        })),
      );
    }
  }

  /** The targets of a scan whose job ran out of retries (each process that took it died), with the last error. */
  async exhaustedTargets(scanId: number): Promise<Array<{ index: number; error: string }>> {
    const jobs = await this.boss.findJobs<TargetJob>(SCAN_QUEUES.target, {
      data: { scanId },
      limit: 100_000,
    });
    return jobs
      .filter((j) => j.state === 'failed')
      .map((j) => ({ index: j.data.index, error: describeOutput(j.output) }));
  }

  /**
   * Takes jobs from both queues until `stop`: up to `targets` target jobs at once (their handler
   * limits how many call AWS), and one coordination at a time per process.
   */
  async work(handlers: ScanJobHandlers, options: { targets: number }): Promise<void> {
    this.working = true;
    const common = {
      pollingIntervalSeconds: SCAN_JOB_TIMING.pollSeconds,
      heartbeatRefreshSeconds: SCAN_JOB_TIMING.heartbeatSeconds / 2,
    };
    await this.boss.work<CoordinateJob>(SCAN_QUEUES.coordinate, common, ([job]) =>
      this.handle(job!, (signal) => handlers.coordinate(job!.data, signal)),
    );
    await this.boss.work<TargetJob>(
      SCAN_QUEUES.target,
      { ...common, localConcurrency: options.targets, groupConcurrency: 1 },
      ([job]) => this.handle(job!, (signal) => handlers.target(job!.data, signal)),
    );
  }

  private async handle(job: Job<unknown>, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const signal = AbortSignal.any([this.stopping.signal, job.signal]);
    try {
      await work(signal);
    } catch (err) {
      if (this.stopping.signal.aborted) throw new ProcessStopping();
      this.log.warn({ job: job.name, err: (err as Error).message }, 'a job failed: it is retried');
      throw err;
    }
  }

  /**
   * Stops taking jobs: jobs in hand are aborted and failed at once, so another process retries them
   * now rather than when their heartbeat lapses.
   */
  async stop(): Promise<void> {
    this.stopping.abort(new ProcessStopping());
    await this.boss.stop({ graceful: this.working, timeout: 8_000, close: true });
  }
}

function describeOutput(output: unknown): string {
  const message = (output as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'its process stopped';
}
