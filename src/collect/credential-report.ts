import {
  GenerateCredentialReportCommand,
  GetAccountPasswordPolicyCommand,
  GetCredentialReportCommand,
  type PasswordPolicy,
} from '@aws-sdk/client-iam';
import { parse } from 'csv-parse/sync';
import type { IamCalls } from '../aws/clients.js';
import { sleep } from '../aws/sleep.js';
import { WardenError } from '../errors.js';

/** One access key's columns of the report. */
export interface ReportKey {
  slot: 1 | 2;
  active: boolean;
  lastRotated: Date | null;
  lastUsed: Date | null;
}

/** One row of the IAM credential report, with `N/A`, `no_information` and `not_supported` turned into null. */
export interface ReportRow {
  user: string;
  arn: string;
  isRoot: boolean;
  createdAt: Date | null;
  /** null for the root row (`not_supported`). */
  passwordEnabled: boolean | null;
  passwordLastUsed: Date | null;
  passwordLastChanged: Date | null;
  mfaActive: boolean;
  keys: ReportKey[];
}

export class MalformedReportError extends WardenError {
  constructor(message: string) {
    super('report-malformed', message);
  }
}

const REQUIRED_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
];

const ABSENT = new Set(['N/A', 'no_information', 'not_supported', '']);

function date(value: string | undefined, column: string, line: number): Date | null {
  if (value === undefined || ABSENT.has(value)) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new MalformedReportError(`line ${line}: ${column} is not a date`);
  return d;
}

function bool(value: string | undefined, column: string, line: number): boolean | null {
  if (value === undefined || ABSENT.has(value)) return null;
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new MalformedReportError(`line ${line}: ${column} is neither true nor false`);
}

/** Parses the report's CSV (FACTS.md §3). Throws MalformedReportError naming what is wrong. */
export function parseCredentialReport(csv: string): ReportRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (err) {
    throw new MalformedReportError(`not a valid CSV file (${(err as Error).message})`);
  }
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (records.length === 0 || missing.length > 0) {
    throw new MalformedReportError(
      records.length === 0 ? 'the report has no rows' : `columns missing: ${missing.join(', ')}`,
    );
  }
  return records.map((r, i) => {
    const line = i + 2;
    const keys = ([1, 2] as const).map((slot) => ({
      slot,
      active: bool(r[`access_key_${slot}_active`], `access_key_${slot}_active`, line) ?? false,
      lastRotated: date(r[`access_key_${slot}_last_rotated`], `access_key_${slot}_last_rotated`, line),
      lastUsed: date(r[`access_key_${slot}_last_used_date`], `access_key_${slot}_last_used_date`, line),
    }));
    return {
      user: r.user!,
      arn: r.arn!,
      isRoot: r.user === '<root_account>',
      createdAt: date(r.user_creation_time, 'user_creation_time', line),
      passwordEnabled: bool(r.password_enabled, 'password_enabled', line),
      passwordLastUsed: date(r.password_last_used, 'password_last_used', line),
      passwordLastChanged: date(r.password_last_changed, 'password_last_changed', line),
      mfaActive: bool(r.mfa_active, 'mfa_active', line) ?? false,
      keys,
    };
  });
}

export interface CredentialReport {
  generatedAt: Date;
  rows: ReportRow[];
  /** null when the account has no password policy (NoSuchEntity). */
  passwordPolicy: PasswordPolicy | null;
}

export class ReportTimeoutError extends WardenError {
  constructor(message: string) {
    super('report-unavailable', message);
  }
}

/**
 * Why a credential report was not read in time, as it happened: IAM still generating it, or the time
 * spent waiting out throttled GenerateCredentialReport calls (retried by the SDK) before it could be.
 */
export function reportTimeoutReason(r: {
  state: string | undefined;
  polls: number;
  retries: number;
  retryDelayMs: number;
  elapsedMs: number;
}): string {
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const asked = `IAM answered ${r.state ?? 'no state'} ${r.polls} time${r.polls === 1 ? '' : 's'}`;
  if (r.retries > 0 && r.retryDelayMs * 2 >= r.elapsedMs)
    return `the time for the credential report (${seconds(r.elapsedMs)}) went to waiting out ${r.retries} throttled or failed iam:GenerateCredentialReport attempts (${seconds(r.retryDelayMs)} of backoff); ${asked}`;
  return `IAM was still generating the credential report after ${seconds(r.elapsedMs)} (${asked}${r.retries ? `, ${r.retries} attempts retried` : ''})`;
}

/**
 * Asks IAM to generate the credential report, polls with exponential backoff until it is COMPLETE
 * (or `timeoutMs` passes), then fetches and parses it, and reads the password policy. `wait` spends
 * the time between polls (the scan's gives its concurrency slot up meanwhile); default: a sleep.
 */
export async function fetchCredentialReport(
  iam: IamCalls,
  options: {
    timeoutMs: number;
    pollBaseMs?: number;
    signal?: AbortSignal;
    wait?: (ms: number) => Promise<void>;
  },
): Promise<CredentialReport> {
  const send = { ...(options.signal ? { abortSignal: options.signal } : {}) };
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let delay = options.pollBaseMs ?? 250;
  let polls = 0;
  // Where the time went: the SDK retries throttled calls itself, and those retries spend the budget too.
  let retries = 0;
  let retryDelayMs = 0;
  for (;;) {
    const answer = await iam.send(new GenerateCredentialReportCommand({}), send);
    retries += Math.max(0, (answer.$metadata.attempts ?? 1) - 1);
    retryDelayMs += answer.$metadata.totalRetryDelay ?? 0;
    if (answer.State === 'COMPLETE') break;
    polls += 1;
    if (Date.now() + delay > deadline) {
      throw new ReportTimeoutError(
        reportTimeoutReason({
          state: answer.State,
          polls,
          retries,
          retryDelayMs,
          elapsedMs: Date.now() - started,
        }),
      );
    }
    await (options.wait ? options.wait(delay) : sleep(delay, options.signal));
    delay = Math.min(delay * 2, 5_000);
  }
  const report = await iam.send(new GetCredentialReportCommand({}), send);
  if (!report.Content) throw new MalformedReportError('the report has no content');
  const rows = parseCredentialReport(Buffer.from(report.Content).toString('utf8'));
  let passwordPolicy: PasswordPolicy | null = null;
  try {
    passwordPolicy = (await iam.send(new GetAccountPasswordPolicyCommand({}), send)).PasswordPolicy ?? null;
  } catch (err) {
    if (
      (err as { name?: string }).name !== 'NoSuchEntityException' &&
      (err as { name?: string }).name !== 'NoSuchEntity'
    )
      throw err;
  }
  return { generatedAt: report.GeneratedTime ?? new Date(), rows, passwordPolicy };
}
