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

/** How a scan's pages are gathered into statements. */
export interface BatchOptions {
  /** A statement is sent once its pages hold this many findings… */
  maxRows: number;
  /** …or once the first of them has waited this long. */
  maxWaitMs: number;
}

/** A Security Hub page is at most 100 findings; ten of them make a statement. */
export const INGEST_BATCH: BatchOptions = { maxRows: 1000, maxWaitMs: 20 };

/**
 * Stores a scan's pages of findings, gathered across its targets into statements of about
 * `maxRows` findings (never one round trip per page, nor per finding). Failing findings are inserted
 * or refreshed, and a resolved one reopens as a regression; findings the source reports fixed
 * resolve their rows. Each page's promise settles when the statement holding it commits (or fails),
 * with that page's own counts: a target is done only when its findings are stored.
 */
export class IngestBatches {
  private pending: Array<{
    page: Finding[];
    resolve: (c: IngestCounts) => void;
    reject: (e: unknown) => void;
  }> = [];
  private rows = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    readonly scanId: number,
    private readonly now: () => Date,
    private readonly options: BatchOptions = INGEST_BATCH,
  ) {}

  store(page: Finding[]): Promise<IngestCounts> {
    if (page.length === 0) return Promise.resolve(emptyCounts());
    const stored = new Promise<IngestCounts>((resolve, reject) =>
      this.pending.push({ page, resolve, reject }),
    );
    this.rows += page.length;
    if (this.rows >= this.options.maxRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    return stored;
  }

  /** Sends what is gathered now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.rows = 0;
    const stored = ingestFindings(
      this.db,
      batch.map((b) => b.page),
      this.scanId,
      this.now(),
    );
    // The statement holds its own copy of the findings: the pages are not kept until it commits.
    for (const b of batch) b.page = [];
    stored.then(
      (counts) => {
        for (const [i, b] of batch.entries()) b.resolve(counts[i]!);
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err);
      },
    );
  }
}
