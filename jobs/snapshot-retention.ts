import type { Job } from '../src/schedule/job.js';
import { applySnapshotRetention } from '../src/workflow/snapshot-retention.js';

/**
 * Thins and expires posture and compliance snapshots daily (WARDEN_SNAPSHOT_RETENTION_DAYS,
 * WARDEN_SNAPSHOT_HOURLY_DAYS): a scan an hour writes a snapshot per account and per scope and
 * standard, millions of rows a year at an organization's size. A day every replica missed runs once
 * at start.
 */
export const snapshotRetentionJob: Job = {
  name: 'snapshot-retention',
  cron: (s) => s.cron.snapshotRetention,
  catchUp: true,
  async run(deps, slot) {
    const pruned = await applySnapshotRetention(deps.db, deps.config.snapshots, slot);
    const removed = Object.values(pruned).some((p) => p.expired + p.thinned > 0);
    return removed ? undefined : { skipped: 'no snapshot old enough to thin or expire' };
  },
};
