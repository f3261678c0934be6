import { createHash } from 'node:crypto';
import type { Job, PgBoss } from 'pg-boss';
import { JOB_SCHEMA, newBoss, SCAN_JOB_TIMING, SCAN_QUEUES } from '../db/job-queues.js';
import { WardenError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Target } from './scan-plan.js';

/**
 * A scan's work as durable jobs in pg-boss, on Warden's PostgreSQL: one job coordinates a scan
 * (discover, plan, wait for its targets, conclude) and one job per target reads an account × region ×
 * source. Every process that works them (each `warden serve` replica, `warden worker`, `warden scan`)
 * takes jobs from both queues; a process that dies loses only the jobs it held, which pg-boss hands to
 * another once their heartbeat lapses.
 */

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

/** A job id that is the same every time for the same scan and target, so enqueueing twice adds nothing. */
function jobId(scanId: number, index: number): string {
  const h = createHash('sha256').update(`warden-scan-target:${scanId}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
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
    // The same failure repeats at every poll while the database is away: said once until it changes.
    let last = '';
    boss.on('error', (err) => {
      const message = (err as Error).message;
      if (message !== last) log.error({ err: message }, 'the job queue failed');
      last = message;
    });
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
   * resumed coordination adds nothing twice). Targets that call the same account and region may run
   * in different processes at once: Security Hub's rates are then kept in the database
   * (SharedRateLimiter), not by running them one at a time (pg-boss's group limit is checked without
   * a lock, so two processes fetching at the same moment can both pass it).
   */
  async enqueueTargets(jobs: TargetJob[], expireInSeconds: number): Promise<void> {
    for (let i = 0; i < jobs.length; i += 1000) {
      await this.boss.insert(
        SCAN_QUEUES.target,
        jobs.slice(i, i + 1000).map((j) => ({
          id: jobId(j.scanId, j.index),
          data: j,
          expireInSeconds,
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
      // A poller that finished a target fetches the next at once while targets wait (pg-boss's
      // default is to wait out its polling interval after every job: 1 s per target per slot).
      { ...common, localConcurrency: options.targets, burstWhenReadyExceeds: 1 },
      ([job]) => this.handle(job!, (signal) => handlers.target(job!.data, signal)),
    );
  }

  private async handle(job: Job<unknown>, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const signal = AbortSignal.any([this.stopping.signal, job.signal]);
    try {
      await work(signal);
    } catch (err) {
      if (this.stopping.signal.aborted) throw new ProcessStopping();
      // pg-boss retries it; the scan's coordination reports a target that never ends.
      this.log.debug({ job: job.name, err: (err as Error).message }, 'a job failed: it is retried');
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
