import { anyScanCompleted, NO_SCAN_YET } from '../src/db/scans.js';
import { deliverDigest, retryFailedDeliveries } from '../src/digest/deliver.js';
import { weeklyPeriod } from '../src/digest/periods.js';
import { weeklyDigestMessage } from '../src/digest/weekly.js';
import type { Job } from '../src/schedule/job.js';

/** The weekly compliance digest, with its chart, to `routing.weeklyChannel` and as a DM to each manager. */
export const weeklyDigestJob: Job = {
  name: 'weekly-digest',
  cron: (s) => s.cron.weeklyDigest,
  catchUp: true,
  async run(deps, slot) {
    if (!deps.slack) return { skipped: 'Slack is not configured' };
    const { policy } = deps.config;
    const managers = await Promise.all(policy.managers.map((m) => deps.slack!.directory.userIdFor(m)));
    const recipients = [
      ...(policy.routing.weeklyChannel ? [policy.routing.weeklyChannel] : []),
      ...managers.filter((id): id is string => Boolean(id)),
    ];
    if (recipients.length === 0)
      return { skipped: 'nobody to send to: set managers or routing.weeklyChannel' };
    if (!(await anyScanCompleted(deps.db))) return { skipped: NO_SCAN_YET };
    const { period, window } = weeklyPeriod(slot, deps.config.schedule);
    const { message } = await weeklyDigestMessage(deps.db, deps.config, window, period);
    await retryFailedDeliveries(deps.db, deps.slack.web, 'weekly', slot);
    const failed = [];
    for (const channel of recipients) {
      const sent = await deliverDigest(deps.db, deps.slack.web, { kind: 'weekly', period, channel, message });
      if (sent.status !== 'sent') failed.push(`${channel}: ${sent.error}`);
    }
    if (failed.length) throw new Error(`not delivered to ${failed.join('; ')}`);
    return undefined;
  },
};
