/**
 * Every error Warden raises on purpose, by code: the CLI and the Slack handlers decide what to say
 * and do by the code, never by sniffing a message or a class name.
 */
export const ERROR_CODES = [
  'config',
  'usage',
  'database',
  'database-locked',
  'no-database',
  'aws',
  'target-timeout',
  'report-malformed',
  'report-unavailable',
  'scan-cannot-run',
  'scan-already-running',
  'scan-cancelled',
  'scan-lease-lost',
  'scan-failed',
  'scan-left',
  'process-stopping',
  'not-applicable',
  'remediation-refused',
  'triage-refused',
  'audit-anchor-conflict',
  'review-refused',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One of Warden's errors: a code to decide by, a message for people, and the cause, if any. */
export class WardenError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Whether `err` is a Warden error with one of these codes. */
export function hasCode(err: unknown, ...codes: ErrorCode[]): err is WardenError {
  return err instanceof WardenError && codes.includes(err.code);
}
