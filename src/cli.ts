import { once } from 'node:events';
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { dailyDigestJob } from '../jobs/daily-digest.js';
import { JOBS } from '../jobs/index.js';
import { weeklyDigestJob } from '../jobs/weekly-digest.js';
import { EXPORT_FORMATS, type ExportFormat, exportAudit } from './audit/export.js';
import { verifyAuditChain } from './audit/verify.js';
import { AwsClients } from './aws/clients.js';
import { AssumedRoles, auditRoleSpec } from './aws/credentials.js';
import { type Config, ConfigError, describeConfig, loadConfig } from './config.js';
import { createDb, type Database, type DbHandle, NoDatabase } from './db/client.js';
import { DatabaseFailure, databaseTarget, describeDatabaseError } from './db/errors.js';
import { DataDirLocked } from './db/folder-lock.js';
import { recentRuns } from './db/job-runs.js';
import { checkSchema } from './db/status.js';
import { dailyPeriod, weeklyPeriod } from './digest/periods.js';
import { dailyDigest } from './digest/sections.js';
import { weeklyDigestMessage } from './digest/weekly.js';
import type { Logger } from './log.js';
import { createLogger, fileLogger } from './log.js';
import { dailyFigures } from './posture/digest-figures.js';
import { lastScanGaps, openBySeverity, worstAccounts } from './posture/summary.js';
import { clipReason } from './reasons.js';
import type { JobDeps } from './schedule/job.js';
import { Scheduler } from './schedule/scheduler.js';
import { demoScenario, demoWeek } from './sim/scenarios.js';
import { startSimulator } from './sim/server.js';
import { createSlackApp, type HandlerDeps, startSlackApp } from './slack/app.js';
import { SlackDirectory } from './slack/identity.js';
import { slackWebClient } from './slack/web-client.js';
import { digestText, jobRunsTable, postureReport, progressLine, scanSummary } from './terminal.js';
import { sweepRequests } from './workflow/remediation.js';
import {
  runScan,
  ScanCancelled,
  ScanCannotRun,
  type ScanProgress,
  type ScanRequest,
  type ScanResult,
} from './workflow/scan.js';
import { writeBackRoles } from './workflow/securityhub-sync.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal: a progress bar is drawn there. */
  isTTY?: boolean;
  /** Aborted when a long-running command (serve) should stop: SIGINT/SIGTERM in the binary. */
  stop?: AbortSignal;
}

type Values = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage: string;
  /** What the command needs of Slack (see LoadConfigOptions.requireSlack); the Slack settings are checked only then. */
  needsSlack?: boolean | 'web' | ((values: Values) => boolean | 'web');
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Values, ctx: { config: Config; io: CliIo }): Promise<number>;
}

/** Exit codes: 0 done, 1 the work failed (e.g. a broken audit chain), 2 the command or its config was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: 'apply pending database migrations (also done at start by `serve`)',
    usage: 'warden migrate',
    options: {},
    run: (_values, { config, io }) =>
      withDb(config, async (handle) => {
        await handle.migrate();
        const log = createLogger(config.logLevel);
        log.info({ config: describeConfig(config) }, 'migrations applied');
        io.stdout(`migrations applied (${handle.driver})\n`);
        return EXIT.ok;
      }),
  },
  'audit verify': {
    summary: 'check the audit trail’s hash chain from the first event to the head',
    usage: 'warden audit verify',
    options: {},
    run: (_values, { config, io }) =>
      withDb(config, async ({ db }) => {
        const result = await verifyAuditChain(db);
        if (result.ok) {
          io.stdout(`ok: ${result.count} events, head ${result.head}\n`);
          return EXIT.ok;
        }
        io.stdout(
          `broken: event ${result.brokenSeq}: ${result.reason} (${result.count} events before it verified)\n`,
        );
        return EXIT.failed;
      }),
  },
  'audit export': {
    summary: 'write the audit events for an auditor',
    usage: 'warden audit export [--since YYYY-MM-DD] [--format jsonl|csv] [--output FILE]',
    options: {
      since: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
      output: { type: 'string' },
    },
    run: async (values, { config, io }) => {
      const format = values.format as string;
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
      }
      const since = values.since === undefined ? undefined : parseDate(values.since as string, '--since');
      return withDb(config, async ({ db }) => {
        const file = values.output ? createWriteStream(values.output as string) : undefined;
        const write = file
          ? async (chunk: string) => {
              if (!file.write(chunk)) await once(file, 'drain');
            }
          : io.stdout;
        try {
          const count = await exportAudit(
            db,
            { format: format as ExportFormat, ...(since ? { since } : {}) },
            write,
          );
          if (file) io.stderr(`exported ${count} events to ${values.output}\n`);
        } finally {
          if (file)
            await new Promise<void>((resolve, reject) =>
              file.end((err?: Error | null) => (err ? reject(err) : resolve())),
            );
        }
        return EXIT.ok;
      });
    },
  },
  scan: {
    summary: 'scan the organization (incremental; --full reconciles everything) and print a summary',
    usage: 'warden scan [--account ID ...] [--full]',
    options: { account: { type: 'string', multiple: true }, full: { type: 'boolean', default: false } },
    run: async (values, { config, io }) => {
      const accounts = values.account as unknown as string[] | undefined;
      const bad = (accounts ?? []).filter((a) => !/^\d{12}$/.test(a));
      if (bad.length > 0)
        throw new UsageError(`--account takes 12-digit account ids (got ${bad.join(', ')})`);
      return withDb(config, async (handle) => {
        await handle.migrate();
        const result = await scanWithProgress(handle.db, config, io, {
          trigger: 'cli',
          full: Boolean(values.full),
          ...(accounts?.length ? { accounts } : {}),
          ...(io.stop ? { signal: io.stop } : {}),
        });
        if (!result) return EXIT.failed;
        io.stdout(scanSummary(result));
        return EXIT.ok;
      });
    },
  },
  demo: {
    summary:
      'scan a simulated organization into a fresh embedded database and print its posture (no setup needed)',
    usage: 'warden demo',
    options: {},
    run: (_values, { config, io }) => runDemo(config, io),
  },
  serve: {
    summary:
      'answer Slack (HTTP on PORT at /slack/events, or Socket Mode with SLACK_APP_TOKEN) and /healthz, and run the scheduled jobs',
    usage: 'warden serve',
    options: {},
    needsSlack: true,
    run: (_values, { config, io }) =>
      withDb(config, async (handle) => {
        await handle.migrate();
        const log = createLogger(config.logLevel);
        // Requests a crash left executing are flagged for a person now, not when the next sweep runs.
        const swept = await sweepRequests(handle.db);
        if (swept.stuck.length)
          log.warn({ requests: swept.stuck.map((r) => r.id) }, 'remediations need attention');
        const clients = awsClients(config);
        // Aborted on SIGTERM/SIGINT: running jobs and Slack-started scans stop and record it.
        const stopping = io.stop ?? new AbortController().signal;
        const { app, handlers } = createSlackApp({
          config,
          slack: config.slack!,
          db: handle.db,
          log,
          clients,
          stop: stopping,
        });
        const port = await startSlackApp(app, config.port);
        const mode = config.slack!.appToken ? 'Socket Mode' : `HTTP on port ${port}`;
        const scheduler = config.schedule.enabled
          ? new Scheduler(jobDepsOf(handlers, log, stopping), JOBS)
          : undefined;
        scheduler?.start();
        // A digest slot every replica missed runs once now; scheduled slots do not wait for it.
        const catchingUp = scheduler
          ?.catchUp()
          .catch((err) => log.error({ err }, 'catching up missed slots failed'));
        log.info({ port, mode, scheduler: Boolean(scheduler) }, 'serving Slack');
        io.stderr(
          `warden: serving Slack (${mode}); /healthz on port ${port}; scheduled jobs ${scheduler ? `on (${config.schedule.timezone})` : 'off'}\n`,
        );
        await stopped(io.stop);
        await catchingUp;
        await scheduler?.stop();
        await handlers.inFlight.drained();
        await app.stop();
        clients.destroy();
        return EXIT.ok;
      }),
  },
  digest: {
    summary:
      'build the daily or weekly digest now: send it to Slack, or --print it (and write the chart PNG)',
    usage: 'warden digest --kind daily|weekly [--print] [--chart FILE]',
    options: {
      kind: { type: 'string' },
      print: { type: 'boolean', default: false },
      chart: { type: 'string' },
    },
    needsSlack: (values) => !values.print && 'web',
    run: async (values, { config, io }) => {
      const kind = values.kind as string | undefined;
      if (kind !== 'daily' && kind !== 'weekly') throw new UsageError('--kind must be daily or weekly');
      if (values.chart && !(values.print && kind === 'weekly'))
        throw new UsageError('--chart goes with --print --kind weekly');
      return withDb(config, async (handle) => {
        await handle.migrate();
        const now = new Date();
        if (values.print) {
          io.stdout(await printDigest(handle.db, config, kind, now, values.chart as string | undefined, io));
          return EXIT.ok;
        }
        const log = createLogger(config.logLevel);
        const clients = awsClients(config);
        try {
          const web = slackWebClient(config.slack!);
          const deps = jobDepsOf(
            {
              db: handle.db,
              config,
              clients,
              web,
              directory: new SlackDirectory(web),
              writeBack: { db: handle.db, config, clients, roles: writeBackRoles(clients, config) },
              auditRoles: new AssumedRoles(clients.sts(), auditRoleSpec(config.aws.auditRole)),
            },
            log,
          );
          const job = kind === 'daily' ? dailyDigestJob : weeklyDigestJob;
          const result = await job.run(deps, now);
          io.stdout(result ? `not sent: ${result.skipped}\n` : `${kind} digest sent\n`);
          return result ? EXIT.failed : EXIT.ok;
        } finally {
          clients.destroy();
        }
      });
    },
  },
  jobs: {
    summary: 'list the latest scheduled runs: slot, job, outcome, which process, error',
    usage: 'warden jobs [--limit N]',
    options: { limit: { type: 'string', default: '30' } },
    run: (values, { config, io }) => {
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number');
      return withDb(config, async ({ db }) => {
        io.stdout(jobRunsTable(await recentRuns(db, limit)));
        return EXIT.ok;
      });
    },
  },
  health: {
    summary:
      'exit 0 when the database answers and its schema is up to date; never creates or migrates one (a running server answers GET /healthz)',
    usage: 'warden health',
    options: {},
    run: async (_values, { config, io }) => {
      try {
        return await withDb(
          config,
          async ({ db }) => {
            const status = await checkSchema(db);
            io.stdout(`${status.ok ? 'healthy' : 'unhealthy'}: ${status.detail}\n`);
            return status.ok ? EXIT.ok : EXIT.failed;
          },
          { create: false },
        );
      } catch (err) {
        if (!(err instanceof NoDatabase || err instanceof DataDirLocked)) throw err;
        io.stdout(`unhealthy: ${err.message}\n`);
        return EXIT.failed;
      }
    },
  },
};

class UsageError extends Error {}

function awsClients(config: Config): AwsClients {
  return new AwsClients({
    maxAttempts: config.aws.scan.maxAttempts,
    maxSockets: config.aws.scan.concurrency * 2,
  });
}

/** What the scheduled jobs share with the Slack handlers: the same clients, directory and roles. */
function jobDepsOf(
  h: Pick<HandlerDeps, 'db' | 'config' | 'clients' | 'web' | 'directory' | 'writeBack' | 'auditRoles'>,
  log: Logger,
  signal: AbortSignal = new AbortController().signal,
): JobDeps {
  return {
    signal,
    db: h.db,
    config: h.config,
    log,
    clients: h.clients,
    slack: { web: h.web, directory: h.directory },
    writeBack: h.writeBack,
    auditRoles: h.auditRoles,
  };
}

/** `warden digest --print`: the digest as text, and for the weekly one its chart written to a PNG file. */
async function printDigest(
  db: Database,
  config: Config,
  kind: 'daily' | 'weekly',
  now: Date,
  chartFile: string | undefined,
  io: CliIo,
): Promise<string> {
  if (kind === 'daily') {
    const { window } = dailyPeriod(now, config.schedule);
    return digestText(dailyDigest(await dailyFigures(db, window, config.policy), ''));
  }
  const { period, window } = weeklyPeriod(now, config.schedule);
  const { digest, message } = await weeklyDigestMessage(db, config, window, period);
  const file = path.resolve(io.cwd, chartFile ?? message.chart.filename);
  writeFileSync(file, message.chart.png);
  return `${digestText(digest)}Chart: ${file}\n`;
}

/** Resolves when `signal` aborts (never, without one). */
function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function parseDate(text: string, flag: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
    ? new Date(text)
    : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new UsageError(`${flag} must be a date like 2026-11-01`);
  return date;
}

/** Runs a scan, drawing a progress bar on a terminal. Returns undefined when the scan could not run. */
async function scanWithProgress(
  db: Database,
  config: Config,
  io: CliIo,
  request: Omit<ScanRequest, 'onProgress'>,
  options: { now?: () => Date; log?: Logger } = {},
): Promise<ScanResult | undefined> {
  const { now } = options;
  const clients = awsClients(config);
  // A progress bar and JSON log lines do not mix: while the bar is drawn, only errors are logged.
  const log =
    options.log ?? createLogger(io.isTTY && config.logLevel !== 'silent' ? 'error' : config.logLevel);
  const draw = io.isTTY ? (p: ScanProgress) => io.stderr(`\r${progressLine(p)}`) : undefined;
  try {
    return await runScan(
      { db, config, log, clients, ...(now ? { now } : {}) },
      { ...request, ...(draw ? { onProgress: draw } : {}) },
    );
  } catch (err) {
    const lead = draw ? '\n' : '';
    if (err instanceof ScanCannotRun) {
      io.stderr(`${lead}warden scan: the scan could not run: ${err.message}\n`);
      return undefined;
    }
    if (err instanceof ScanCancelled) {
      io.stderr(`${lead}warden scan: ${err.message}; what it stored stays, nothing was resolved\n`);
      return undefined;
    }
    if (err instanceof DatabaseFailure) {
      io.stderr(
        `${lead}warden scan: the database failed: ${err.message}; the scan stopped, nothing was resolved\n`,
      );
      return undefined;
    }
    throw err;
  } finally {
    if (draw) io.stderr('\n');
    clients.destroy();
  }
}

/** Weeks of history the demo builds before today: a scan at the end of each week. */
const DEMO_WEEKS = 4;
const WEEK_MS = 7 * 86_400_000;

/**
 * `warden demo`: the whole engine against the simulated demo organization, on a fresh embedded
 * database. It builds a few weeks of history first, with the simulator's clock and Warden's set back
 * a week at a time: each week the teams fix some findings and new ones appear, and a full scan
 * records it. Then today's scan, the posture, and the weekly compliance digest with its chart.
 */
async function runDemo(config: Config, io: CliIo): Promise<number> {
  const scenario = demoScenario();
  const today = Date.now();
  let clock = today - DEMO_WEEKS * WEEK_MS;
  const sim = await startSimulator(scenario, { now: () => clock });
  // The AWS SDK reads its endpoint and credentials from the process environment, as in production.
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  const dataDir = path.join(config.database.dataDir, 'demo');
  rmSync(dataDir, { recursive: true, force: true });
  const demoConfig: Config = {
    ...config,
    database: { url: undefined, dataDir },
    aws: { ...config.aws, regions: scenario.regions, securityHub: { mode: 'per-account' } },
  };
  // The demo's output is for people: Warden's log lines (the accounts it could not read) go to a file.
  const logFile = path.join(dataDir, 'warden.log');
  const log = fileLogger(config.logLevel, logFile);
  io.stdout(
    `Simulated organization at ${sim.url}: ${scenario.accounts.length} accounts in ${scenario.ous.length} OUs, ` +
      `${scenario.regions.length} regions. Embedded database in ${dataDir}; Warden's log in ${logFile}.\n` +
      `Building ${DEMO_WEEKS} weeks of history: a full scan a week, findings fixed and new ones found in between.\n\n`,
  );
  try {
    return await withDb(demoConfig, async (handle) => {
      await handle.migrate();
      const quiet = { ...io, isTTY: false, stdout: () => {} };
      for (let week = DEMO_WEEKS; week > 0; week--) {
        clock = today - week * WEEK_MS;
        if (week < DEMO_WEEKS) demoWeek(sim.world, week);
        const past = await scanWithProgress(
          handle.db,
          demoConfig,
          quiet,
          { trigger: 'demo', full: true },
          { now: () => new Date(clock), log },
        );
        if (!past) return EXIT.failed;
        io.stdout(
          `  ${new Date(clock).toISOString().slice(0, 10)}: ${past.totals.findings} findings read, ${past.totals.new} new, ${past.totals.resolved} resolved\n`,
        );
      }
      clock = today;
      demoWeek(sim.world, 0);
      const result = await scanWithProgress(
        handle.db,
        demoConfig,
        io,
        { trigger: 'demo', full: true },
        { log },
      );
      if (!result) return EXIT.failed;
      io.stdout(`\n${scanSummary(result)}`);
      const gaps = await lastScanGaps(handle.db);
      io.stdout(
        `\n${postureReport({
          open: await openBySeverity(handle.db),
          worst: await worstAccounts(handle.db, 5),
          gaps: gaps?.gaps ?? [],
          lastScan: gaps?.finishedAt ?? null,
        })}`,
      );
      io.stdout(
        `\n${await printDigest(handle.db, demoConfig, 'weekly', new Date(), path.join(dataDir, 'weekly-digest.png'), io)}`,
      );
      return EXIT.ok;
    });
  } finally {
    await sim.close();
  }
}

async function withDb(
  config: Config,
  work: (handle: DbHandle) => Promise<number>,
  options: { create?: boolean } = {},
): Promise<number> {
  const handle = await createDb(config, options);
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

export function helpText(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return [
    'warden: governs the findings of an AWS Organization from Slack.',
    '',
    'Usage:',
    ...lines,
    '',
    'Settings come from environment variables; see the configuration table in README.md.',
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code. Never calls process.exit. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const name = [argv.slice(0, 2).join(' '), argv[0] ?? ''].find((n) => n in COMMANDS);
  if (!name) {
    io.stderr(`warden: unknown command "${argv.join(' ')}"\n\n${helpText()}`);
    return EXIT.usage;
  }
  const command = COMMANDS[name]!;
  const rest = argv.slice(name.split(' ').length);
  let config: Config | undefined;
  try {
    const { values } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout(`usage: ${command.usage}\n  ${command.summary}\n`);
      return EXIT.ok;
    }
    const needsSlack =
      typeof command.needsSlack === 'function' ? command.needsSlack(values) : command.needsSlack;
    config = loadConfig(io.env, { cwd: io.cwd, ...(needsSlack ? { requireSlack: needsSlack } : {}) });
    return await command.run(values, { config, io });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`warden: ${err.message}\n`);
      return EXIT.usage;
    }
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`warden ${name}: ${(err as Error).message}\nusage: ${command.usage}\n`);
      return EXIT.usage;
    }
    io.stderr(`warden ${name}: ${describeError(err, config)}\n`);
    return EXIT.failed;
  }
}

/** One line for a failed command: the database named as such (never its SQL), else the error's message. */
function describeError(err: unknown, config: Config | undefined): string {
  const e = err as { code?: string; message?: string; cause?: unknown };
  // An unmigrated database is the commonest first-run mistake: say what to do.
  const pgCode = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if (pgCode === '42P01') return 'the database has no Warden schema yet: run `warden migrate` first';
  const database = describeDatabaseError(err, databaseTarget(config?.database.url));
  if (database) return database;
  return clipReason(e.message ?? String(err));
}
