import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import {
  recordSecurityControls,
  recordStandardControls,
  type SecurityControlSeen,
} from '../db/control-results.js';
import { ingestFindings, type PageCounts } from '../db/findings.js';
import type { StandardControlDefinition } from '../findings/compliance.js';
import type { Finding } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import { carryIssueTriage } from './issue-triage.js';
import { alertSeverities } from './policy.js';

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
  /** Severities at which a new or regressed finding is queued for an alert (the policy's); none: no alerts. */
  alertAt?: readonly Severity[];
}

/**
 * A Security Hub page is at most 100 findings; five of them make a statement. bench:ingest stores as
 * many findings a second with 500 a statement as with 1,000, and a statement half the size holds
 * the process's event loop and memory half as long (bench:scan at 1,000 accounts: peak RSS 167–170
 * against 178 MB, the same ratio within noise, alternating runs).
 */
export const INGEST_BATCH: BatchOptions = { maxRows: 500, maxWaitMs: 20 };

/** How a process's statements are gathered, and what they alert at (the policy's alerts). */
export const ingestOptions = (config: Pick<Config, 'policy'>): BatchOptions => ({
  ...INGEST_BATCH,
  alertAt: alertSeverities(config.policy),
});

/**
 * Stores a scan's pages of findings, gathered across its targets into statements of about
 * `maxRows` findings (never one round trip per page, nor per finding). Failing findings are inserted
 * or refreshed, and a resolved one reopens as a regression; findings the source reports fixed
 * resolve their rows; a finding that joined a triaged issue takes on its triage (issue-triage.ts). Each page's promise settles when the statement holding it commits (or fails),
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
    readonly scanId: number | null,
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

  /**
   * The catalogue this scan has recorded: each security control its evaluations named (title,
   * related requirements) and each standard's controls. Both are the same in every account, so each
   * is written once a scan, by the first target that sees it, not by every statement.
   */
  private readonly controlsRecorded = new Set<string>();
  private readonly standardsRecorded = new Map<string, Promise<void>>();

  /** The security controls the pages name that this scan has not recorded yet. */
  private controlsToRecord(pages: Finding[][]): SecurityControlSeen[] {
    const out: SecurityControlSeen[] = [];
    for (const page of pages) {
      for (const f of page) {
        if (!f.controlId || !f.evaluation || this.controlsRecorded.has(f.controlId)) continue;
        this.controlsRecorded.add(f.controlId);
        out.push({ controlId: f.controlId, title: f.title, requirements: f.evaluation.requirements });
      }
    }
    return out;
  }

  /** Records a standard's controls once a scan; every target that reads it waits for that write. */
  recordStandard(standardId: string, controls: StandardControlDefinition[]): Promise<void> {
    let recorded = this.standardsRecorded.get(standardId);
    if (!recorded) {
      recorded = recordStandardControls(this.db, standardId, controls, this.now());
      this.standardsRecorded.set(standardId, recorded);
    }
    return recorded;
  }

  /** Sends what is gathered now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.rows = 0;
    const pages = batch.map((b) => b.page);
    const controls = this.controlsToRecord(pages);
    const stored = (
      controls.length ? recordSecurityControls(this.db, controls, this.now()) : Promise.resolve()
    )
      .then(() => ingestFindings(this.db, pages, this.scanId, this.now(), this.options.alertAt))
      .then(async (result) => {
        await carryIssueTriage(this.db, result.lackingTriage, this.now());
        return result.pages;
      });
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
