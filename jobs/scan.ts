import { hasCode } from '../src/errors.js';
import type { Job } from '../src/schedule/job.js';
import { runScan, untilStopped } from '../src/workflow/scan.js';

/** An incremental scan: what changed since the last one. Skipped while another scan runs. */
export const scanJob: Job = {
  name: 'scan',
  cron: (s) => s.cron.scan,
  catchUp: false,
  async run(deps) {
    try {
      await runScan(deps, { trigger: 'schedule', ...untilStopped(deps) });
      return undefined;
    } catch (err) {
      if (hasCode(err, 'scan-cannot-run', 'scan-already-running', 'scan-left'))
        return { skipped: err.message };
      throw err;
    }
  },
};
