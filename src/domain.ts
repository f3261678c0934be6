/**
 * The values every status, kind and outcome may take, in one place: the schema makes each an
 * enumerated column with a CHECK constraint from these lists, and the code's types derive from them.
 */

export const SCAN_KINDS = ['full', 'incremental'] as const;
export type ScanKind = (typeof SCAN_KINDS)[number];

export const SCAN_TRIGGERS = ['cli', 'schedule', 'slack', 'demo'] as const;
export type ScanTrigger = (typeof SCAN_TRIGGERS)[number];

/** failed: could not run, or stopped by an error; cancelled: stopped on request; abandoned: its process died. */
export const SCAN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'abandoned'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];

export const TARGET_STATUSES = ['ok', 'failed'] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

/** Why one account × region × source could not be scanned. */
export const FAILURE_KINDS = [
  'role-denied',
  'throttled',
  'timeout',
  'securityhub-disabled',
  'report-unavailable',
  'report-malformed',
  'error',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * A control evaluation's result as Security Hub words it (`Compliance.Status`): PASSED, FAILED,
 * WARNING (the check ran but cannot decide), NOT_AVAILABLE (it could not run). Warden's own checks
 * answer PASSED or FAILED.
 */
export const COMPLIANCE_STATUSES = ['PASSED', 'FAILED', 'WARNING', 'NOT_AVAILABLE'] as const;
export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];

/**
 * A control's status in a standard, for an account or a wider scope, as Security Hub derives it from
 * the control's evaluations (suppressed and archived ones left out): failed when any failed; unknown
 * when none failed and some could not decide (WARNING, NOT_AVAILABLE); passed when all passed;
 * no-data when the control is on and has no evaluation; disabled when it is off everywhere in scope.
 * Listed in precedence order: a scope takes the first status any of its accounts has.
 */
export const CONTROL_RESULTS = ['failed', 'unknown', 'passed', 'no-data', 'disabled'] as const;
export type ControlResultStatus = (typeof CONTROL_RESULTS)[number];

/** The scopes compliance is scored for. */
export const COMPLIANCE_SCOPES = ['organization', 'ou', 'account'] as const;
export type ComplianceScope = (typeof COMPLIANCE_SCOPES)[number];

/** Warden's lifecycle of a finding. */
export const FINDING_STATUSES = ['open', 'acknowledged', 'suppressed', 'resolved'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** Who changed a finding's status when it took its issue's triage (src/workflow/issue-triage.ts). */
export const TRIAGE_CARRIER = 'warden:issue';

/**
 * succeeded: verified; unverified: made, but the read-back disagrees; dry-run: recorded what it would
 * call; needs-attention: left executing by a crash (a person must look; it is never re-run).
 */
export const REQUEST_STATUSES = [
  'pending',
  'rejected',
  'expired',
  'executing',
  'succeeded',
  'unverified',
  'failed',
  'dry-run',
  'needs-attention',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const REMEDIATION_MODES = ['dry-run', 'execute'] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

/** skipped: nothing to do (say, a scan already running); cancelled: Warden stopped; abandoned: a crash. */
export const JOB_OUTCOMES = ['running', 'succeeded', 'failed', 'skipped', 'cancelled', 'abandoned'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export const DIGEST_KINDS = ['daily', 'weekly'] as const;
export type DigestKind = (typeof DIGEST_KINDS)[number];

export const DELIVERY_STATUSES = ['pending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Who changes a finding's status when its source says so: a scan, or the findings events between scans. */
export const COLLECTORS = ['warden:scan', 'warden:events'] as const;
export type Collector = (typeof COLLECTORS)[number];
export const isCollector = (actor: string): actor is Collector =>
  (COLLECTORS as readonly string[]).includes(actor);

/** An alert: waiting for its window, being posted by a replica, posted, or not to be posted after all. */
export const ALERT_STATUSES = ['pending', 'claimed', 'posted', 'skipped'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** An alert message: one account's new findings in its channel, a channel's burst summary, an owner's DM. */
export const ALERT_MESSAGE_KINDS = ['account', 'summary', 'dm'] as const;
export type AlertMessageKind = (typeof ALERT_MESSAGE_KINDS)[number];
