import type { Job } from '../src/schedule/job.js';
import { runScan, ScanCannotRun } from '../src/workflow/scan.js';

/** The full reconciliation: rereads every account's placement and every failing finding. */
export const fullScanJob: Job = {
  name: 'full-scan',
  cron: (s) => s.cron.fullScan,
  catchUp: false,
  async run(deps) {
    try {
      await runScan(deps, { trigger: 'schedule', full: true });
      return undefined;
    } catch (err) {
      if (err instanceof ScanCannotRun) return { skipped: err.message };
      throw err;
    }
  },
};
