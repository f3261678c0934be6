import type { webApi } from '@slack/bolt';
import type { AwsClients } from '../aws/clients.js';
import type { AssumedRoles } from '../aws/credentials.js';
import type { Config, ScheduleConfig } from '../config.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../log.js';
import type { SlackDirectory } from '../slack/identity.js';
import type { WriteBackDeps } from '../workflow/securityhub-sync.js';

/** What a scheduled job may use; Slack is absent when it is not configured. */
export interface JobDeps {
  db: Database;
  config: Config;
  log: Logger;
  clients: AwsClients;
  slack: { web: webApi.WebClient; directory: SlackDirectory } | undefined;
  writeBack: WriteBackDeps;
  auditRoles: AssumedRoles;
  /** Aborted when Warden stops (SIGTERM): a running job stops its work and records how it ended. */
  signal: AbortSignal;
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
  cron(schedule: ScheduleConfig): string;
  catchUp: boolean;
  run(deps: JobDeps, slot: Date): Promise<{ skipped: string } | undefined>;
}
