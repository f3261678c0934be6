import type { Database } from '../db/client.js';
import { ingestFindings, type PageCounts } from '../db/findings.js';
import type { Finding } from '../findings/finding.js';

export type IngestCounts = PageCounts;

export const emptyCounts = (): IngestCounts => ({ new: 0, updated: 0, reopened: 0, resolved: 0 });

export function addCounts(into: IngestCounts, more: IngestCounts): IngestCounts {
  into.new += more.new;
  into.updated += more.updated;
  into.reopened += more.reopened;
  into.resolved += more.resolved;
  return into;
}

/**
 * Stores one page of findings from a collector (one statement, never one round trip per finding).
 * Failing findings are inserted or refreshed, and a resolved one reopens as a regression; findings
 * the source reports fixed resolve their rows. A finding listed twice in a page counts once (the last).
 */
export async function ingestPage(
  db: Database,
  page: Finding[],
  scanId: number,
  now: Date,
): Promise<IngestCounts> {
  const unique = new Map(page.map((f) => [`${f.source}\u0000${f.productArn}\u0000${f.externalId}`, f]));
  return ingestFindings(db, [...unique.values()], scanId, now);
}
