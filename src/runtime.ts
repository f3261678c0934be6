import type { Config, LogLevel } from './config.js';
import type { Database, DbHandle } from './db/client.js';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import type { ServiceOptions, Services } from './services.js';

/**
 * The composition root: what a command's work shares, built once per run and handed down. Everything
 * below it takes these as values; nothing under src/ builds its own logger, database, AWS clients,
 * Slack client or clock. Its parts are loaded only when asked for (src/services.ts adds AWS and Slack),
 * so `warden audit verify` pays for a database and not for the AWS SDK or Bolt.
 */
export interface Runtime {
  config: Config;
  log: Logger;
  /** The clock every decision is stamped with (the demo sets it back a week at a time). */
  now: () => Date;
  db: Database;
  /** Aborted when Warden should stop (SIGINT/SIGTERM): running work stops and records how it ended. */
  stop: AbortSignal;
  /** What `/metrics` shows: scans, AWS and Slack calls, scheduled runs, Slack handling times. */
  metrics: Metrics;
}

export interface RuntimeOptions {
  /** The logger (default: one to stderr at `logLevel`, or at the configured level). */
  log?: Logger;
  logLevel?: LogLevel;
  now?: () => Date;
  stop?: AbortSignal;
  /** The metrics (default: a registry of its own, without the process's figures). */
  metrics?: Metrics;
  /** Create the embedded database when there is none (default true; `warden health` only looks). */
  create?: boolean;
  /**
   * Bring the schema up to date before the work. On PostgreSQL migrations run as the schema's owner:
   * `as-owner` (warden migrate) with WARDEN_MIGRATION_DATABASE_URL, else with DATABASE_URL taken as
   * the owner's; `if-owner` (serve, scan, digest) only when WARDEN_MIGRATION_DATABASE_URL is set, and
   * otherwise refuses a schema that is behind. The embedded database has one role: both apply.
   */
  migrate?: 'as-owner' | 'if-owner';
}

/** Opens the configured database and runs `work` with the runtime; the database is closed however the work ends. */
export async function withRuntime<T>(
  config: Config,
  options: RuntimeOptions,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const handle = await openDatabase(config, options);
  try {
    return await work(runtimeOn(config, handle.db, options));
  } finally {
    await handle.close();
  }
}

/** withRuntime, with AWS clients and (when configured) Slack's Web API client, closed when the work ends. */
export async function withServices<T>(
  config: Config,
  options: RuntimeOptions & ServiceOptions,
  work: (services: Services) => Promise<T>,
): Promise<T> {
  return withRuntime(config, options, async (runtime) => {
    const { servicesOn } = await import('./services.js');
    const services = servicesOn(runtime, options);
    try {
      return await work(services);
    } finally {
      services.clients.destroy();
    }
  });
}

/** The runtime on a database the caller opened (tests, and the embedded single-process checks). */
export function runtimeOn(
  config: Config,
  db: Database,
  options: Pick<RuntimeOptions, 'log' | 'logLevel' | 'now' | 'stop' | 'metrics'> = {},
): Runtime {
  return {
    config,
    log: options.log ?? createLogger(options.logLevel ?? config.logLevel),
    db,
    now: options.now ?? (() => new Date()),
    stop: options.stop ?? new AbortController().signal,
    metrics: options.metrics ?? new Metrics(),
  };
}

async function openDatabase(config: Config, options: RuntimeOptions): Promise<DbHandle> {
  const { createDb } = await import('./db/client.js');
  const { url, migrationUrl } = config.database;
  const asOwner = url && options.migrate && (migrationUrl || options.migrate === 'as-owner');
  if (asOwner) await (await import('./db/roles.js')).migrateAsOwner(migrationUrl ?? url, url);
  const handle = await createDb(config, options.create === false ? { create: false } : {});
  try {
    if (options.migrate && !url) await handle.migrate();
    else if (options.migrate && !asOwner) await requireCurrentSchema(handle.db);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** Refuses to work on a schema that is behind: on PostgreSQL only the owner migrates it. */
async function requireCurrentSchema(db: Database): Promise<void> {
  const [{ checkSchema }, { WardenError }] = await Promise.all([
    import('./db/status.js'),
    import('./errors.js'),
  ]);
  const status = await checkSchema(db);
  if (status.ok) return;
  const owner = status.behind ? ' as the schema’s owner (or set WARDEN_MIGRATION_DATABASE_URL)' : '';
  throw new WardenError('database', `${status.detail}${owner}`);
}
