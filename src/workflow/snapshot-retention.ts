import { appendAudit } from '../audit/trail.js';
import type { SnapshotRetention } from '../config.js';
import type { Database } from '../db/client.js';
import { type Pruned, pruneSnapshots } from '../db/snapshot-retention.js';

/**
 * The daily pruning of the trends' history (see pruneSnapshots), audited with what it removed and the
 * settings it applied, in the same transaction: what an auditor asks when a trend starts later than
 * expected.
 */
export async function applySnapshotRetention(
  db: Database,
  retention: SnapshotRetention,
  now = new Date(),
): Promise<Pruned> {
  return db.transaction(async (tx) => {
    const pruned = await pruneSnapshots(tx, retention, now);
    const removed = Object.values(pruned).reduce((n, p) => n + p.expired + p.thinned, 0);
    if (removed > 0)
      await appendAudit(tx, {
        actor: 'warden:retention',
        action: 'snapshots.pruned',
        subject: 'snapshots',
        details: { ...pruned, retentionDays: retention.days, hourlyDays: retention.hourlyDays },
        at: now,
      });
    return pruned;
  });
}
