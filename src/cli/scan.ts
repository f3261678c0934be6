import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { hasCode } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { progressLine, scanSummary } from '../terminal.js';
import { runScan, type ScanProgress, type ScanRequest, type ScanResult } from '../workflow/scan.js';
import { type CliIo, type CommandModule, EXIT, UsageError } from './command.js';
import { awsClients, withDb } from './with-db.js';

export const run: CommandModule['run'] = async (values, { config, io }) => {
  const accounts = values.account as unknown as string[] | undefined;
  const bad = (accounts ?? []).filter((a) => !/^\d{12}$/.test(a));
  if (bad.length > 0) throw new UsageError(`--account takes 12-digit account ids (got ${bad.join(', ')})`);
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
};

/** Runs a scan, drawing a progress bar on a terminal. Returns undefined when the scan could not run. */
export async function scanWithProgress(
  db: Database,
  config: Config,
  io: CliIo,
  request: Omit<ScanRequest, 'onProgress'>,
  options: { now?: () => Date; log?: Logger; clients?: AwsClients } = {},
): Promise<ScanResult | undefined> {
  const { now } = options;
  // Clients handed in stay the caller's; ones made here are closed here.
  const clients = options.clients ?? awsClients(config);
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
    const said = hasCode(err, 'scan-cannot-run', 'scan-already-running')
      ? `the scan could not run: ${err.message}`
      : hasCode(err, 'scan-cancelled')
        ? `${err.message}; what it stored stays, nothing was resolved`
        : hasCode(err, 'database')
          ? `the database failed: ${err.message}; the scan stopped, nothing was resolved`
          : undefined;
    if (said) {
      io.stderr(`${lead}warden scan: ${said}\n`);
      return undefined;
    }
    throw err;
  } finally {
    if (draw) io.stderr('\n');
    if (!options.clients) clients.destroy();
  }
}
