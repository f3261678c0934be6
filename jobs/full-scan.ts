import { hasCode } from '../src/errors.js';
import type { Job } from '../src/schedule/job.js';
import { runScan, ScanAlreadyRunning, untilStopped } from '../src/workflow/scan.js';

/** How often a full scan that found another scan running looks again. */
export const FULL_SCAN_RETRY_MS = 15_000;
/** How long it waits for the other scan before the slot is recorded as skipped. */
export const FULL_SCAN_WAIT_MS = 3 * 3_600_000;

/**
 * The full reconciliation: rereads every account's placement and every failing finding. When another
 * scan is running (the hourly incremental one) it waits for that scan to end, rather than losing a
 * day: a running scan either progresses or is closed as abandoned once its lease lapses.
 */
export const fullScanJob: Job = {
  name: 'full-scan',
  cron: (s) => s.cron.fullScan,
  catchUp: false,
  async run(deps) {
    const deadline = Date.now() + (deps.fullScanWaitMs ?? FULL_SCAN_WAIT_MS);
    for (;;) {
      try {
        await runScan(deps, { trigger: 'schedule', full: true, ...untilStopped(deps) });
        return undefined;
      } catch (err) {
        if (err instanceof ScanAlreadyRunning && Date.now() < deadline) {
          deps.log.info({ running: err.running.id }, 'the full scan waits for the scan under way');
          await waitOrStop(deps.fullScanRetryMs ?? FULL_SCAN_RETRY_MS, deps.stop);
          continue;
        }
        if (hasCode(err, 'scan-cannot-run', 'scan-already-running', 'scan-left'))
          return { skipped: err.message };
        throw err;
      }
    }
  },
};

function waitOrStop(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
