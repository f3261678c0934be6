import type { Database } from '../db/client.js';
import { existingFindings, findingIdentity, resolveByIds, upsertFailing } from '../db/findings.js';
import type { Finding } from '../findings/finding.js';

export interface IngestCounts {
  new: number;
  updated: number;
  reopened: number;
  resolved: number;
}

export const emptyCounts = (): IngestCounts => ({ new: 0, updated: 0, reopened: 0, resolved: 0 });

export function addCounts(into: IngestCounts, more: IngestCounts): IngestCounts {
  into.new += more.new;
  into.updated += more.updated;
  into.reopened += more.reopened;
  into.resolved += more.resolved;
  return into;
}

/**
 * Stores one page of findings from a collector in one short transaction and two or three round
 * trips, whatever the page's size: failing findings are inserted or refreshed (a resolved one is
 * reopened as a regression); findings the source reports fixed (passed, archived, resolved) resolve
 * their rows. A source finding that is not failing and was never stored is ignored.
 */
export async function ingestPage(
  db: Database,
  page: Finding[],
  scanId: number,
  now: Date,
): Promise<IngestCounts> {
  if (page.length === 0) return emptyCounts();
  return db.transaction(async (tx) => {
    const existing = await existingFindings(tx, page);
    const counts = emptyCounts();
    const failing: Finding[] = [];
    const fixedIds: number[] = [];
    for (const f of page) {
      const row = existing.get(findingIdentity(f));
      if (!f.failing) {
        if (row && row.status !== 'resolved') fixedIds.push(row.id);
        continue;
      }
      failing.push(f);
      if (!row) counts.new += 1;
      else if (row.status === 'resolved') counts.reopened += 1;
      else if (
        row.severity !== f.severity ||
        row.compliance !== f.compliance ||
        row.awsWorkflowStatus !== f.awsWorkflowStatus ||
        row.sourceUpdatedAt?.getTime() !== f.sourceUpdatedAt?.getTime()
      ) {
        counts.updated += 1;
      }
    }
    await upsertFailing(tx, failing, scanId, now);
    counts.resolved = await resolveByIds(tx, fixedIds, now);
    return counts;
  });
}
