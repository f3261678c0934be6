/**
 * AWS's published limits, in one place: Warden's client-side rate limiter keeps under them and the
 * simulator enforces them. Sources: ../shared/FACTS.md §1 (Security Hub user guide, botocore models).
 */

export interface RateLimit {
  /** Sustained requests per second, per account and region. */
  ratePerSecond: number;
  burst: number;
}

/** Security Hub API rate limits, per account per region. Operations not listed share `default`. */
export const SECURITY_HUB_RATE_LIMITS: Record<string, RateLimit> & { default: RateLimit } = {
  GetFindings: { ratePerSecond: 3, burst: 6 },
  BatchImportFindings: { ratePerSecond: 10, burst: 30 },
  BatchUpdateFindings: { ratePerSecond: 10, burst: 30 },
  BatchEnableStandards: { ratePerSecond: 1, burst: 1 },
  UpdateStandardsControl: { ratePerSecond: 1, burst: 5 },
  default: { ratePerSecond: 10, burst: 30 },
};

export function securityHubRateLimit(operation: string): RateLimit {
  return SECURITY_HUB_RATE_LIMITS[operation] ?? SECURITY_HUB_RATE_LIMITS.default;
}

/**
 * The share of a published rate that processes sharing one bucket (in PostgreSQL) use: at exactly
 * AWS's rate, AWS's own bucket is empty whenever Warden's is, and the jitter between reserving a
 * token and the call arriving (a database round trip, another process's timers) turns into
 * throttles. The 10% left refills AWS's bucket enough to absorb it.
 */
export const SHARED_BUCKET_PACE = 0.9;

/** Page sizes the APIs allow. */
export const PAGE_LIMITS = {
  /** Organizations ListAccounts / ListParents MaxResults (1–20). */
  organizationsMaxResults: 20,
  /** Security Hub GetFindings MaxResults (1–100). */
  securityHubMaxResults: 100,
  /** Security Hub GetFindings: values per filter attribute (and at most 10 attributes). */
  securityHubFilterValues: 20,
  /** Security Hub BatchUpdateFindings: findings per call. */
  securityHubBatchUpdate: 100,
  /** Security Hub Note.Text length. */
  securityHubNoteText: 512,
  /** Security Hub GetEnabledStandards and DescribeStandardsControls MaxResults (1–100). */
  securityHubStandardsMaxResults: 100,
  /** Security Hub GetEnabledStandards: StandardsSubscriptionArns (1–25). */
  securityHubSubscriptionArns: 25,
  /**
   * GetFindingsV2 MaxResults: the reference gives no range; 100, CSPM's own page, is what Warden asks
   * for and what the simulator allows.
   */
  securityHubV2MaxResults: 100,
  /** GetFindingsV2 Filters: composite filters, and filters of one type within each (FACTS.md §8). */
  securityHubV2CompositeFilters: 10,
  securityHubV2FiltersPerType: 20,
  /** GetFindingsV2 Scopes.AwsOrganizations: entries (ORed). */
  securityHubV2Scopes: 10,
  /** BatchUpdateFindingsV2 Comment length (1–512). */
  securityHubV2Comment: 512,
} as const;

/** STS AssumeRole DurationSeconds bounds; RoleSessionName is 2–64 chars of [\w+=,.@-]. */
export const STS_LIMITS = {
  minDurationSeconds: 900,
  maxDurationSeconds: 43_200,
  sessionNameMax: 64,
} as const;

/** IAM generates a new credential report at most every 4 hours; a request within that returns the last one. */
export const CREDENTIAL_REPORT_MIN_INTERVAL_MS = 4 * 60 * 60 * 1000;
