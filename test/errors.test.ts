import { expect, test } from 'vitest';
import { TargetError } from '../src/aws/errors.js';
import { TargetTimeoutError } from '../src/aws/fanout.js';
import { MalformedReportError, ReportTimeoutError } from '../src/collect/credential-report.js';
import { ConfigError } from '../src/config.js';
import { NoDatabase } from '../src/db/client.js';
import { DatabaseFailure } from '../src/db/errors.js';
import { DataDirLocked } from '../src/db/folder-lock.js';
import { ERROR_CODES, hasCode, WardenError } from '../src/errors.js';
import { NotApplicable } from '../src/remediate/playbook.js';
import { RemediationRefused } from '../src/workflow/remediation.js';
import { ScanCancelled, ScanCannotRun } from '../src/workflow/scan.js';
import { TriageError } from '../src/workflow/triage.js';

// Every domain error is a WardenError with its own code, a message for people and its cause, so
// callers decide by code.

test('each domain error carries a code of its own, its message, its cause and its class name', () => {
  const cause = new Error('underneath');
  const errors = [
    new ConfigError(['PORT: must be a port number']),
    new DatabaseFailure('database unreachable at 127.0.0.1:5432 (connection refused)', { cause }),
    new DataDirLocked('/data'),
    new NoDatabase('no embedded database in /data'),
    new TargetError('throttled', { account: '111122223333', region: 'us-east-1', call: 'x:Y' }, 'slow'),
    new TargetTimeoutError('timed out after 1000 ms'),
    new MalformedReportError('no header'),
    new ReportTimeoutError('IAM was still generating the credential report'),
    new ScanCannotRun('no organization'),
    new ScanCancelled('cancelled: SIGTERM received'),
    new NotApplicable('the key is gone'),
    new RemediationRefused('nobody approves their own request'),
    new TriageError('already acknowledged'),
  ];
  for (const e of errors) {
    expect(e).toBeInstanceOf(WardenError);
    expect(ERROR_CODES).toContain(e.code);
  }
  expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
  expect(errors[1]!.cause).toBe(cause);
  expect(errors[2]!.name).toBe('DataDirLocked');
  expect(hasCode(errors[1], 'database')).toBe(true);
  expect(hasCode(cause, 'database')).toBe(false);
});
