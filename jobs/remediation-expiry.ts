import type { Job } from '../src/schedule/job.js';
import { refreshRequest } from '../src/slack/remediation-messages.js';
import { sweepRequests } from '../src/workflow/remediation.js';

/**
 * Expires remediation requests nobody approved in time and flags those a crash left executing;
 * their Slack messages are redrawn so nobody clicks a dead button.
 */
export const remediationExpiryJob: Job = {
  name: 'remediation-expiry',
  cron: (s) => s.cron.expiry,
  catchUp: false,
  async run(deps, slot) {
    const { expired, stuck } = await sweepRequests(deps.db, slot);
    if (deps.slack) {
      for (const r of [...expired, ...stuck]) await refreshRequest({ ...deps, ...deps.slack }, r.id);
    }
    return undefined;
  },
};
