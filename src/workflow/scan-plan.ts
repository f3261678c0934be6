import type { Indexed } from '../aws/fanout.js';
import type { DiscoveredAccount } from '../aws/organization.js';
import { CREDENTIAL_REPORT_MIN_INTERVAL_MS, PAGE_LIMITS } from '../aws/quotas.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { readCursors } from '../db/scans.js';
import type { Source } from '../findings/finding.js';

/** One account × region × source a scan reads: whose credentials, which findings it covers, which cursor it moves. */
export interface Target {
  source: Source;
  /** The account whose credentials the target uses. */
  accountId: string;
  region: string;
  /** The accounts whose findings this target covers (more than one in aggregator mode). */
  covers: string[];
  aggregator: boolean;
  /** Aggregator mode restricted to some accounts: the AwsAccountId filter (at most 20 values). */
  accountFilter?: string[];
  /** The sync cursor's scope; undefined when this target must not move a cursor. */
  cursorScope: string | undefined;
  /** The administrator's stream reads the new Security Hub (GetFindingsV2, OCSF); absent: CSPM's GetFindings. */
  api?: 'v2';
  /** The new Security Hub only: the OUs it reads (`Scopes.AwsOrganizations`); `covers` is their accounts. */
  scopeOus?: string[];
}

/**
 * Whether the new Security Hub's OU scopes take in an account: its OU or one above it is scoped (no
 * scopes take in every account). Without recorded ancestors, only its own OU is known.
 */
export function withinScope(
  account: { ouId: string | null; ouAncestors?: string[] | null },
  scopeOus: readonly string[] | undefined,
): boolean {
  if (!scopeOus) return true;
  const ous = account.ouAncestors ?? (account.ouId ? [account.ouId] : []);
  return ous.some((ou) => scopeOus.includes(ou));
}

/** The OUs the administrator's stream reads, when it reads the new Security Hub by OU. */
export function scopedOus(config: Config, api: 'cspm' | 'v2'): string[] | undefined {
  const hub = config.aws.securityHub;
  return api === 'v2' && hub.mode === 'aggregator' ? hub.scopeOus : undefined;
}

/**
 * A scan's targets in their order: a target's index names it in durable jobs and stored results.
 * An array is one; so is the per-account plan, which makes each target when it is asked for.
 */
export type TargetList = Indexed<Target>;

/** A credential report's target: one per account, global. */
const reportTarget = (accountId: string): Target => ({
  source: 'credential-report',
  accountId,
  region: 'global',
  covers: [accountId],
  aggregator: false,
  cursorScope: accountId,
});

/**
 * The credential reports' targets, then Security Hub's: per account × region (made when asked for),
 * or the administrator's streams. Held as targets, a scan of 5,000 accounts kept 25,000 objects with
 * their strings and arrays for its whole run, about 1 KB per account (measured in heap snapshots);
 * made on demand, each lives only while it runs.
 */
export class PlannedTargets implements TargetList {
  constructor(
    /** The accounts whose credential report the scan reads. */
    private readonly reports: readonly string[],
    private readonly securityHub:
      | { accounts: readonly string[]; regions: readonly string[] }
      | { streams: readonly Target[] },
  ) {}

  get length(): number {
    const hub = this.securityHub;
    return (
      this.reports.length + ('streams' in hub ? hub.streams.length : hub.accounts.length * hub.regions.length)
    );
  }

  at(index: number): Target | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    if (index < this.reports.length) return reportTarget(this.reports[index]!);
    const k = index - this.reports.length;
    const hub = this.securityHub;
    if ('streams' in hub) return hub.streams[k];
    const accountId = hub.accounts[Math.floor(k / hub.regions.length)]!;
    const region = hub.regions[k % hub.regions.length]!;
    return {
      source: 'securityhub',
      accountId,
      region,
      covers: [accountId],
      aggregator: false,
      cursorScope: `${accountId}|${region}`,
    };
  }
}

/** Every target of a list, made: what a durable scan stores with its plan. */
export const targetArray = (targets: TargetList): Target[] =>
  Array.from({ length: targets.length }, (_, i) => targets.at(i)!);

/**
 * The targets of a scan: every account's credential report (unless read recently), and Security Hub
 * per account × region, or one organization-wide stream from the aggregator (one per 20 accounts when
 * the scan names accounts).
 */
export function planTargets(
  config: Config,
  accounts: ReadonlyArray<Pick<DiscoveredAccount, 'id' | 'ouId' | 'ouAncestors'>>,
  restricted: boolean,
  freshReports: Set<string>,
  /** Which Security Hub the administrator's stream reads (see securityHubApi). */
  api: 'cspm' | 'v2' = 'cspm',
): PlannedTargets {
  const reports = accounts.filter((a) => !freshReports.has(a.id)).map((a) => a.id);
  const hub = config.aws.securityHub;
  if (hub.mode !== 'aggregator')
    return new PlannedTargets(reports, { accounts: accounts.map((a) => a.id), regions: config.aws.regions });
  // The two APIs name findings differently: each keeps a cursor of its own. Read by OU, the new one
  // covers (and a full sync vouches for) the accounts of those OUs only.
  const scopeOus = scopedOus(config, api);
  const v2 = api === 'v2' ? ({ api: 'v2', ...(scopeOus ? { scopeOus } : {}) } as const) : {};
  const ids = accounts.filter((a) => withinScope(a, scopeOus)).map((a) => a.id);
  const streams: Target[] = [];
  if (!restricted) {
    if (ids.length > 0)
      streams.push({
        source: 'securityhub',
        accountId: hub.adminAccountId,
        region: hub.aggregationRegion,
        covers: ids,
        aggregator: true,
        cursorScope: `${api === 'v2' ? 'aggregator-v2' : 'aggregator'}|${hub.adminAccountId}|${hub.aggregationRegion}${scopeOus ? `|${scopeOus.join(',')}` : ''}`,
        ...v2,
      });
  } else {
    // Some accounts only: one stream per 20 accounts (the most values a filter takes), always in full,
    // and the organization-wide cursor stays where it is.
    for (let i = 0; i < ids.length; i += PAGE_LIMITS.securityHubFilterValues) {
      const some = ids.slice(i, i + PAGE_LIMITS.securityHubFilterValues);
      streams.push({
        source: 'securityhub',
        accountId: hub.adminAccountId,
        region: hub.aggregationRegion,
        covers: some,
        aggregator: true,
        accountFilter: some,
        cursorScope: undefined,
        ...v2,
      });
    }
  }
  return new PlannedTargets(reports, { streams });
}

/**
 * The accounts whose credential report an incremental scan skips: IAM hands back the same report for
 * 4 hours, so one read more recently than that has nothing new. A full scan reads every one.
 */
export async function freshReportAccounts(db: Database, full: boolean, now: Date): Promise<Set<string>> {
  if (full) return new Set();
  const cutoff = now.getTime() - CREDENTIAL_REPORT_MIN_INTERVAL_MS;
  return new Set(
    (await readCursors(db, 'credential-report'))
      .filter((c) => c.syncedAt.getTime() > cutoff)
      .map((c) => c.scope),
  );
}
