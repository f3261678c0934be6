import type { Job } from '../src/schedule/job.js';
import { runScan, ScanCannotRun } from '../src/workflow/scan.js';

/** An incremental scan: what changed since the last one. Skipped while another scan runs. */
export const scanJob: Job = {
  name: 'scan',
  cron: (s) => s.cron.scan,
  catchUp: false,
  async run(deps) {
    try {
      await runScan(deps, { trigger: 'schedule', signal: deps.signal });
      return undefined;
    } catch (err) {
      if (err instanceof ScanCannotRun) return { skipped: err.message };
      throw err;
    }
  },
};
