import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import type { ComplianceScope } from '../domain.js';

/** A standard's score as people read it: `84%`, or `no data` when no control has data. */
export const scorePercent = (basisPoints: number | null) =>
  basisPoints === null ? 'no data' : `${Math.round(basisPoints / 100)}%`;

/** A standard's score in one scope, as a scan's conclusion recorded it. */
export interface StandardScore {
  standardId: string;
  passed: number;
  failed: number;
  unknown: number;
  noData: number;
  disabled: number;
  /** Basis points; null when no control has data. */
  score: number | null;
  takenAt: Date;
}

/**
 * Each standard's latest score in a scope at `at` (the organization by default): one index lookup
 * per standard enabled anywhere, whatever the length of the history.
 */
export async function standardScoresAt(
  db: Database,
  at: Date,
  scope: ComplianceScope = 'organization',
  scopeId = '',
): Promise<StandardScore[]> {
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select s.standard_id, x.passed, x.failed, x.unknown, x.no_data, x.disabled, x.score, x.taken_at
      from (select distinct standard_id from enabled_standards) s
        cross join lateral (
          select * from compliance_snapshots c
          where c.scope = ${scope} and c.scope_id = ${scopeId} and c.standard_id = s.standard_id
            and c.taken_at <= ${at.toISOString()}::timestamptz
          order by c.taken_at desc limit 1
        ) x
      order by s.standard_id`,
  );
  return rows.map(standardScoreOf);
}

/** A compliance_snapshots row (with its standard_id) as a StandardScore. */
export const standardScoreOf = (r: Record<string, unknown>): StandardScore => ({
  standardId: String(r.standard_id),
  passed: Number(r.passed),
  failed: Number(r.failed),
  unknown: Number(r.unknown),
  noData: Number(r.no_data),
  disabled: Number(r.disabled),
  score: r.score === null ? null : Number(r.score),
  takenAt: new Date(String(r.taken_at)),
});

/** Each standard's score now and at each earlier point (oldest first), for a trend. */
export async function standardTrends(
  db: Database,
  points: Date[],
): Promise<Array<{ standardId: string; now: StandardScore; trend: Array<number | null> }>> {
  const scored = await Promise.all(points.map((at) => standardScoresAt(db, at)));
  const latest = scored.at(-1) ?? [];
  return latest.map((now) => ({
    standardId: now.standardId,
    now,
    trend: scored.map((point) => point.find((s) => s.standardId === now.standardId)?.score ?? null),
  }));
}

/** Names of the standards Security Hub offers, by id (the ARN's resource); others are named from their id. */
const STANDARD_NAMES: Record<string, string> = {
  'standards/aws-foundational-security-best-practices/v/1.0.0':
    'AWS Foundational Security Best Practices v1.0.0',
  'ruleset/cis-aws-foundations-benchmark/v/1.2.0': 'CIS AWS Foundations Benchmark v1.2.0',
  'standards/cis-aws-foundations-benchmark/v/1.4.0': 'CIS AWS Foundations Benchmark v1.4.0',
  'standards/cis-aws-foundations-benchmark/v/3.0.0': 'CIS AWS Foundations Benchmark v3.0.0',
  'standards/cis-aws-foundations-benchmark/v/5.0.0': 'CIS AWS Foundations Benchmark v5.0.0',
  'standards/nist-800-53/v/5.0.0': 'NIST SP 800-53 Rev. 5',
  'standards/pci-dss/v/3.2.1': 'PCI DSS v3.2.1',
  'standards/pci-dss/v/4.0.1': 'PCI DSS v4.0.1',
};

/** A standard's name as people know it: `CIS AWS Foundations Benchmark v3.0.0`. */
export function standardName(standardId: string): string {
  const known = STANDARD_NAMES[standardId];
  if (known) return known;
  const [, path = standardId] = /^[^/]+\/(.*)$/.exec(standardId) ?? [];
  return path.replace('/v/', ' v');
}

/**
 * A standard's short name, to type in `/compliance`: `fsbp`, `cis-3.0`, `nist`, `pci-4.0.1`; any other
 * standard by the last part of its path (`resource-tagging-1.0`).
 */
export function standardAlias(standardId: string): string {
  const m = /(?:standards|ruleset)\/([^/]+)\/v\/([\d.]+)$/.exec(standardId);
  if (!m) return standardId;
  const [, name = '', version = ''] = m;
  if (name === 'aws-foundational-security-best-practices') return 'fsbp';
  if (name === 'cis-aws-foundations-benchmark') return `cis-${version.replace(/\.0$/, '')}`;
  if (name === 'nist-800-53') return 'nist';
  if (name === 'pci-dss') return `pci-${version}`;
  return `${name}-${version.replace(/\.0$/, '')}`;
}

/** The standards enabled in any account, by id. */
export async function enabledStandardIds(db: Database): Promise<string[]> {
  const rows = await rawRows<{ standard_id: string }>(
    db,
    sql`select distinct standard_id from enabled_standards order by standard_id`,
  );
  return rows.map((r) => r.standard_id);
}

/** A control failed in a scope: its id and title, and the accounts it fails in. */
export interface FailingControl {
  controlId: string;
  /** The security control its evaluations carry (IAM.4 for CIS v1.2.0's 1.12), when one was seen. */
  securityControlId: string | null;
  title: string;
  accountIds: string[];
}

/**
 * The controls of a standard that fail in a scope (every account, or the ones given), most widely
 * failed first, at most `limit`; and how many fail in all. Read from `control_statuses`: the
 * accounts × controls, not the evaluations.
 */
export async function failingControls(
  db: Database,
  standardId: string,
  limit: number,
  accountIds?: string[],
): Promise<{ total: number; controls: FailingControl[] }> {
  const inScope = accountIds ? sql` and c.account_id = any(${textArray(accountIds)}::text[])` : sql``;
  const rows = await rawRows<{
    control_id: string;
    security_control_id: string | null;
    title: string | null;
    accounts: string[];
    total: number;
  }>(
    db,
    sql`select c.control_id, min(c.security_control_id) as security_control_id, max(s.title) as title, array_agg(c.account_id order by c.account_id) as accounts,
        count(*) over ()::int as total
      from control_statuses c
        left join standard_controls s on s.standard_id = c.standard_id and s.control_id = c.control_id
      where c.standard_id = ${standardId} and c.status = 'failed'${inScope}
      group by c.control_id
      order by count(*) desc, c.control_id
      limit ${limit}`,
  );
  return {
    total: Number(rows[0]?.total ?? 0),
    controls: rows.map((r) => ({
      controlId: r.control_id,
      securityControlId: r.security_control_id,
      title: r.title ?? r.control_id,
      accountIds: r.accounts,
    })),
  };
}
