import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { hasCode } from '../errors.js';
import { type CliIo, type CommandModule, EXIT, UsageError, type Values, type Wiring } from './command.js';

export type { CliIo, Wiring } from './command.js';
export { EXIT } from './command.js';

/**
 * Every command: what `--help` says of it, its options, what it needs of Slack, and its module,
 * loaded only when it runs (so `--help` does not pay for Bolt, the AWS SDK, PGlite or a canvas).
 */
interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** The value one positional argument sets (`warden review report 3`), when the command takes one. */
  positional?: string;
  /** What the command needs of Slack (see LoadConfigOptions.requireSlack); the Slack settings are checked only then. */
  needsSlack?: boolean | 'web' | ((values: Values) => boolean | 'web');
  load(): Promise<CommandModule>;
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: 'apply pending database migrations (also done at start by `serve`)',
    usage: 'warden migrate',
    options: {},
    load: () => import('./migrate.js'),
  },
  'audit verify': {
    summary:
      'check the audit trail’s hash chain (or an export’s, offline), and that published heads are still in it',
    usage: 'warden audit verify [--expect SEQ:HASH ...] [--anchors] [--file EXPORT.jsonl]',
    options: {
      expect: { type: 'string', multiple: true },
      anchors: { type: 'boolean', default: false },
      file: { type: 'string' },
    },
    load: () => import('./audit-verify.js'),
  },
  'audit export': {
    summary: 'write the audit events for an auditor',
    usage: 'warden audit export [--since YYYY-MM-DD] [--format jsonl|csv] [--output FILE]',
    options: {
      since: { type: 'string' },
      format: { type: 'string', default: 'jsonl' },
      output: { type: 'string' },
    },
    load: () => import('./audit-export.js'),
  },
  report: {
    summary:
      'write the evidence pack of a framework or standard for a scope and a period: HTML, PDF, CSV and a manifest',
    usage:
      'warden report --standard ID --from YYYY-MM-DD --to YYYY-MM-DD [--account ID | --ou OU] --output DIR [--by NAME]',
    options: {
      standard: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      account: { type: 'string' },
      ou: { type: 'string' },
      output: { type: 'string' },
      by: { type: 'string' },
    },
    load: () => import('./report.js'),
  },
  scan: {
    summary: 'scan the organization (incremental; --full reconciles everything) and print a summary',
    usage: 'warden scan [--account ID ...] [--full]',
    options: { account: { type: 'string', multiple: true }, full: { type: 'boolean', default: false } },
    load: () => import('./scan.js'),
  },
  demo: {
    summary:
      'scan a simulated organization into a fresh embedded database and print its posture (no setup needed)',
    usage: 'warden demo',
    options: {},
    load: () => import('./demo.js'),
  },
  serve: {
    summary:
      'answer Slack (HTTP on PORT at /slack/events, or Socket Mode with SLACK_APP_TOKEN) and /healthz, and run the scheduled jobs',
    usage: 'warden serve',
    options: {},
    needsSlack: true,
    load: () => import('./serve.js'),
  },
  worker: {
    summary:
      'take scan jobs from PostgreSQL beside the serve replicas (scan capacity without Slack); /healthz and /metrics on PORT',
    usage: 'warden worker',
    options: {},
    load: () => import('./worker.js'),
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
    load: () => import('./digest.js'),
  },
  'review start': {
    summary:
      'start an access review of the organization, an OU or accounts: their owners decide on each IAM user and externally trusted role',
    usage: 'warden review start [--ou PATH | --account ID ...] [--due YYYY-MM-DD] [--by NAME]',
    options: {
      ou: { type: 'string' },
      account: { type: 'string', multiple: true },
      due: { type: 'string' },
      by: { type: 'string' },
    },
    load: () => import('./review-start.js'),
  },
  'review report': {
    summary:
      'print an access review’s record: every principal, decision, who and when and why, revocations, overdue items',
    usage: 'warden review report CAMPAIGN [--format text|json]',
    options: { format: { type: 'string', default: 'text' } },
    positional: 'campaign',
    load: () => import('./review-report.js'),
  },
  'review close': {
    summary: 'close an access review: no more reminders or escalations; undecided items stay in its report',
    usage: 'warden review close CAMPAIGN [--by NAME]',
    options: { by: { type: 'string' } },
    positional: 'campaign',
    load: () => import('./review-close.js'),
  },
  jobs: {
    summary: 'list the latest scheduled runs: slot, job, outcome, which process, error',
    usage: 'warden jobs [--limit N]',
    options: { limit: { type: 'string', default: '30' } },
    load: () => import('./jobs.js'),
  },
  health: {
    summary:
      'exit 0 when the database answers and its schema is up to date; never creates or migrates one (a running server answers GET /healthz)',
    usage: 'warden health',
    options: {},
    load: () => import('./health.js'),
  },
};

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
export async function run(argv: string[], io: CliIo, wiring: Wiring): Promise<number> {
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
  const { loadConfig } = await import('../config.js');
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: Boolean(command.positional),
    });
    if (positionals.length > 1) throw new UsageError(`one ${command.positional}, not ${positionals.length}`);
    if (command.positional && positionals[0] !== undefined)
      (values as Values)[command.positional] = positionals[0];
    if (values.help) {
      io.stdout(`usage: ${command.usage}\n  ${command.summary}\n`);
      return EXIT.ok;
    }
    const needsSlack =
      typeof command.needsSlack === 'function' ? command.needsSlack(values) : command.needsSlack;
    config = loadConfig(io.env, { cwd: io.cwd, ...(needsSlack ? { requireSlack: needsSlack } : {}) });
    const module = await command.load();
    return await module.run(values, { config, io, wiring });
  } catch (err) {
    if (hasCode(err, 'config')) {
      io.stderr(`warden: ${err.message}\n`);
      return EXIT.usage;
    }
    const code = (err as { code?: string }).code;
    if (hasCode(err, 'usage') || code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`warden ${name}: ${(err as Error).message}\nusage: ${command.usage}\n`);
      return EXIT.usage;
    }
    io.stderr(`warden ${name}: ${await describeError(err, config)}\n`);
    return EXIT.failed;
  }
}

/** One line for a failed command: the database named as such (never its SQL), else the error's message. */
async function describeError(err: unknown, config: Config | undefined): Promise<string> {
  const e = err as { code?: string; message?: string; cause?: unknown };
  // An unmigrated database is the commonest first-run mistake: say what to do.
  const pgCode = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if (pgCode === '42P01') return 'the database has no Warden schema yet: run `warden migrate` first';
  const { databaseTarget, describeDatabaseError } = await import('../db/errors.js');
  const { clipReason } = await import('../reasons.js');
  const database = describeDatabaseError(err, databaseTarget(config?.database.url));
  if (database) return database;
  return clipReason(e.message ?? String(err));
}
