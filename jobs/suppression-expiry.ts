import type { Job } from '../src/schedule/job.js';
import { reopenExpiredSuppressions } from '../src/workflow/securityhub-sync.js';

/** Reopens findings whose suppression has ended, here and in Security Hub. */
export const suppressionExpiryJob: Job = {
  name: 'suppression-expiry',
  cron: (s) => s.cron.expiry,
  catchUp: false,
  async run(deps, slot) {
    await reopenExpiredSuppressions(deps.writeBack, slot);
    return undefined;
  },
};
