import type { Job } from '../src/schedule/job.js';
import { publishAnchor } from '../src/workflow/audit-anchor.js';

/**
 * Publishes the audit trail's head outside the database, daily (remediations publish it too, as
 * they finish). A day every replica missed is published once at start.
 */
export const auditAnchorJob: Job = {
  name: 'audit-anchor',
  cron: (s) => s.cron.auditAnchor,
  catchUp: true,
  async run(deps) {
    const result = await publishAnchor({ ...deps, web: deps.slack?.web }, 'schedule');
    return 'skipped' in result ? result : undefined;
  },
};
