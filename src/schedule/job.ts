import type { ScheduleConfig } from '../config.js';
import type { Services } from '../services.js';

/** What a scheduled job may use: the runtime's services (Slack is absent when it is not configured). */
export interface JobDeps extends Services {
  /** How often, and how long, the full scan waits for a scan under way (defaults in jobs/full-scan.ts; tests shorten them). */
  fullScanRetryMs?: number;
  fullScanWaitMs?: number;
}

/**
 * One scheduled job (a file in jobs/, listed in jobs/index.ts): its name, its cron expression (from
 * the configuration), whether a slot every replica missed runs once at start, and what it does for
 * a slot. A run that has nothing to do says why (`skipped`); one that fails throws.
 */
export interface Job {
  name: string;
  /** Undefined: the job is not scheduled (a schedule the configuration leaves unset). */
  cron(schedule: ScheduleConfig): string | undefined;
  catchUp: boolean;
  run(deps: JobDeps, slot: Date): Promise<{ skipped: string } | undefined>;
}
