import { anyScanCompleted, NO_SCAN_YET } from '../src/db/scans.js';
import { dailyDigests } from '../src/digest/daily.js';
import { deliverDigest, retryFailedDeliveries } from '../src/digest/deliver.js';
import { dailyPeriod } from '../src/digest/periods.js';
import type { Job } from '../src/schedule/job.js';

/** The daily digest, to the default channel and to each routed OU channel; failed deliveries of the week are retried. */
export const dailyDigestJob: Job = {
  name: 'daily-digest',
  cron: (s) => s.cron.dailyDigest,
  catchUp: true,
  async run(deps, slot) {
    if (!deps.slack) return { skipped: 'Slack is not configured' };
    const { period, window } = dailyPeriod(slot, deps.config.schedule);
    const digests = await dailyDigests(deps.db, deps.config, window);
    if (digests.length === 0)
      return { skipped: 'no channel to send to: set routing.defaultChannel or routing.ous' };
    if (!(await anyScanCompleted(deps.db))) return { skipped: NO_SCAN_YET };
    await retryFailedDeliveries(deps.db, deps.slack.web, 'daily', slot);
    const failed = [];
    for (const d of digests) {
      const sent = await deliverDigest(deps.db, deps.slack.web, {
        kind: 'daily',
        period,
        channel: d.channel,
        message: d.message,
      });
      if (sent.status !== 'sent') failed.push(`${d.channel}: ${sent.error}`);
    }
    if (failed.length) throw new Error(`not delivered to ${failed.join('; ')}`);
    return undefined;
  },
};
