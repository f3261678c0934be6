import type { IAMClient } from '@aws-sdk/client-iam';
import { expect, test } from 'vitest';
import { fetchCredentialReport, ReportTimeoutError } from '../../src/collect/credential-report.js';

// A credential report not read in time says what happened: IAM still generating it, or the time
// spent retrying throttled GenerateCredentialReport calls (the SDK retries them within the budget).

/** An IAM client whose GenerateCredentialReport answers INPROGRESS after `callMs`, having retried `attempts - 1` times. */
function iamAnswering(callMs: number, attempts: number): IAMClient {
  return {
    send: async () => {
      await new Promise((r) => setTimeout(r, callMs));
      return { State: 'INPROGRESS', $metadata: { attempts, totalRetryDelay: attempts > 1 ? callMs - 5 : 0 } };
    },
  } as unknown as IAMClient;
}

test('throttled calls that used up the time are named as the cause, not a report still in progress', async () => {
  const failure = await fetchCredentialReport(iamAnswering(300, 5), { timeoutMs: 400, pollBaseMs: 50 }).catch(
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(ReportTimeoutError);
  expect((failure as Error).message).toMatch(
    /^the time for the credential report \([\d.]+ s\) went to waiting out \d+ throttled or failed iam:GenerateCredentialReport attempts \([\d.]+ s of backoff\); IAM answered INPROGRESS \d+ times?$/,
  );
});

test('a report IAM is still generating says so', async () => {
  const failure = await fetchCredentialReport(iamAnswering(5, 1), { timeoutMs: 300, pollBaseMs: 20 }).catch(
    (e: unknown) => e,
  );
  expect((failure as Error).message).toMatch(
    /^IAM was still generating the credential report after [\d.]+ s \(IAM answered INPROGRESS \d+ times\)$/,
  );
});
