import type { PgBoss } from 'pg-boss';

/**
 * Where Warden's durable jobs live: pg-boss's schema in Warden's PostgreSQL, its queues and their
 * timing. `warden migrate` installs them as the schema's owner; src/workflow/scan-jobs.ts uses them.
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

export async function newBoss(url: string, options: { owner: boolean }): Promise<PgBoss> {
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
    // The ready count workers read to fetch without pausing while a scan's targets wait (below).
    queueCacheIntervalSeconds: SCAN_JOB_TIMING.superviseSeconds,
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
