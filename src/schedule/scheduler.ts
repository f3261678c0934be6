import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type ScheduledTask, schedule } from 'node-cron';
import { abandonStaleRuns, claimSlot, finishRun, slotClaimed } from '../db/job-runs.js';
import type { Job, JobDeps } from './job.js';
import { previousSlot } from './slots.js';

/** A run still `running` after this long was cut short by a crash. */
export const ABANDONED_RUN_MS = 6 * 60 * 60_000;
/** How far back start-up looks for a digest slot that every replica missed. */
export const CATCH_UP_LOOK_BACK_MS = 8 * 86_400_000;

export type FireResult = 'ran' | 'failed' | 'skipped' | 'claimed-elsewhere';

/**
 * Runs Warden's jobs on their cron schedules in this process. Every replica runs a Scheduler; each
 * firing first claims its (job, slot) row in the database, so each slot runs once however many
 * replicas fire it. A run records its start, end, outcome and error.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  /** Names this process in job_runs.claimed_by. */
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: JobDeps,
    private readonly jobs: readonly Job[],
  ) {}

  /** Claims the slot and, if this process won it, runs the job and records how it ended. */
  async fire(job: Job, slot: Date): Promise<FireResult> {
    const { db, log } = this.deps;
    const run = await claimSlot(db, {
      job: job.name,
      slot,
      claimedBy: this.instanceId,
      now: this.deps.now(),
    });
    if (!run) return 'claimed-elsewhere';
    const work = (async (): Promise<FireResult> => {
      try {
        const result = await job.run(this.deps, slot);
        this.deps.metrics.jobRuns.inc({ job: job.name, outcome: result ? 'skipped' : 'succeeded' });
        await finishRun(db, run.id, {
          outcome: result ? 'skipped' : 'succeeded',
          ...(result ? { error: result.skipped } : {}),
          now: this.deps.now(),
        });
        return result ? 'skipped' : 'ran';
      } catch (err) {
        // Stopped with Warden (SIGTERM): cancelled, not failed.
        const outcome = this.deps.stop.aborted ? 'cancelled' : 'failed';
        this.deps.metrics.jobRuns.inc({ job: job.name, outcome });
        log.error(
          { err, job: job.name, slot: slot.toISOString(), outcome },
          `a scheduled job ${outcome === 'cancelled' ? 'was cancelled' : 'failed'}`,
        );
        await finishRun(db, run.id, {
          outcome,
          error: (err as Error).message ?? String(err),
          now: this.deps.now(),
        });
        return 'failed';
      }
    })();
    this.running.add(work);
    try {
      return await work;
    } finally {
      this.running.delete(work);
    }
  }

  /**
   * Start-up: closes runs a crash left `running`, then runs, once, the latest slot of each catch-up
   * job that no replica claimed while all were down (never every missed slot: no burst).
   */
  async catchUp(): Promise<void> {
    const { db, config, log } = this.deps;
    const abandoned = await abandonStaleRuns(db, this.deps.now(), ABANDONED_RUN_MS);
    for (const r of abandoned)
      log.warn({ job: r.job, slot: r.slot }, 'a scheduled run was abandoned by a crash');
    if (!config.schedule.catchUpDigests) return;
    for (const job of this.jobs.filter((j) => j.catchUp)) {
      const cron = job.cron(config.schedule);
      if (!cron) continue;
      const slot = previousSlot(cron, config.schedule.timezone, this.deps.now(), CATCH_UP_LOOK_BACK_MS);
      if (slot && !(await slotClaimed(db, job.name, slot))) {
        log.info({ job: job.name, slot: slot.toISOString() }, 'running a missed slot');
        await this.fire(job, slot);
      }
    }
  }

  /** Schedules every job with node-cron, in the configured time zone. */
  start(): void {
    const { config, log } = this.deps;
    const logger = log.child({ mod: 'schedule' });
    for (const job of this.jobs) {
      const cron = job.cron(config.schedule);
      if (!cron) continue;
      this.tasks.push(
        schedule(cron, (context) => this.fire(job, context.date), {
          name: job.name,
          timezone: config.schedule.timezone,
          logger: {
            info: (m) => logger.debug(m),
            warn: (m) => logger.warn(m),
            error: (m, e) => logger.error({ err: e ?? m }, String(m)),
            debug: (m) => logger.debug(String(m)),
          },
        }),
      );
    }
  }

  /** Stops scheduling, and waits for the runs under way to end. */
  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks.length = 0;
    await Promise.allSettled([...this.running]);
  }
}
