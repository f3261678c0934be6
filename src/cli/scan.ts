import { scanTargetsOf } from '../db/scans.js';
import { hasCode } from '../errors.js';
import { withServices } from '../runtime.js';
import type { Services } from '../services.js';
import { progressLine, scanSummary } from '../terminal.js';
import { runScan, type ScanProgress, type ScanRequest, type ScanResult } from '../workflow/scan.js';
import { workScanJobs } from '../workflow/scan-worker.js';
import { type CliIo, type CommandModule, EXIT, stopOf, UsageError } from './command.js';

export const run: CommandModule['run'] = async (values, { config, io }) => {
  const accounts = values.account as unknown as string[] | undefined;
  const bad = (accounts ?? []).filter((a) => !/^\d{12}$/.test(a));
  if (bad.length > 0) throw new UsageError(`--account takes 12-digit account ids (got ${bad.join(', ')})`);
  // A progress bar and JSON log lines do not mix: while the bar is drawn, only errors are logged.
  const logLevel = io.isTTY && config.logLevel !== 'silent' ? 'error' : config.logLevel;
  const options = { migrate: 'if-owner' as const, logLevel, ...stopOf(io) };
  return withServices(config, options, async (plain) => {
    // On PostgreSQL the scan is durable jobs, which this process works too (alone, it does them all).
    const services = await workScanJobs(plain);
    const result = await scanWithProgress(services, io, {
      trigger: 'cli',
      full: Boolean(values.full),
      ...(accounts?.length ? { accounts } : {}),
      signal: services.stop,
    }).finally(() => services.scanJobs?.stop());
    if (!result) return EXIT.failed;
    io.stdout(scanSummary(result, await scanTargetsOf(services.db, result.scanId)));
    return EXIT.ok;
  });
};

/** Runs a scan, drawing a progress bar on a terminal. Returns undefined when the scan could not run. */
export async function scanWithProgress(
  services: Services,
  io: CliIo,
  request: Omit<ScanRequest, 'onProgress'>,
): Promise<ScanResult | undefined> {
  const draw = io.isTTY ? (p: ScanProgress) => io.stderr(`\r${progressLine(p)}`) : undefined;
  try {
    return await runScan(services, { ...request, ...(draw ? { onProgress: draw } : {}) });
  } catch (err) {
    const lead = draw ? '\n' : '';
    const said = hasCode(err, 'scan-cannot-run', 'scan-already-running')
      ? `the scan could not run: ${err.message}`
      : hasCode(err, 'scan-failed')
        ? `the scan failed: ${err.message}`
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
  }
}
