/**
 * A simulated organization is data: accounts, OUs, tags, regions, findings, IAM users and faults.
 * Times are given in days before the simulator's clock, so a scenario stays valid on any date.
 */

export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type ComplianceStatus = 'PASSED' | 'WARNING' | 'FAILED' | 'NOT_AVAILABLE';
export type RecordState = 'ACTIVE' | 'ARCHIVED';
export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';

export interface SimAccessKey {
  /** Defaults to a generated AKIA… id. */
  id?: string;
  ageDays: number;
  active?: boolean;
  /** Days since last use; null or absent: never used. */
  lastUsedDaysAgo?: number | null;
  lastUsedService?: string;
  lastUsedRegion?: string;
}

export interface SimUser {
  name: string;
  createdDaysAgo: number;
  /** A console password; absent: none. */
  password?: { lastUsedDaysAgo?: number | null; changedDaysAgo?: number };
  mfa?: boolean;
  keys?: SimAccessKey[];
  /** The user's IAM tags (`warden:protected: "true"` keeps remediation away from it). */
  tags?: Record<string, string>;
  /** Groups the user is in (names). */
  groups?: string[];
  /** Managed policies attached to the user (names; AWS-managed ones unless an ARN is given) and inline policy names. */
  policies?: { attached?: string[]; inline?: string[] };
}

/** An IAM role: its trust policy (the document, as IAM keeps it) and when it was last used. */
export interface SimRole {
  name: string;
  path?: string;
  trust: Record<string, unknown>;
  createdDaysAgo?: number;
  /** Days since the role was last assumed; null or absent: never (in IAM's tracking period). */
  lastUsedDaysAgo?: number | null;
  lastUsedRegion?: string;
}

export interface SimRoot {
  mfa: boolean;
  /** Days since the root password was last used; null: no information. */
  passwordLastUsedDaysAgo?: number | null;
  keys?: SimAccessKey[];
}

/** GetAccountPasswordPolicy's fields; null in the scenario means the account has no policy. */
export interface SimPasswordPolicy {
  MinimumPasswordLength?: number;
  RequireSymbols?: boolean;
  RequireNumbers?: boolean;
  RequireUppercaseCharacters?: boolean;
  RequireLowercaseCharacters?: boolean;
  AllowUsersToChangePassword?: boolean;
  ExpirePasswords?: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

export interface SimFinding {
  /** Security control id, e.g. `IAM.4` (see controls.ts). */
  control: string;
  region: string;
  /** Defaults to a uuid derived from the scenario seed. */
  uuid?: string;
  compliance?: ComplianceStatus;
  recordState?: RecordState;
  workflow?: WorkflowStatus;
  /** Defaults to the control's severity. */
  severity?: SeverityLabel;
  resourceType?: string;
  resourceId?: string;
  createdDaysAgo?: number;
  updatedDaysAgo?: number;
}

export interface SimAccount {
  id: string;
  name: string;
  email?: string;
  /** Organizations `State`. Defaults to ACTIVE. */
  state?: 'PENDING_ACTIVATION' | 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';
  /** OU id, or the root id. */
  parent: string;
  tags?: Record<string, string>;
  /** Which of Warden's roles exist in the account (both by default). */
  roles?: { audit?: boolean; remediation?: boolean; triage?: boolean };
  /** Regions where Security Hub is not enabled (DescribeHub / GetFindings → InvalidAccessException). */
  securityHubDisabledIn?: string[];
  iam?: { root?: SimRoot; users?: SimUser[]; roles?: SimRole[]; passwordPolicy?: SimPasswordPolicy | null };
  findings?: SimFinding[];
  /** Security Hub standards enabled in the account's regions (keys of src/sim/standards.ts); default: the scenario's. */
  standards?: string[];
  /** Controls disabled in one of the account's standards (`control`: the standard's own control id), in every region. */
  disabledControls?: Array<{ standard: string; control: string; reason?: string }>;
  /**
   * How Security Hub writes the account's control findings: `consolidated` (the default since
   * February 2023: one finding per control, `security-control/IAM.4`), `per-standard` (consolidated
   * control findings turned off: one finding per enabled standard holding the control, under the
   * standard's own control id, still carrying `SecurityControlId`), or `per-standard-legacy` (the same,
   * as findings written before security control ids existed: no `SecurityControlId`).
   */
  controlFindings?: 'consolidated' | 'per-standard' | 'per-standard-legacy';
  faults?: {
    /** AssumeRole answers AccessDenied even though the role exists (a broken trust policy). */
    assumeRoleDenied?: boolean;
    /** GenerateCredentialReport polls answered INPROGRESS before COMPLETE (default: the scenario's). */
    reportInProgressPolls?: number;
    /** The credential report never completes. */
    reportStuck?: boolean;
    /** GetCredentialReport returns content that is not a credential report. */
    reportMalformed?: boolean;
    /** Every call that changes something is answered AccessDenied (a remediation role without its policy). */
    writesDenied?: boolean;
  };
}

export interface Scenario {
  /** Seeds every generated id and every random fault, so runs repeat. */
  seed?: number;
  organizationId: string;
  managementAccountId: string;
  rootId: string;
  ous: Array<{ id: string; name: string; parent: string }>;
  accounts: SimAccount[];
  regions: string[];
  /** The static credentials of the management account's caller (what AWS_ACCESS_KEY_ID would hold). */
  callerCredentials: { accessKeyId: string; secretAccessKey: string; userName: string };
  roles: {
    audit: {
      name: string;
      externalId?: string;
      /** Actions the deployed audit role lacks, as a role deployed from an older Warden's policy would. */
      missingActions?: string[];
    };
    remediation: { name: string; externalId?: string };
    triage: { name: string; externalId?: string };
  };
  securityHub?: {
    adminAccountId?: string;
    aggregationRegion?: string;
    /** Standards enabled in every account and region unless an account says otherwise; default none. */
    standards?: string[];
    /** The new Security Hub (OCSF, `GetFindingsV2`) is on, read org-wide by the administrator. */
    v2?: boolean;
  };
  /**
   * The event pipeline of deploy/findings-events.yaml: findings Security Hub imports or updates go, as
   * EventBridge events, to an SQS queue in the administrator's aggregation region (names and timings
   * default to src/sim/events.ts's).
   */
  events?: {
    queueName?: string;
    deadLetterQueueName?: string;
    visibilityTimeoutSeconds?: number;
    maxReceiveCount?: number;
  };
  /** S3 buckets of the management account (versioned; Object Lock when set), e.g. for the audit anchors. */
  buckets?: Array<{ name: string; objectLock?: boolean }>;
  faults?: {
    /**
     * Every answer's response time: it leaves this long after its request arrived, the simulator's
     * own work included (as a service's latency includes its own), so that a benchmark's lower bound
     * of L per call is one a client that costs nothing would reach.
     */
    latencyMs?: number;
    /** Enforce AWS's per-account Security Hub rate limits (src/aws/quotas.ts). Default true. */
    rateLimits?: boolean;
    /** Share of calls answered with the service's throttling error, at random. */
    throttleRate?: number;
    /** Share of calls answered with a 500/503, at random. */
    serverErrorRate?: number;
    /** GenerateCredentialReport polls answered INPROGRESS before COMPLETE. Default 1. */
    reportInProgressPolls?: number;
    /** Organizations list calls answer an empty first page that still carries a NextToken. */
    emptyFirstPage?: boolean;
  };
}

export const DEFAULT_ROLES = {
  audit: { name: 'WardenAudit' },
  remediation: { name: 'WardenRemediation' },
  triage: { name: 'WardenTriage' },
};
