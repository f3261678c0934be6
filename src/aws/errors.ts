import type { FailureKind } from '../domain.js';
import { WardenError } from '../errors.js';
/** Error names the AWS SDK treats as throttling (FACTS.md §1, smithy `service-error-classification`). */
export const THROTTLING_ERROR_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

export function isThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING_ERROR_NAMES.has(e?.name ?? '') || e?.$metadata?.httpStatusCode === 429;
}

export { FAILURE_KINDS, type FailureKind } from '../domain.js';

/**
 * Why one account × region × source could not be scanned, worded for the person who must fix it:
 * it names the account, the region and the AWS call, and what to do.
 */
export class TargetError extends WardenError {
  constructor(
    readonly kind: FailureKind,
    readonly where: { account: string; region: string; call: string },
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('aws', `${where.call} in account ${where.account} (${where.region}): ${detail}`, options);
  }
}

/** Turns whatever an AWS call threw into a TargetError a person can act on. */
export function explainAwsError(
  err: unknown,
  where: { account: string; region: string; call: string },
  signal?: AbortSignal,
): TargetError {
  if (err instanceof TargetError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { attempts?: number } };
  if (signal?.aborted || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return new TargetError('timeout', where, 'timed out (the per-target time limit was reached)', {
      cause: err,
    });
  }
  if (isThrottling(err)) {
    const attempts = e.$metadata?.attempts;
    return new TargetError(
      'throttled',
      where,
      `throttled by AWS${attempts ? ` after ${attempts} attempts` : ''} (${e.name}); lower WARDEN_SCAN_CONCURRENCY or retry later`,
      { cause: err },
    );
  }
  if (e.name === 'InvalidAccessException' && where.call.startsWith('securityhub:')) {
    return new TargetError(
      'securityhub-disabled',
      where,
      `Security Hub is not enabled in ${where.region}: enable it there, or leave the region out of WARDEN_REGIONS`,
      { cause: err },
    );
  }
  return new TargetError('error', where, `${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { cause: err });
}
