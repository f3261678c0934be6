import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validate as validateCron } from 'node-cron';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type Partition, partitionOf } from './aws/partition.js';
import { queueAt } from './aws/queue-url.js';
import { PAGE_LIMITS } from './aws/quotas.js';
import { WardenError } from './errors.js';
import { BUILT_IN_FRAMEWORKS, type Framework, loadFrameworks } from './findings/frameworks.js';
import { SEVERITIES, type Severity } from './findings/severity.js';

/**
 * The one place where Warden's settings, their defaults and their validation live.
 *
 * Settings come from environment variables; structured settings (owners, admins, SLAs, routing)
 * come from the policy file named by WARDEN_POLICY_FILE. AWS settings are deliberately absent:
 * the SDK reads its own standard variables (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, …).
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const DEFAULTS = {
  WARDEN_DATA_DIR: './.warden',
  PORT: 3000,
  LOG_LEVEL: 'info' as LogLevel,
  SLA_DAYS: { critical: 7, high: 30, medium: 90, low: 180, informational: 365 } satisfies Record<
    Severity,
    number
  >,
  SUPPRESSION_MAX_DAYS: 90,
  OWNER_TAG_KEYS: ['owner', 'warden:owner'],
  AUDIT_ROLE_NAME: 'WardenAudit',
  REMEDIATION_ROLE_NAME: 'WardenRemediation',
  TRIAGE_ROLE_NAME: 'WardenTriage',
  SECURITYHUB_SYNC: true,
  REMEDIATION_MODE: 'dry-run' as const,
  REMEDIATION_REQUEST_TTL_HOURS: 72,
  TWO_APPROVALS_FOR: ['irreversible', 'critical'] as Array<'irreversible' | 'critical'>,
  TIMEZONE: 'UTC',
  /** Schedules (cron, minute resolution, in WARDEN_TIMEZONE). */
  CRON: {
    scan: '0 * * * *',
    fullScan: '30 2 * * *',
    dailyDigest: '0 9 * * *',
    weeklyDigest: '0 9 * * 1',
    expiry: '*/15 * * * *',
    auditAnchor: '50 23 * * *',
    snapshotRetention: '40 3 * * *',
    /** Access reviews' follow-up: new and deleted principals, messages, reminders, escalations. */
    accessReviewFollowUp: '20 * * * *',
  },
  /** Posture and compliance snapshots are kept this long (a year and its audit, with a month to spare)… */
  SNAPSHOT_RETENTION_DAYS: 400,
  /**
   * …every one of them (a scan's) for this long, then the last of each day: the weekly digest's trend
   * reaches 4 weeks back, so at least 29.
   */
  SNAPSHOT_HOURLY_DAYS: 35,
  REGION: 'us-east-1',
  SECURITYHUB_MODE: 'per-account' as const,
  /** Which Security Hub the administrator is read through: auto asks DescribeSecurityHubV2. */
  SECURITYHUB_API: 'auto' as const,
  /** Findings events: how long a received message stays hidden, and receive loops per process. */
  EVENTS_VISIBILITY_SECONDS: 120,
  EVENTS_LOOPS: 8,
  SCAN_CONCURRENCY: 16,
  TARGET_TIMEOUT_SECONDS: 300,
  AWS_MAX_ATTEMPTS: 8,
  INCREMENTAL_OVERLAP_MINUTES: 15,
  REPORT_TIMEOUT_SECONDS: 120,
  /** A running scan renews its lease every third of this; one whose lease ran out was left by a dead process. */
  SCAN_LEASE_SECONDS: 30,
  /** Slack interactions of one kind (commands, clicks, forms, events) worked on at once; past it, "busy". */
  SLACK_CONCURRENCY: 32,
  ANCHOR_PREFIX: 'warden/audit-anchors/',
  /** 400 days: a yearly audit, with a month to spare, can still read every anchor of its period. */
  ANCHOR_RETENTION_DAYS: 400,
  CHECKS: { keyRotationDays: 90, unusedCredentialDays: 45, rootUseDays: 30 },
  /**
   * Alerts: an account's findings are gathered this long before one message names them (short: an
   * alert reaches Slack within seconds), and a channel gets at most this many messages at once
   * before they become one summary (Slack allows about one message a second per channel).
   */
  ALERTS: { windowSeconds: 2, maxMessagesPerChannel: 2 },
  /**
   * Access reviews: a campaign started without a due date is due this many days later; an item nobody
   * decided is recalled to its reviewer every `remindEveryDays`.
   */
  ACCESS_REVIEWS: { dueDays: 14, remindEveryDays: 3 },
};

/** A Slack user id (U…/W…) or an email address: how owners, admins and managers are named. */
const principal = z
  .string()
  .trim()
  .refine((v) => /^[UW][A-Z0-9]{2,}$/.test(v) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v), {
    message: 'must be a Slack user id (U…) or an email address',
  });

/** Who may read: a principal, or a Slack user group's id (S…). */
const viewer = z
  .string()
  .trim()
  .refine((v) => /^S[A-Z0-9]{2,}$/.test(v) || principal.safeParse(v).success, {
    message: 'must be a Slack user id (U…), an email address or a Slack user group id (S…)',
  });

const accountId = z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' });
const channel = z.string().regex(/^(#[a-z0-9._-]{1,80}|[CGD][A-Z0-9]{2,})$/, {
  message: 'must be a channel name (#security) or a channel id (C…)',
});
const days = z.number().int().positive();

const policySchema = z
  .object({
    admins: z.array(principal).default([]),
    approvers: z.array(principal).default([]),
    managers: z.array(principal).default([]),
    /** Read-only: every account's posture, findings and compliance, the evidence packs and the audit export. */
    auditors: z.array(principal).default([]),
    /**
     * Who may read every account's findings and posture, when set (admins, approvers, managers and
     * auditors always may; owners read their own accounts). Unset: every member of the workspace.
     */
    viewers: z.array(viewer).default([]),
    /** Account id → its owners, in addition to the owners named by the account's tags. */
    owners: z.record(accountId, z.array(principal)).default({}),
    ownerTagKeys: z.array(z.string().min(1)).default(DEFAULTS.OWNER_TAG_KEYS),
    slaDays: z
      .object({
        critical: days.default(DEFAULTS.SLA_DAYS.critical),
        high: days.default(DEFAULTS.SLA_DAYS.high),
        medium: days.default(DEFAULTS.SLA_DAYS.medium),
        low: days.default(DEFAULTS.SLA_DAYS.low),
        informational: days.default(DEFAULTS.SLA_DAYS.informational),
      })
      .strict()
      .default(DEFAULTS.SLA_DAYS),
    routing: z
      .object({
        /** Where digests go when nothing more specific matches. */
        defaultChannel: channel.optional(),
        /** OU id or OU path (Root/Workloads/Prod) → channel for that OU's digests. */
        ous: z.record(z.string().min(1), channel).default({}),
        /** Where the weekly compliance digest goes, besides the managers' DMs. */
        weeklyChannel: channel.optional(),
        /** Where the audit trail's head is published (daily and after each remediation run). */
        auditChannel: channel.optional(),
      })
      .strict()
      .default({ ous: {} }),
    suppression: z
      .object({ maxDays: days.default(DEFAULTS.SUPPRESSION_MAX_DAYS) })
      .strict()
      .default({ maxDays: DEFAULTS.SUPPRESSION_MAX_DAYS }),
    remediation: z
      .object({
        /** Which requests need a second approval, by a second person: irreversible playbooks, critical findings. */
        twoApprovalsFor: z
          .array(z.enum(['irreversible', 'critical'], { message: 'must be irreversible or critical' }))
          .default(DEFAULTS.TWO_APPROVALS_FOR),
        /** A request that needs two approvals needs one from an owner of the account: two admins are not enough. */
        ownerAmongApprovers: z.boolean().default(true),
      })
      .strict()
      .default({ twoApprovalsFor: DEFAULTS.TWO_APPROVALS_FOR, ownerAmongApprovers: true }),
    /**
     * Alerts: a new or regressed finding at or above `minSeverity` is posted to its account's channel
     * (`ous` and `defaultChannel` as in routing; routing's own when unset) and DMed to the account's
     * owners. Findings of one account within `windowSeconds` are one message; more messages than
     * `maxMessagesPerChannel` for one channel at once become one summary. Unset: no alerts.
     */
    alerts: z
      .object({
        minSeverity: z.enum(SEVERITIES, { message: `must be one of ${SEVERITIES.join(', ')}` }),
        defaultChannel: channel.optional(),
        ous: z.record(z.string().min(1), channel).default({}),
        dmOwners: z.boolean().default(true),
        windowSeconds: z.number().int().min(1).max(600).default(DEFAULTS.ALERTS.windowSeconds),
        maxMessagesPerChannel: z.number().int().min(1).max(20).default(DEFAULTS.ALERTS.maxMessagesPerChannel),
      })
      .strict()
      .optional(),
    /**
     * Access reviews: the due date of a campaign started without one, and how often an undecided item
     * is recalled to its reviewer, in days.
     */
    accessReviews: z
      .object({
        dueDays: z.number().int().min(1).max(365).default(DEFAULTS.ACCESS_REVIEWS.dueDays),
        remindEveryDays: z.number().int().min(1).max(90).default(DEFAULTS.ACCESS_REVIEWS.remindEveryDays),
      })
      .strict()
      .default(DEFAULTS.ACCESS_REVIEWS),
    /** Thresholds of the credential-report checks (CIS defaults). */
    checks: z
      .object({
        keyRotationDays: days.default(DEFAULTS.CHECKS.keyRotationDays),
        unusedCredentialDays: days.default(DEFAULTS.CHECKS.unusedCredentialDays),
        rootUseDays: days.default(DEFAULTS.CHECKS.rootUseDays),
      })
      .strict()
      .default(DEFAULTS.CHECKS),
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const positiveInt = (fallback: number, max: number) =>
  optionalText.pipe(
    z.coerce
      .number<string | undefined>({ message: `must be a whole number` })
      .int({ message: 'must be a whole number' })
      .min(1, { message: `must be between 1 and ${max}` })
      .max(max, { message: `must be between 1 and ${max}` })
      .default(fallback),
  );

/** true/false, yes/no, on/off or 1/0, any case; unset: the default. */
const flag = (fallback: boolean) =>
  optionalText.pipe(
    z
      .enum(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0'], {
        message: 'must be true or false',
      })
      .optional()
      .transform((v) => (v === undefined ? fallback : ['true', 'yes', 'on', '1'].includes(v))),
  );

const externalId = optionalText.pipe(
  z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, {
      message: 'must be 2–1224 characters of letters, digits and +=,.@:/-',
    })
    .optional(),
);

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A five-field cron expression (minute hour day month weekday), as node-cron reads them. */
const cronExpression = z.string().refine((v) => v.split(/\s+/).length === 5 && validateCron(v), {
  message:
    'must be a five-field cron expression (minute hour day-of-month month day-of-week), e.g. 0 9 * * 1',
});
const cron = (fallback: string) => optionalText.pipe(cronExpression.default(fallback));

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** A comma-separated setting as a list of at least one item, each checked by `items`. */
const commaList = (items: z.ZodArray<z.ZodString>) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(items.min(1));

/** An Organizations OU id (`ou-ab12-cd345678`). */
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

const postgresUrl = optionalText.pipe(
  z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
);

const envSchema = z.object({
  DATABASE_URL: postgresUrl,
  WARDEN_MIGRATION_DATABASE_URL: postgresUrl,
  WARDEN_DATA_DIR: optionalText.transform((v) => v ?? DEFAULTS.WARDEN_DATA_DIR),
  WARDEN_POLICY_FILE: optionalText,
  WARDEN_FRAMEWORKS_DIR: optionalText,
  PORT: optionalText.pipe(
    z.coerce
      .number<string | undefined>({ message: 'must be a port number' })
      .int({ message: 'must be a whole number' })
      .min(1, { message: 'must be between 1 and 65535' })
      .max(65535, { message: 'must be between 1 and 65535' })
      .default(DEFAULTS.PORT),
  ),
  LOG_LEVEL: optionalText.pipe(
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default(DEFAULTS.LOG_LEVEL),
  ),
  WARDEN_AUDIT_ROLE_NAME: optionalText.pipe(
    z.string().regex(ROLE_NAME, { message: 'must be an IAM role name' }).default(DEFAULTS.AUDIT_ROLE_NAME),
  ),
  WARDEN_AUDIT_EXTERNAL_ID: externalId,
  WARDEN_REMEDIATION_ROLE_NAME: optionalText.pipe(
    z
      .string()
      .regex(ROLE_NAME, { message: 'must be an IAM role name' })
      .default(DEFAULTS.REMEDIATION_ROLE_NAME),
  ),
  WARDEN_REMEDIATION_EXTERNAL_ID: externalId,
  WARDEN_TRIAGE_ROLE_NAME: optionalText.pipe(
    z.string().regex(ROLE_NAME, { message: 'must be an IAM role name' }).default(DEFAULTS.TRIAGE_ROLE_NAME),
  ),
  WARDEN_TRIAGE_EXTERNAL_ID: externalId,
  WARDEN_SECURITYHUB_SYNC: flag(DEFAULTS.SECURITYHUB_SYNC),
  WARDEN_REMEDIATION_MODE: optionalText.pipe(
    z
      .enum(['dry-run', 'execute'], { message: 'must be dry-run or execute' })
      .default(DEFAULTS.REMEDIATION_MODE),
  ),
  WARDEN_REMEDIATION_REQUEST_TTL_HOURS: positiveInt(DEFAULTS.REMEDIATION_REQUEST_TTL_HOURS, 24 * 30),
  WARDEN_TIMEZONE: optionalText.pipe(
    z
      .string()
      .refine(isTimeZone, { message: 'must be an IANA time zone (UTC, Europe/Paris, America/New_York)' })
      .default(DEFAULTS.TIMEZONE),
  ),
  WARDEN_SCAN_CRON: cron(DEFAULTS.CRON.scan),
  WARDEN_FULL_SCAN_CRON: cron(DEFAULTS.CRON.fullScan),
  WARDEN_DAILY_DIGEST_CRON: cron(DEFAULTS.CRON.dailyDigest),
  WARDEN_WEEKLY_DIGEST_CRON: cron(DEFAULTS.CRON.weeklyDigest),
  WARDEN_EXPIRY_CRON: cron(DEFAULTS.CRON.expiry),
  WARDEN_AUDIT_ANCHOR_CRON: cron(DEFAULTS.CRON.auditAnchor),
  WARDEN_SNAPSHOT_RETENTION_CRON: cron(DEFAULTS.CRON.snapshotRetention),
  WARDEN_ACCESS_REVIEW_FOLLOW_UP_CRON: cron(DEFAULTS.CRON.accessReviewFollowUp),
  /** Unset: campaigns start only when someone starts one. */
  WARDEN_ACCESS_REVIEW_CRON: optionalText.pipe(cronExpression.optional()),
  WARDEN_SNAPSHOT_RETENTION_DAYS: positiveInt(DEFAULTS.SNAPSHOT_RETENTION_DAYS, 36500),
  WARDEN_SNAPSHOT_HOURLY_DAYS: positiveInt(DEFAULTS.SNAPSHOT_HOURLY_DAYS, 36500),
  WARDEN_ANCHOR_BUCKET: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name' })
      .optional(),
  ),
  WARDEN_ANCHOR_PREFIX: optionalText.pipe(
    z
      .string()
      .regex(/^[\w!.*'()/-]{0,512}$/, {
        message: "must be an S3 key prefix (letters, digits, / - _ . ! * ' ( ))",
      })
      .default(DEFAULTS.ANCHOR_PREFIX),
  ),
  WARDEN_ANCHOR_RETENTION_DAYS: positiveInt(DEFAULTS.ANCHOR_RETENTION_DAYS, 36500),
  WARDEN_SCHEDULER: flag(true),
  WARDEN_CATCH_UP_DIGESTS: flag(true),
  /** Unset: the SDK's own region (AWS_REGION), else us-east-1. */
  WARDEN_REGIONS: optionalText.pipe(
    commaList(
      z.array(
        z.string().regex(REGION, { message: 'must list AWS regions, comma-separated (us-east-1,eu-west-1)' }),
      ),
    ).optional(),
  ),
  WARDEN_SECURITYHUB_MODE: optionalText.pipe(
    z
      .enum(['per-account', 'aggregator'], { message: 'must be per-account or aggregator' })
      .default(DEFAULTS.SECURITYHUB_MODE),
  ),
  WARDEN_SECURITYHUB_ADMIN_ACCOUNT: optionalText.pipe(accountId.optional()),
  WARDEN_SECURITYHUB_SCOPE_OUS: optionalText.pipe(
    commaList(
      z
        .array(z.string().regex(OU_ID, { message: 'must list OU ids, comma-separated (ou-ab12-cd345678)' }))
        .max(PAGE_LIMITS.securityHubV2Scopes, {
          message: `may name at most ${PAGE_LIMITS.securityHubV2Scopes} OUs (GetFindingsV2's Scopes)`,
        }),
    ).optional(),
  ),
  WARDEN_SECURITYHUB_API: optionalText.pipe(
    z.enum(['auto', 'cspm', 'v2'], { message: 'must be auto, cspm or v2' }).default(DEFAULTS.SECURITYHUB_API),
  ),
  WARDEN_AGGREGATION_REGION: optionalText.pipe(
    z.string().regex(REGION, { message: 'must be an AWS region' }).optional(),
  ),
  WARDEN_EVENTS_QUEUE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^/\s]+\/\d{12}\/[A-Za-z0-9_-]{1,80}$/, {
        message: 'must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)',
      })
      .optional(),
  ),
  WARDEN_EVENTS_VISIBILITY_SECONDS: positiveInt(DEFAULTS.EVENTS_VISIBILITY_SECONDS, 43_200),
  WARDEN_EVENTS_LOOPS: positiveInt(DEFAULTS.EVENTS_LOOPS, 32),
  WARDEN_SCAN_CONCURRENCY: positiveInt(DEFAULTS.SCAN_CONCURRENCY, 512),
  WARDEN_TARGET_TIMEOUT_SECONDS: positiveInt(DEFAULTS.TARGET_TIMEOUT_SECONDS, 3600),
  WARDEN_AWS_MAX_ATTEMPTS: positiveInt(DEFAULTS.AWS_MAX_ATTEMPTS, 20),
  WARDEN_INCREMENTAL_OVERLAP_MINUTES: positiveInt(DEFAULTS.INCREMENTAL_OVERLAP_MINUTES, 1440),
  WARDEN_REPORT_TIMEOUT_SECONDS: positiveInt(DEFAULTS.REPORT_TIMEOUT_SECONDS, 3600),
  WARDEN_SCAN_LEASE_SECONDS: positiveInt(DEFAULTS.SCAN_LEASE_SECONDS, 3600),
  WARDEN_SLACK_CONCURRENCY: positiveInt(DEFAULTS.SLACK_CONCURRENCY, 1000),
});

export interface SlackConfig {
  botToken: string;
  /** Required in HTTP mode; Socket Mode (appToken set) does not sign requests. */
  signingSecret: string | undefined;
  appToken: string | undefined;
  apiUrl: string | undefined;
}

export interface RoleConfig {
  name: string;
  externalId: string | undefined;
}

export interface AwsConfig {
  /** Read-only: every scan reads through it. */
  auditRole: RoleConfig;
  /** The only role Warden writes with: Security Hub workflow updates and remediation playbooks. */
  remediationRole: RoleConfig;
  /** Writes triage decisions back to Security Hub: workflow status and a note, nothing else. */
  triageRole: RoleConfig;
  /** Triage decisions are written back to Security Hub (Workflow.Status and a note). */
  securityHubSync: boolean;
  remediation: {
    /** dry-run: approved requests record what they would call and call nothing; execute: they call AWS. */
    mode: 'dry-run' | 'execute';
    /** A pending request nobody approved in this long expires. */
    requestTtlMs: number;
  };
  regions: string[];
  /** The partition of those regions (and of every account's ARNs): aws, aws-cn or aws-us-gov. */
  partition: Partition;
  securityHub:
    | { mode: 'per-account' }
    | {
        mode: 'aggregator';
        adminAccountId: string;
        aggregationRegion: string;
        /**
         * cspm: GetFindings (ASFF); v2: the new Security Hub's GetFindingsV2 (OCSF); auto: v2 when
         * DescribeSecurityHubV2 on the administrator finds it on, asked at each scan.
         */
        api: 'auto' | 'cspm' | 'v2';
        /** v2 only: read only the accounts of these OUs (and the OUs below them). */
        scopeOus?: string[];
      };
  /**
   * Security Hub's findings events (EventBridge → SQS, deploy/findings-events.yaml), read between
   * scans; the queue is in the administrator's aggregation region unless its URL names another.
   */
  events?: { queueUrl: string; region: string; visibilitySeconds: number; loops: number };
  scan: {
    concurrency: number;
    targetTimeoutMs: number;
    maxAttempts: number;
    incrementalOverlapMs: number;
    reportTimeoutMs: number;
    /** How long a running scan's lease lasts without renewal (it renews every third of it). */
    leaseMs: number;
  };
}

/** When Warden's jobs run: cron expressions in one time zone. */
export interface ScheduleConfig {
  /** Run the scheduled jobs in this process (every replica may; each slot runs once). */
  enabled: boolean;
  timezone: string;
  /** At start, run the latest slot of each digest that every replica missed (once, never a burst). */
  catchUpDigests: boolean;
  cron: {
    scan: string;
    fullScan: string;
    dailyDigest: string;
    weeklyDigest: string;
    expiry: string;
    auditAnchor: string;
    snapshotRetention: string;
    accessReviewFollowUp: string;
    /** When an access review of the organization starts on its own; undefined: never. */
    accessReview: string | undefined;
  };
}

/** How long posture and compliance snapshots (the trends' history) are kept. */
export interface SnapshotRetention {
  /** Older snapshots are deleted. */
  days: number;
  /** Snapshots older than this are thinned to the last of each day (UTC) for each scope. */
  hourlyDays: number;
}

/** Where the audit trail's head is published besides Slack: an S3 bucket with Object Lock. */
export interface AnchorConfig {
  /** Unset: no S3 anchors (Slack's audit channel only, when routed). */
  bucket: string | undefined;
  prefix: string;
  /** Each anchor object is locked in compliance mode this long: nobody can delete or change it. */
  retentionDays: number;
}

export interface DatabaseConfig {
  /** PostgreSQL as Warden's runtime role; unset: the embedded database in `dataDir`. */
  url: string | undefined;
  /** PostgreSQL as the schema's owner, for migrations (and granting the runtime role); unset: migrate only with `warden migrate`. */
  migrationUrl?: string | undefined;
  dataDir: string;
}

export interface Config {
  database: DatabaseConfig;
  aws: AwsConfig;
  anchors: AnchorConfig;
  slack: SlackConfig | undefined;
  /** Slack interactions of one kind worked on at once (see src/slack/load.ts). */
  slackConcurrency: number;
  port: number;
  logLevel: LogLevel;
  policyFile: string | undefined;
  policy: Policy;
  /** The frameworks' mapping files: Warden's (frameworks/) and the folder WARDEN_FRAMEWORKS_DIR names. */
  frameworks: Framework[];
  schedule: ScheduleConfig;
  snapshots: SnapshotRetention;
}

export interface LoadConfigOptions {
  /**
   * What the command needs of Slack: `true` serves it (serve: the bot token, and the signing secret
   * in HTTP mode or the app token in Socket Mode), `'web'` only calls its Web API (digest: the bot
   * token). Other commands neither read nor check the Slack settings.
   */
  requireSlack?: boolean | 'web';
  /** Base for relative paths (the policy file); defaults to the process's working directory. */
  cwd?: string;
}

/** Thrown when the configuration is invalid. Its message lists every problem, by variable name. */
export class ConfigError extends WardenError {
  constructor(readonly problems: string[]) {
    super('config', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The Slack settings a command needs, checked only then (a signing secret does not stop `migrate`):
 * every problem is added to `problems`, by name, never with its value.
 */
function slackSettings(
  env: Record<string, string | undefined>,
  need: boolean | 'web' | undefined,
  problems: string[],
): SlackConfig | undefined {
  if (!need) return undefined;
  const get = (name: string) => env[name]?.trim() || undefined;
  const botToken = get('SLACK_BOT_TOKEN');
  const signingSecret = get('SLACK_SIGNING_SECRET');
  const appToken = get('SLACK_APP_TOKEN');
  const apiUrl = get('SLACK_API_URL');
  const before = problems.length;
  if (!botToken) problems.push('SLACK_BOT_TOKEN: missing (required to talk to Slack)');
  else if (!botToken.startsWith('xoxb-'))
    problems.push('SLACK_BOT_TOKEN: must be a bot token (starts with xoxb-)');
  if (apiUrl && !z.url().safeParse(apiUrl).success) problems.push('SLACK_API_URL: must be an http(s) URL');
  if (need === true) {
    if (appToken) {
      // Socket Mode: Slack's requests arrive over the app's socket, unsigned; the signing secret is not used.
      if (!appToken.startsWith('xapp-'))
        problems.push('SLACK_APP_TOKEN: must be an app-level token (starts with xapp-)');
    } else if (!signingSecret) {
      problems.push(
        'SLACK_SIGNING_SECRET: missing (required to verify Slack’s requests; or set SLACK_APP_TOKEN for Socket Mode)',
      );
    } else if (!/^[0-9a-f]{32,}$/i.test(signingSecret)) {
      problems.push('SLACK_SIGNING_SECRET: must be the app’s signing secret (hexadecimal)');
    }
  }
  if (problems.length > before || !botToken) return undefined;
  return {
    botToken,
    signingSecret: need === true && !appToken ? signingSecret : undefined,
    appToken: need === true ? appToken : undefined,
    apiUrl,
  };
}

/** Validates the environment (and the policy file it names). Throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // zod messages here are our own and never include the received value.
      problems.push(`${String(issue.path[0])}: ${issue.message}`);
    }
  }
  const e = parsed.success ? parsed.data : undefined;

  const slack = slackSettings(env, options.requireSlack, problems);

  if (e?.WARDEN_SECURITYHUB_MODE === 'aggregator') {
    if (!e.WARDEN_SECURITYHUB_ADMIN_ACCOUNT) {
      problems.push(
        'WARDEN_SECURITYHUB_ADMIN_ACCOUNT: missing (required when WARDEN_SECURITYHUB_MODE=aggregator)',
      );
    }
    if (!e.WARDEN_AGGREGATION_REGION) {
      problems.push('WARDEN_AGGREGATION_REGION: missing (required when WARDEN_SECURITYHUB_MODE=aggregator)');
    }
  }

  if (e?.WARDEN_SECURITYHUB_API === 'v2' && e.WARDEN_SECURITYHUB_MODE !== 'aggregator')
    problems.push(
      'WARDEN_SECURITYHUB_API: v2 reads the organization from the delegated administrator: set WARDEN_SECURITYHUB_MODE=aggregator',
    );

  if (e?.WARDEN_EVENTS_QUEUE_URL && e.WARDEN_SECURITYHUB_MODE !== 'aggregator')
    problems.push(
      "WARDEN_EVENTS_QUEUE_URL: the events are the delegated administrator's: set WARDEN_SECURITYHUB_MODE=aggregator",
    );
  if (e?.WARDEN_SECURITYHUB_SCOPE_OUS && e.WARDEN_SECURITYHUB_API !== 'v2')
    problems.push(
      'WARDEN_SECURITYHUB_SCOPE_OUS: only the new Security Hub reads by OU: set WARDEN_SECURITYHUB_API=v2',
    );

  if (e && e.WARDEN_SNAPSHOT_HOURLY_DAYS < 29)
    problems.push(
      'WARDEN_SNAPSHOT_HOURLY_DAYS: must be at least 29 (the weekly digest reads the scores of 4 weeks ago)',
    );
  if (e && e.WARDEN_SNAPSHOT_RETENTION_DAYS < e.WARDEN_SNAPSHOT_HOURLY_DAYS)
    problems.push('WARDEN_SNAPSHOT_RETENTION_DAYS: must be at least WARDEN_SNAPSHOT_HOURLY_DAYS');

  if (e?.WARDEN_MIGRATION_DATABASE_URL && !e.DATABASE_URL)
    problems.push(
      'WARDEN_MIGRATION_DATABASE_URL: set without DATABASE_URL (the runtime role Warden runs as)',
    );

  const regions = e?.WARDEN_REGIONS ?? [env.AWS_REGION?.trim() || DEFAULTS.REGION];
  if (new Set(regions.map(partitionOf)).size > 1)
    problems.push(
      `WARDEN_REGIONS: ${regions.join(',')} spans several AWS partitions; one Warden serves one partition`,
    );

  const cwd = options.cwd ?? process.cwd();
  const policy = loadPolicy(e?.WARDEN_POLICY_FILE ?? env.WARDEN_POLICY_FILE?.trim(), cwd, problems);

  const frameworks = loadFrameworks(
    [
      ...(BUILT_IN_FRAMEWORKS
        ? [{ folder: BUILT_IN_FRAMEWORKS, label: `frameworks/ (${BUILT_IN_FRAMEWORKS})`, builtIn: true }]
        : []),
      ...(e?.WARDEN_FRAMEWORKS_DIR
        ? [
            {
              folder: path.resolve(cwd, e.WARDEN_FRAMEWORKS_DIR),
              label: `WARDEN_FRAMEWORKS_DIR (${e.WARDEN_FRAMEWORKS_DIR})`,
              builtIn: false,
            },
          ]
        : []),
    ],
    problems,
  );

  if (problems.length > 0 || !e || !policy) throw new ConfigError(problems);

  return {
    database: {
      url: e.DATABASE_URL,
      ...(e.WARDEN_MIGRATION_DATABASE_URL ? { migrationUrl: e.WARDEN_MIGRATION_DATABASE_URL } : {}),
      dataDir: path.resolve(cwd, e.WARDEN_DATA_DIR),
    },
    aws: {
      auditRole: { name: e.WARDEN_AUDIT_ROLE_NAME, externalId: e.WARDEN_AUDIT_EXTERNAL_ID },
      remediationRole: {
        name: e.WARDEN_REMEDIATION_ROLE_NAME,
        externalId: e.WARDEN_REMEDIATION_EXTERNAL_ID,
      },
      triageRole: { name: e.WARDEN_TRIAGE_ROLE_NAME, externalId: e.WARDEN_TRIAGE_EXTERNAL_ID },
      securityHubSync: e.WARDEN_SECURITYHUB_SYNC,
      remediation: {
        mode: e.WARDEN_REMEDIATION_MODE,
        requestTtlMs: e.WARDEN_REMEDIATION_REQUEST_TTL_HOURS * 3_600_000,
      },
      regions,
      partition: partitionOf(regions[0]!),
      securityHub:
        e.WARDEN_SECURITYHUB_MODE === 'aggregator'
          ? {
              mode: 'aggregator',
              adminAccountId: e.WARDEN_SECURITYHUB_ADMIN_ACCOUNT!,
              aggregationRegion: e.WARDEN_AGGREGATION_REGION!,
              api: e.WARDEN_SECURITYHUB_API,
              ...(e.WARDEN_SECURITYHUB_SCOPE_OUS ? { scopeOus: e.WARDEN_SECURITYHUB_SCOPE_OUS } : {}),
            }
          : { mode: 'per-account' },
      ...(e.WARDEN_EVENTS_QUEUE_URL
        ? {
            events: {
              queueUrl: e.WARDEN_EVENTS_QUEUE_URL,
              region: queueAt(e.WARDEN_EVENTS_QUEUE_URL, e.WARDEN_AGGREGATION_REGION!).region,
              visibilitySeconds: e.WARDEN_EVENTS_VISIBILITY_SECONDS,
              loops: e.WARDEN_EVENTS_LOOPS,
            },
          }
        : {}),
      scan: {
        concurrency: e.WARDEN_SCAN_CONCURRENCY,
        targetTimeoutMs: e.WARDEN_TARGET_TIMEOUT_SECONDS * 1000,
        maxAttempts: e.WARDEN_AWS_MAX_ATTEMPTS,
        incrementalOverlapMs: e.WARDEN_INCREMENTAL_OVERLAP_MINUTES * 60_000,
        reportTimeoutMs: e.WARDEN_REPORT_TIMEOUT_SECONDS * 1000,
        leaseMs: e.WARDEN_SCAN_LEASE_SECONDS * 1000,
      },
    },
    anchors: {
      bucket: e.WARDEN_ANCHOR_BUCKET,
      prefix: e.WARDEN_ANCHOR_PREFIX,
      retentionDays: e.WARDEN_ANCHOR_RETENTION_DAYS,
    },
    slack,
    slackConcurrency: e.WARDEN_SLACK_CONCURRENCY,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    policyFile: e.WARDEN_POLICY_FILE,
    policy,
    frameworks,
    schedule: {
      enabled: e.WARDEN_SCHEDULER,
      timezone: e.WARDEN_TIMEZONE,
      catchUpDigests: e.WARDEN_CATCH_UP_DIGESTS,
      cron: {
        scan: e.WARDEN_SCAN_CRON,
        fullScan: e.WARDEN_FULL_SCAN_CRON,
        dailyDigest: e.WARDEN_DAILY_DIGEST_CRON,
        weeklyDigest: e.WARDEN_WEEKLY_DIGEST_CRON,
        expiry: e.WARDEN_EXPIRY_CRON,
        auditAnchor: e.WARDEN_AUDIT_ANCHOR_CRON,
        snapshotRetention: e.WARDEN_SNAPSHOT_RETENTION_CRON,
        accessReviewFollowUp: e.WARDEN_ACCESS_REVIEW_FOLLOW_UP_CRON,
        accessReview: e.WARDEN_ACCESS_REVIEW_CRON,
      },
    },
    snapshots: { days: e.WARDEN_SNAPSHOT_RETENTION_DAYS, hourlyDays: e.WARDEN_SNAPSHOT_HOURLY_DAYS },
  };
}

function loadPolicy(file: string | undefined, cwd: string, problems: string[]): Policy | undefined {
  if (!file) return policySchema.parse({});
  const where = `WARDEN_POLICY_FILE (${file})`;
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(`${where}: cannot be read (${code ?? 'unknown error'})`);
    return undefined;
  }
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser serves both formats.
    raw = parseYaml(text) ?? {};
  } catch (err) {
    problems.push(`${where}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const at = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      problems.push(`${where}: ${at}: ${issue.message}`);
    }
    return undefined;
  }
  return parsed.data;
}

/** The configuration as it may be shown to a person or a log: secrets replaced by "[set]". */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    database: config.database.url
      ? {
          driver: 'postgres',
          url: redactUrl(config.database.url),
          ...(config.database.migrationUrl ? { migrationUrl: redactUrl(config.database.migrationUrl) } : {}),
        }
      : {
          driver: 'pglite',
          dataDir: config.database.dataDir,
        },
    slack: config.slack
      ? {
          botToken: '[set]',
          signingSecret: config.slack.signingSecret ? '[set]' : undefined,
          appToken: config.slack.appToken ? '[set]' : undefined,
          apiUrl: config.slack.apiUrl,
        }
      : undefined,
    aws: {
      ...config.aws,
      auditRole: {
        name: config.aws.auditRole.name,
        externalId: config.aws.auditRole.externalId ? '[set]' : undefined,
      },
      remediationRole: {
        name: config.aws.remediationRole.name,
        externalId: config.aws.remediationRole.externalId ? '[set]' : undefined,
      },
      triageRole: {
        name: config.aws.triageRole.name,
        externalId: config.aws.triageRole.externalId ? '[set]' : undefined,
      },
    },
    anchors: config.anchors,
    port: config.port,
    logLevel: config.logLevel,
    policyFile: config.policyFile,
    schedule: config.schedule,
    snapshots: config.snapshots,
  };
}

/** A database URL with its password removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
