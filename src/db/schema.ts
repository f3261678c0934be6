import type { KnownBlock } from '@slack/types';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import {
  ALERT_MESSAGE_KINDS,
  ALERT_STATUSES,
  COMPLIANCE_SCOPES,
  COMPLIANCE_STATUSES,
  CONTROL_RESULTS,
  DECISIONS,
  DELIVERY_STATUSES,
  DIGEST_KINDS,
  FAILURE_KINDS,
  FINDING_STATUSES,
  JOB_OUTCOMES,
  REMEDIATION_MODES,
  REQUEST_STATUSES,
  SCAN_KINDS,
  SCAN_STATUSES,
  SCAN_TRIGGERS,
  TARGET_STATUSES,
  TRIAGE_CARRIER,
} from '../domain.js';
import { SOURCES } from '../findings/finding.js';
import { SEVERITIES } from '../findings/severity.js';

/**
 * Warden's whole schema. Each table sits beside its row types. The values of every status, kind
 * and outcome column are listed in src/domain.ts (with what each means), and each column has a
 * CHECK constraint from that list. Migrations are generated from this file by drizzle-kit
 * (`npm run db:generate`) into drizzle/; hand-written SQL (triggers) lives in custom migrations.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A CHECK that a column holds one of its listed values (the lists live in src/domain.ts). */
const oneOf = (table: string, column: { name: string }, values: readonly string[]) =>
  check(
    `${table}_${column.name}_check`,
    sql`${sql.identifier(column.name)} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`,
  );

// ── Organization ────────────────────────────────────────────────────────────────────────────────

export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email'),
    /** Organizations `State`: ACTIVE, SUSPENDED, PENDING_CLOSURE, … */
    state: text('state').notNull(),
    ouId: text('ou_id'),
    /** Human path of OU names from the root, e.g. `Root/Workloads/Prod`. */
    ouPath: text('ou_path'),
    /** The account's OU and every OU above it (its own first), for OU scopes; null until discovery records it. */
    ouAncestors: jsonb('ou_ancestors').$type<string[]>(),
    tags: jsonb('tags').$type<Record<string, string>>().notNull().default({}),
    joinedAt: ts('joined_at'),
    firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
    /** Set when discovery no longer lists the account as ACTIVE. */
    goneAt: ts('gone_at'),
  },
  (t) => [check('accounts_id_12_digits', sql`${t.id} ~ '^[0-9]{12}$'`)],
);
export type Account = typeof accounts.$inferSelect;
export type NewAccount = typeof accounts.$inferInsert;

// ── Scans ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Orders sightings by events against scans: an events statement stamps the rows it writes with the
 * next value, a scan takes one when it starts, and the scan's conclusion resolves nothing stamped after.
 */
export const findingSightings = pgSequence('finding_sightings');

export const scans = pgTable(
  'scans',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: SCAN_KINDS }).notNull(),
    trigger: text('trigger', { enum: SCAN_TRIGGERS }).notNull(),
    requestedBy: text('requested_by'),
    status: text('status', { enum: SCAN_STATUSES }).notNull().default('running'),
    startedAt: ts('started_at').notNull().defaultNow(),
    /** The running scan's lease, renewed by its process (database time); a lapsed one was left by a dead process. */
    heartbeatAt: ts('heartbeat_at').defaultNow(),
    finishedAt: ts('finished_at'),
    summary: jsonb('summary').$type<Record<string, unknown>>(),
    error: text('error'),
    /**
     * What a scan whose targets are durable jobs will read (its accounts and targets), kept so that
     * whichever process takes its coordination over after a crash resumes it instead of starting again.
     */
    plan: jsonb('plan').$type<Record<string, unknown>>(),
    /** `finding_sightings` when the scan started: rows an event stamped later are not the scan's to resolve. */
    sightingsFrom: bigint('sightings_from', { mode: 'number' }),
  },
  (t) => [
    oneOf('scans', t.kind, SCAN_KINDS),
    oneOf('scans', t.trigger, SCAN_TRIGGERS),
    oneOf('scans', t.status, SCAN_STATUSES),
    index('scans_started_at_idx').on(t.startedAt),
    // At most one scan runs at a time, across every process and replica.
    uniqueIndex('scans_one_running_idx').on(t.status).where(sql`${t.status} = 'running'`),
  ],
);
export type Scan = typeof scans.$inferSelect;

/**
 * What each target of a durable scan ended with, written by whichever process ran it (the first
 * answer stands: a target run twice after a crash stores the same findings and is counted once).
 * The scan's conclusion reads them; `scan_targets` keeps the record once it concluded.
 */
export const scanTargetResults = pgTable(
  'scan_target_results',
  {
    scanId: integer('scan_id')
      .notNull()
      .references(() => scans.id, { onDelete: 'cascade' }),
    /** The target's place in the scan's plan. */
    target: integer('target').notNull(),
    status: text('status', { enum: TARGET_STATUSES }).notNull(),
    findings: integer('findings').notNull(),
    throttles: integer('throttles').notNull(),
    result: jsonb('result').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.scanId, t.target] }),
    oneOf('scan_target_results', t.status, TARGET_STATUSES),
  ],
);

/**
 * Token buckets shared by every Warden process (PostgreSQL): one per account, region and operation
 * of a rate-limited AWS API, so that replicas together stay within what AWS allows one account.
 */
export const rateBuckets = pgTable('rate_buckets', {
  key: text('key').primaryKey(),
  /** Tokens left at `at`; below zero, calls have reserved their turn ahead. */
  tokens: doublePrecision('tokens').notNull(),
  at: ts('at').notNull(),
});

/** One row per account × region × source of a scan: ok, or failed with a reason a person can act on. */
export const scanTargets = pgTable(
  'scan_targets',
  {
    id: serial('id').primaryKey(),
    scanId: integer('scan_id')
      .notNull()
      .references(() => scans.id, { onDelete: 'cascade' }),
    accountId: text('account_id').notNull(),
    /** The region scanned, or `global` for IAM. */
    region: text('region').notNull(),
    source: text('source', { enum: SOURCES }).notNull(),
    status: text('status', { enum: TARGET_STATUSES }).notNull(),
    failureKind: text('failure_kind', { enum: FAILURE_KINDS }),
    reason: text('reason'),
    /** Whether it read everything failing (a full sync, which vouches for its scope) or only what changed. */
    full: boolean('full').notNull().default(false),
    /** How many findings it read. */
    findings: integer('findings').notNull().default(0),
    newCount: integer('new_count').notNull().default(0),
    updatedCount: integer('updated_count').notNull().default(0),
    resolvedCount: integer('resolved_count').notNull().default(0),
    reopenedCount: integer('reopened_count').notNull().default(0),
    throttles: integer('throttles').notNull().default(0),
    apiCalls: integer('api_calls').notNull().default(0),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at').notNull(),
  },
  // Not unique per account × region × source: a scan of some accounts in aggregator mode reads the
  // administrator's region in several streams of 20 accounts.
  (t) => [
    oneOf('scan_targets', t.source, SOURCES),
    oneOf('scan_targets', t.status, TARGET_STATUSES),
    oneOf('scan_targets', t.failureKind, FAILURE_KINDS),
    index('scan_targets_scan_idx').on(t.scanId),
    index('scan_targets_account_idx').on(t.accountId, t.source, t.region, t.finishedAt),
  ],
);
export type ScanTarget = typeof scanTargets.$inferSelect;

// ── Findings ────────────────────────────────────────────────────────────────────────────────────

/**
 * A finding someone triaged that still stands (acknowledged, suppressed, or assigned and not
 * resolved): an issue lacks its triage only if one of its findings is one (issues.ts).
 */
export const TRIAGED_FINDING = `status <> 'resolved' and (status in ('acknowledged', 'suppressed') or assignee is not null)`;

export const findings = pgTable(
  'findings',
  {
    id: serial('id').primaryKey(),
    source: text('source', { enum: SOURCES }).notNull(),
    /** Security Hub's product ARN; empty for Warden's own checks. */
    productArn: text('product_arn').notNull().default(''),
    /** Security Hub's finding `Id`, or Warden's fingerprint of account, check and resource. */
    externalId: text('external_id').notNull(),
    accountId: text('account_id').notNull(),
    region: text('region').notNull(),
    resourceType: text('resource_type'),
    resourceId: text('resource_id').notNull(),
    /** Security Hub control id (IAM.4) or Warden check id. */
    controlId: text('control_id'),
    generatorId: text('generator_id'),
    title: text('title').notNull(),
    description: text('description'),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    /** PASSED | FAILED | WARNING | NOT_AVAILABLE, where the source says */
    compliance: text('compliance'),
    /** Security Hub Workflow.Status as last seen: NEW | NOTIFIED | RESOLVED | SUPPRESSED */
    awsWorkflowStatus: text('aws_workflow_status'),
    /** When Warden last wrote a triage decision back to Security Hub (BatchUpdateFindings). */
    awsSyncedAt: ts('aws_synced_at'),
    /** Why the last write-back failed (the account, region, call and AWS error); null when it worked. */
    awsSyncError: text('aws_sync_error'),
    /** Warden's lifecycle (src/domain.ts). */
    status: text('status', { enum: FINDING_STATUSES }).notNull().default('open'),
    /** True when a resolved finding came back. */
    regression: boolean('regression').notNull().default(false),
    reopenCount: integer('reopen_count').notNull().default(0),
    firstSeenAt: ts('first_seen_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    /** The source's own last update time (Security Hub UpdatedAt). */
    sourceUpdatedAt: ts('source_updated_at'),
    resolvedAt: ts('resolved_at'),
    statusChangedAt: ts('status_changed_at'),
    statusChangedBy: text('status_changed_by'),
    assignee: text('assignee'),
    remediationText: text('remediation_text'),
    remediationUrl: text('remediation_url'),
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull().default({}),
    lastScanId: integer('last_scan_id'),
    /** Stamped from `finding_sightings` when an event last wrote the row (null: only scans have). */
    seenSeq: bigint('seen_seq', { mode: 'number' }),
    /** 0 for critical … 4 for informational: the order every list shows, most severe first. */
    severityRank: smallint('severity_rank')
      .notNull()
      .generatedAlwaysAs(
        sql`case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`,
      ),
    /**
     * The problem this finding reports, whoever reports it: account, security control and resource.
     * Security Hub's evaluations of one global resource in several regions, its per-standard copies
     * (consolidated control findings off) and Warden's matching check share it; a finding without a
     * control is a problem of its own. Resources are compared as Security Hub names them: the root
     * user and the password policy are the account (`AWS::::Account:<id>`), and an access key or
     * password (`<user arn>#access_key_1`) is its user.
     */
    issueKey: text('issue_key')
      .notNull()
      .generatedAlwaysAs(
        sql`case when control_id is null then source || '|' || product_arn || '|' || external_id
          else account_id || '|' || control_id || '|' || case when resource_id not like 'arn:%:iam::%' then resource_id
            else regexp_replace(split_part(resource_id, '#', 1),
              '^arn:[^:]+:iam::([0-9]{12}):(root|account-password-policy)$', 'AWS::::Account:\\1') end end`,
      ),
    /**
     * The finding that stands for this one's issue (its primary), or null when this one is the
     * primary: every count, list, SLA and digest reads primaries only. The primary is the issue's
     * first stored finding that is not resolved, else its first; `regroupIssues` keeps it so.
     */
    duplicateOf: integer('duplicate_of'),
  },
  (t) => [
    oneOf('findings', t.source, SOURCES),
    oneOf('findings', t.severity, SEVERITIES),
    oneOf('findings', t.status, FINDING_STATUSES),
    uniqueIndex('findings_identity_idx').on(t.source, t.productArn, t.externalId),
    // The lists' order (most severe, then newest first) for open work, per state and per account:
    // a page is an index range, whatever the page and however many findings there are. The open
    // index also serves the SLA (oldest first within a severity) and carries the account for it.
    // Every list reads primaries (one per issue): the order indexes hold only them.
    index('findings_open_order_idx')
      .on(t.severityRank, t.firstSeenAt.desc(), t.id.desc(), t.accountId)
      .where(sql`${t.status} in ('open', 'acknowledged') and ${t.duplicateOf} is null`),
    index('findings_status_order_idx')
      .on(t.status, t.severityRank, t.firstSeenAt.desc(), t.id.desc())
      .where(sql`${t.duplicateOf} is null`),
    index('findings_account_order_idx')
      .on(t.accountId, t.status, t.severityRank, t.firstSeenAt.desc(), t.id.desc())
      .where(sql`${t.duplicateOf} is null`),
    // The digests' windows: findings first seen, resolved, and seen again (regressions) in a period;
    // the first carries what the digest filters and orders on, so it is read from the index alone.
    index('findings_first_seen_idx')
      .on(t.firstSeenAt, t.severityRank, t.accountId, t.id)
      .where(sql`${t.duplicateOf} is null`),
    index('findings_resolved_at_idx')
      .on(t.resolvedAt)
      .where(sql`${t.status} = 'resolved' and ${t.duplicateOf} is null`),
    index('findings_regressed_at_idx')
      .on(t.statusChangedAt)
      .where(sql`${t.regression} and ${t.status} = 'open' and ${t.duplicateOf} is null`),
    index('findings_assignee_idx').on(t.assignee),
    // Triage a finding took from its issue, to be written back to Security Hub (issue-triage.ts).
    index('findings_carried_idx')
      .on(t.statusChangedAt)
      .where(sql`${t.statusChangedBy} = ${sql.raw(`'${TRIAGE_CARRIER}'`)}`),
    // `/findings IAM.4`: an issue's findings share its control, so a page of a control's issues in
    // one state is a range of it, in the lists' order (listFindings pages each state apart).
    index('findings_control_order_idx')
      .on(t.controlId, t.status, t.severityRank, t.firstSeenAt.desc(), t.id.desc())
      .where(sql`${t.duplicateOf} is null`),
    // `/findings root-access-keys`: the findings of Warden's own checks, by check (a few per account).
    index('findings_check_idx').on(t.generatorId).where(sql`${t.source} = 'credential-report'`),
    // An issue's findings, found by any one of them.
    index('findings_issue_idx').on(t.issueKey),
    // The issues someone triaged, which a scan's conclusion checks each time (issues.ts).
    index('findings_triaged_idx').on(t.issueKey).where(sql.raw(TRIAGED_FINDING)),
  ],
);

/**
 * How many findings each account has per source, severity and state, kept by a trigger on
 * `findings` in the writer's own transaction (migration 0014): counts cost the accounts, not the
 * findings. Rows may hold zero.
 */
export const findingCounts = pgTable(
  'finding_counts',
  {
    accountId: text('account_id').notNull(),
    source: text('source', { enum: SOURCES }).notNull(),
    severity: text('severity', { enum: SEVERITIES }).notNull(),
    status: text('status', { enum: FINDING_STATUSES }).notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.source, t.severity, t.status] }),
    // The triggers copy these from `findings`, whose own checks hold the same lists.
    oneOf('finding_counts', t.source, SOURCES),
    oneOf('finding_counts', t.severity, SEVERITIES),
    oneOf('finding_counts', t.status, FINDING_STATUSES),
    // No `n >= 0`: a decrement arrives as an insert of a negative n resolved by ON CONFLICT, and
    // PostgreSQL checks the proposed row before it finds the conflict.
  ],
);
export type Finding = typeof findings.$inferSelect;
export type NewFinding = typeof findings.$inferInsert;

// ── Compliance ──────────────────────────────────────────────────────────────────────────────────

/**
 * The latest result of every control evaluation a scan reads, passing or not: Security Hub's control
 * findings (one per control and resource; a standard's score counts them) and Warden's own checks
 * (one per check and account). A failing one is also a finding with a lifecycle (`findings`); this
 * table is evidence for standards' scores. A completed full sync drops the results it no longer sees
 * (archived, or the resource gone), as it resolves findings.
 */
export const controlResults = pgTable(
  'control_results',
  {
    id: serial('id').primaryKey(),
    source: text('source', { enum: SOURCES }).notNull(),
    /** Security Hub's product ARN; empty for Warden's checks. */
    productArn: text('product_arn').notNull().default(''),
    /** Security Hub's finding `Id`, or Warden's fingerprint of account and check. */
    externalId: text('external_id').notNull(),
    accountId: text('account_id').notNull(),
    /** The region evaluated, or `global` for Warden's IAM checks. */
    region: text('region').notNull(),
    /** The security control (IAM.4), or Warden's check id for its own checks. */
    controlId: text('control_id').notNull(),
    resourceId: text('resource_id').notNull(),
    status: text('status', { enum: COMPLIANCE_STATUSES }).notNull(),
    /** Security Hub's Workflow.Status is SUPPRESSED: a control's status ignores it, as Security Hub does. */
    suppressed: boolean('suppressed').notNull().default(false),
    /** The enabled standards in which the control is enabled (`Compliance.AssociatedStandards`). */
    standards: text('standards').array().notNull().default(sql`'{}'`),
    /** What a person needs to see why (Warden's checks: what was evaluated). */
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull().default({}),
    /** When the source evaluated it (Security Hub UpdatedAt; the credential report's time). */
    evaluatedAt: ts('evaluated_at'),
    lastSeenAt: ts('last_seen_at').notNull(),
    lastScanId: integer('last_scan_id'),
    /** Stamped from `finding_sightings` when an event last wrote the row (null: only scans have). */
    seenSeq: bigint('seen_seq', { mode: 'number' }),
  },
  (t) => [
    oneOf('control_results', t.source, SOURCES),
    oneOf('control_results', t.status, COMPLIANCE_STATUSES),
    uniqueIndex('control_results_identity_idx').on(t.source, t.productArn, t.externalId),
    index('control_results_account_idx').on(t.accountId, t.controlId),
  ],
);
export type ControlResult = typeof controlResults.$inferSelect;

/**
 * What Warden knows of each security control from its findings: title and the framework requirements
 * it is related to (`Compliance.RelatedRequirements`, the same in every account).
 */
export const securityControls = pgTable('security_controls', {
  controlId: text('control_id').primaryKey(),
  title: text('title').notNull(),
  requirements: jsonb('requirements').$type<string[]>().notNull().default([]),
  updatedAt: ts('updated_at').notNull(),
});

/** The standards enabled in each account and region (GetEnabledStandards), as the last full scan read them. */
export const enabledStandards = pgTable(
  'enabled_standards',
  {
    accountId: text('account_id').notNull(),
    region: text('region').notNull(),
    /** The standard's ARN after `::`, as findings' `AssociatedStandards[].StandardsId` name it. */
    standardId: text('standard_id').notNull(),
    subscriptionArn: text('subscription_arn').notNull(),
    /** StandardsStatus: READY, PENDING, INCOMPLETE, FAILED, DELETING. */
    status: text('status').notNull(),
    readAt: ts('read_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.standardId] })],
);

/**
 * The controls each standard holds, as DescribeStandardsControls lists them (the same for every
 * account; a control's title and requirements within the standard): one row per standard and control,
 * not per account and region, so a thousand accounts cost no more rows than one.
 */
export const standardControls = pgTable(
  'standard_controls',
  {
    standardId: text('standard_id').notNull(),
    /** The standard's own id for the control: the security control id, or a rule number (CIS v1.2.0's `1.12`). */
    controlId: text('control_id').notNull(),
    title: text('title').notNull(),
    /** The control's requirements within this standard (RelatedRequirements). */
    requirements: jsonb('requirements').$type<string[]>().notNull().default([]),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.standardId, t.controlId] })],
);

/** The controls disabled in an enabled standard of an account and region (DescribeStandardsControls), with why. */
export const disabledControls = pgTable(
  'disabled_controls',
  {
    accountId: text('account_id').notNull(),
    region: text('region').notNull(),
    standardId: text('standard_id').notNull(),
    controlId: text('control_id').notNull(),
    reason: text('reason'),
    readAt: ts('read_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.region, t.standardId, t.controlId] })],
);

/**
 * Each control's status in each enabled standard of each account (all its regions together, as an
 * aggregation region sees them), recomputed for the accounts a scan read at its conclusion: what
 * OU and organization scores and the failing-control lists are drawn from, at the cost of the
 * accounts × controls, not of the evaluations.
 */
export const controlStatuses = pgTable(
  'control_statuses',
  {
    accountId: text('account_id').notNull(),
    standardId: text('standard_id').notNull(),
    /** The standard's own id for the control (see standard_controls). */
    controlId: text('control_id').notNull(),
    /** The security control its evaluations carry (IAM.4); null until one was seen. */
    securityControlId: text('security_control_id'),
    status: text('status', { enum: CONTROL_RESULTS }).notNull(),
    failed: integer('failed').notNull().default(0),
    unknown: integer('unknown').notNull().default(0),
    passed: integer('passed').notNull().default(0),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.standardId, t.controlId] }),
    oneOf('control_statuses', t.status, CONTROL_RESULTS),
    index('control_statuses_standard_idx').on(t.standardId, t.status),
    // A framework's requirements read their controls' statuses by security control.
    index('control_statuses_security_control_idx').on(t.securityControlId, t.accountId),
  ],
);

/**
 * Each standard's score for the organization, each OU and each account at the end of a scan, as
 * Security Hub computes it: passed controls over controls with data (passed, failed, unknown); the
 * controls without data and the disabled ones counted apart. The history trends are drawn from.
 */
export const complianceSnapshots = pgTable(
  'compliance_snapshots',
  {
    id: serial('id').primaryKey(),
    scanId: integer('scan_id').references(() => scans.id),
    takenAt: ts('taken_at').notNull(),
    scope: text('scope', { enum: COMPLIANCE_SCOPES }).notNull(),
    /** The account id, the OU path (`Root/Workloads/Prod`), or empty for the organization. */
    scopeId: text('scope_id').notNull(),
    standardId: text('standard_id').notNull(),
    passed: integer('passed').notNull(),
    failed: integer('failed').notNull(),
    unknown: integer('unknown').notNull(),
    noData: integer('no_data').notNull(),
    disabled: integer('disabled').notNull(),
    /** Basis points (0–10000); null when no control has data. */
    score: integer('score'),
  },
  (t) => [
    oneOf('compliance_snapshots', t.scope, COMPLIANCE_SCOPES),
    index('compliance_snapshots_scope_idx').on(t.scope, t.scopeId, t.standardId, t.takenAt),
  ],
);
export type ComplianceSnapshot = typeof complianceSnapshots.$inferSelect;

export const suppressions = pgTable(
  'suppressions',
  {
    id: serial('id').primaryKey(),
    findingId: integer('finding_id')
      .notNull()
      .references(() => findings.id),
    reason: text('reason').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    liftedAt: ts('lifted_at'),
    /** A user id, or `warden:expiry` when the expiry job reopened it. */
    liftedBy: text('lifted_by'),
  },
  (t) => [index('suppressions_active_idx').on(t.expiresAt).where(sql`${t.liftedAt} is null`)],
);
export type Suppression = typeof suppressions.$inferSelect;

export const assignments = pgTable(
  'assignments',
  {
    id: serial('id').primaryKey(),
    findingId: integer('finding_id')
      .notNull()
      .references(() => findings.id),
    assignee: text('assignee').notNull(),
    assignedBy: text('assigned_by').notNull(),
    assignedAt: ts('assigned_at').notNull().defaultNow(),
    endedAt: ts('ended_at'),
  },
  (t) => [index('assignments_finding_idx').on(t.findingId)],
);
export type Assignment = typeof assignments.$inferSelect;

// ── Remediation ─────────────────────────────────────────────────────────────────────────────────

export const remediationRequests = pgTable(
  'remediation_requests',
  {
    id: serial('id').primaryKey(),
    findingId: integer('finding_id')
      .notNull()
      .references(() => findings.id),
    accountId: text('account_id').notNull(),
    playbookId: text('playbook_id').notNull(),
    input: jsonb('input').$type<Record<string, unknown>>().notNull().default({}),
    /** The exact API calls shown before approval. */
    plan: jsonb('plan').$type<unknown[]>().notNull(),
    reason: text('reason').notNull(),
    requestedBy: text('requested_by').notNull(),
    requestedAt: ts('requested_at').notNull().defaultNow(),
    status: text('status', { enum: REQUEST_STATUSES }).notNull().default('pending'),
    requiredApprovals: integer('required_approvals').notNull().default(1),
    expiresAt: ts('expires_at').notNull(),
    /** The mode in force when it was requested: what approvers approve, and what runs. */
    mode: text('mode', { enum: REMEDIATION_MODES }).notNull(),
    executionStartedAt: ts('execution_started_at'),
    executionFinishedAt: ts('execution_finished_at'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    error: text('error'),
    /** For a rollback request: the request it undoes. */
    rollbackOf: integer('rollback_of'),
    /** The Slack messages that show this request (DMs to approvers, the finding's thread), kept up to date. */
    messages: jsonb('messages').$type<SlackMessageRef[]>().notNull().default([]),
  },
  (t) => [
    oneOf('remediation_requests', t.status, REQUEST_STATUSES),
    oneOf('remediation_requests', t.mode, REMEDIATION_MODES),
    index('remediation_requests_status_idx').on(t.status, t.expiresAt),
    index('remediation_requests_finding_idx').on(t.findingId),
    // One open request per finding and playbook, and one open rollback per request.
    uniqueIndex('remediation_requests_one_open_idx')
      .on(t.findingId, t.playbookId)
      .where(sql`${t.status} in ('pending', 'executing') and ${t.rollbackOf} is null`),
    uniqueIndex('remediation_requests_one_open_rollback_idx')
      .on(t.rollbackOf)
      .where(sql`${t.status} in ('pending', 'executing') and ${t.rollbackOf} is not null`),
  ],
);

/** A Slack message Warden posted and keeps up to date: `thread` roots hold the request's replies. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
  kind: 'approval' | 'thread';
}
export type RemediationRequest = typeof remediationRequests.$inferSelect;

export const remediationDecisions = pgTable(
  'remediation_decisions',
  {
    requestId: integer('request_id')
      .notNull()
      .references(() => remediationRequests.id),
    decidedBy: text('decided_by').notNull(),
    decision: text('decision', { enum: DECISIONS }).notNull(),
    reason: text('reason'),
    decidedAt: ts('decided_at').notNull().defaultNow(),
    /** The person owned the request's account when they decided (a two-approval request needs one). */
    byOwner: boolean('by_owner').notNull().default(false),
  },
  // One decision per person per request: a second approval by the same person is refused by the database too.
  (t) => [
    primaryKey({ columns: [t.requestId, t.decidedBy] }),
    oneOf('remediation_decisions', t.decision, DECISIONS),
  ],
);
export type RemediationDecision = typeof remediationDecisions.$inferSelect;

// ── Audit trail ─────────────────────────────────────────────────────────────────────────────────

/**
 * Append-only and hash-chained. A trigger (drizzle/0001_audit_append_only.sql) refuses UPDATE,
 * DELETE and TRUNCATE; appends are ordered by the head row's lock (audit_chain_head, below).
 */
export const auditEvents = pgTable('audit_events', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  at: ts('at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  subject: text('subject').notNull(),
  details: jsonb('details').$type<Record<string, unknown>>().notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});
export type AuditEvent = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;

/**
 * The chain's head, one row: an append claims the next sequence number and reads the previous hash
 * by updating it (the row's lock orders appenders across connections and processes, and a waiting
 * appender sees the head its predecessor committed), then inserts the event and records its hash,
 * in one more statement. Written only by src/db/audit-events.ts.
 */
export const auditChainHead = pgTable(
  'audit_chain_head',
  {
    one: boolean('one').primaryKey().default(true),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [check('audit_chain_head_one_row', sql`${t.one}`)],
);

// ── Jobs, digests, trends ───────────────────────────────────────────────────────────────────────

/** One row per job and scheduled slot: the unique key is how replicas agree that a slot runs once. */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: serial('id').primaryKey(),
    job: text('job').notNull(),
    slot: ts('slot').notNull(),
    claimedBy: text('claimed_by').notNull(),
    startedAt: ts('started_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
    outcome: text('outcome', { enum: JOB_OUTCOMES }).notNull().default('running'),
    error: text('error'),
  },
  (t) => [uniqueIndex('job_runs_slot_idx').on(t.job, t.slot), oneOf('job_runs', t.outcome, JOB_OUTCOMES)],
);
export type JobRun = typeof jobRuns.$inferSelect;

export const digestsSent = pgTable(
  'digests_sent',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: DIGEST_KINDS }).notNull(),
    /** The period the digest covers, e.g. 2026-11-23 or 2026-W48. */
    period: text('period').notNull(),
    /** Channel id or user id it went to. */
    channel: text('channel').notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    /** What is sent (text and blocks), kept so that a retry sends the same digest. */
    message: jsonb('message').$type<{ text: string; blocks: KnownBlock[] }>(),
    /** The chart image (PNG, base64) uploaded in the digest's thread, if any. */
    chart: text('chart'),
    /** Where the message landed (a DM's channel id when `channel` names a person) and its ts. */
    postedChannel: text('posted_channel'),
    messageTs: text('message_ts'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    createdAt: ts('created_at').notNull().defaultNow(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('digests_sent_period_idx').on(t.kind, t.period, t.channel),
    oneOf('digests_sent', t.kind, DIGEST_KINDS),
    oneOf('digests_sent', t.status, DELIVERY_STATUSES),
  ],
);
export type DigestSent = typeof digestsSent.$inferSelect;

/** Posture per account at the end of a scan: the history that trends and scores are drawn from. */
export const postureSnapshots = pgTable(
  'posture_snapshots',
  {
    id: serial('id').primaryKey(),
    scanId: integer('scan_id').references(() => scans.id),
    takenAt: ts('taken_at').notNull(),
    accountId: text('account_id').notNull(),
    ouPath: text('ou_path'),
    openCritical: integer('open_critical').notNull().default(0),
    openHigh: integer('open_high').notNull().default(0),
    openMedium: integer('open_medium').notNull().default(0),
    openLow: integer('open_low').notNull().default(0),
    openInformational: integer('open_informational').notNull().default(0),
    /** The account's score then, in basis points (0–10000): 100 × 50 / (50 + weighted open findings), src/posture/score.ts. */
    score: integer('score'),
  },
  (t) => [index('posture_snapshots_account_idx').on(t.accountId, t.takenAt)],
);
export type PostureSnapshot = typeof postureSnapshots.$inferSelect;
export type NewPostureSnapshot = typeof postureSnapshots.$inferInsert;

/**
 * Where each collector's last successful sync started, per scope: `<account>|<region>` in per-account
 * mode, `aggregator|<admin account>|<region>` in aggregator mode. An incremental scan asks for what
 * changed since then (less a safety overlap).
 */
export const syncCursors = pgTable(
  'sync_cursors',
  {
    source: text('source', { enum: SOURCES }).notNull(),
    scope: text('scope').notNull(),
    syncedAt: ts('synced_at').notNull(),
    fullSyncedAt: ts('full_synced_at'),
  },
  (t) => [primaryKey({ columns: [t.source, t.scope] }), oneOf('sync_cursors', t.source, SOURCES)],
);
export type SyncCursor = typeof syncCursors.$inferSelect;

// ── Alerts ──────────────────────────────────────────────────────────────────────────────────────

/**
 * A message an alert went out in: one account's new findings in its channel, a channel's summary of
 * a burst, or an owner's DM; where it landed (channel, ts) and which findings it named.
 */
export const alertMessages = pgTable(
  'alert_messages',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: ALERT_MESSAGE_KINDS }).notNull(),
    /** The channel id (a DM's channel for a person) and the message's ts. */
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    /** The account a channel message is about (null for a summary and a DM). */
    accountId: text('account_id'),
    findingIds: integer('finding_ids').array().notNull(),
    postedAt: ts('posted_at').notNull(),
  },
  (t) => [oneOf('alert_messages', t.kind, ALERT_MESSAGE_KINDS)],
);

/**
 * A finding to alert about: queued by the ingest statement that found it new or regressed at or above
 * the policy's threshold, in that statement's transaction. One row per finding and occurrence (its
 * reopen count): the same opening is never alerted twice, a regression is a new occurrence.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: serial('id').primaryKey(),
    findingId: integer('finding_id')
      .notNull()
      .references(() => findings.id, { onDelete: 'cascade' }),
    occurrence: integer('occurrence').notNull(),
    accountId: text('account_id').notNull(),
    queuedAt: ts('queued_at').notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('pending'),
    /** The replica posting it, and since when (a claim older than a few minutes was left by a dead one). */
    claimedBy: text('claimed_by'),
    claimedAt: ts('claimed_at'),
    /** The channel message that named it (DMs are in alert_messages too). */
    messageId: integer('message_id').references(() => alertMessages.id),
    postedAt: ts('posted_at'),
    /** Why it was not posted: suppressed, acknowledged or resolved before its window ended, or part of an existing issue. */
    skipReason: text('skip_reason'),
  },
  (t) => [
    oneOf('alerts', t.status, ALERT_STATUSES),
    uniqueIndex('alerts_occurrence_idx').on(t.findingId, t.occurrence),
    index('alerts_waiting_idx').on(t.queuedAt).where(sql`${t.status} in ('pending', 'claimed')`),
  ],
);

// ── Access reviews ──────────────────────────────────────────────────────────────────────────────

export const ACCESS_REVIEW_STATUSES = ['open', 'closed'] as const;
export const PRINCIPAL_KINDS = ['user', 'role'] as const;
/** An item waits (`pending`), is kept, is revoked, or its principal was deleted meanwhile (`gone`). */
export const REVIEW_DECISIONS = ['pending', 'keep', 'revoke', 'gone'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** The accounts a campaign covers: the organization (neither set), an OU (by path or id), or accounts. */
export interface ReviewScope {
  ou?: string;
  accounts?: string[];
}

/** A campaign: who holds access in a scope, reviewed by the accounts' owners by a due date. */
export const accessReviews = pgTable(
  'access_reviews',
  {
    id: serial('id').primaryKey(),
    scope: jsonb('scope').$type<ReviewScope>().notNull(),
    dueAt: ts('due_at').notNull(),
    startedBy: text('started_by').notNull(),
    startedAt: ts('started_at').notNull(),
    status: text('status', { enum: ACCESS_REVIEW_STATUSES }).notNull().default('open'),
    closedAt: ts('closed_at'),
  },
  (t) => [oneOf('access_reviews', t.status, ACCESS_REVIEW_STATUSES)],
);
export type AccessReview = typeof accessReviews.$inferSelect;

/** One principal to review in one campaign, and what was decided about it, by whom, when and why. */
export const accessReviewItems = pgTable(
  'access_review_items',
  {
    id: serial('id').primaryKey(),
    reviewId: integer('review_id')
      .notNull()
      .references(() => accessReviews.id),
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: PRINCIPAL_KINDS }).notNull(),
    name: text('name').notNull(),
    arn: text('arn').notNull(),
    /** What the reviewer decides on, as read (src/collect/principals.ts). */
    details: jsonb('details').$type<Record<string, unknown>>().notNull(),
    /** Who reviews it: null for the account's owners; a principal (email or Slack id) after "Not mine". */
    reviewer: text('reviewer'),
    decision: text('decision', { enum: REVIEW_DECISIONS }).notNull().default('pending'),
    note: text('note'),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    /** A revocation's findings, and the remediation requests made for them. */
    findingIds: integer('finding_ids').array().notNull().default([]),
    requestIds: integer('request_ids').array().notNull().default([]),
    addedAt: ts('added_at').notNull(),
    remindedAt: ts('reminded_at'),
    escalatedAt: ts('escalated_at'),
  },
  (t) => [
    oneOf('access_review_items', t.kind, PRINCIPAL_KINDS),
    oneOf('access_review_items', t.decision, REVIEW_DECISIONS),
    uniqueIndex('access_review_items_principal_idx').on(t.reviewId, t.arn),
    index('access_review_items_pending_idx').on(t.reviewId).where(sql`${t.decision} = 'pending'`),
  ],
);
export type AccessReviewItem = typeof accessReviewItems.$inferSelect;

/** The message a reviewer holds for one account of a campaign, redrawn as its items are decided. */
export const accessReviewMessages = pgTable(
  'access_review_messages',
  {
    reviewId: integer('review_id')
      .notNull()
      .references(() => accessReviews.id),
    accountId: text('account_id').notNull(),
    /** The reviewer as the policy names them (or as "Not mine" named them). */
    reviewer: text('reviewer').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    /** SHA-256 of the message as last drawn: the follow-up redraws only a message that would change. */
    drawnHash: text('drawn_hash'),
  },
  (t) => [primaryKey({ columns: [t.reviewId, t.accountId, t.reviewer] })],
);
