import { expect, test } from 'vitest';
import { auditRoleSpec, roleArn } from '../../src/aws/credentials.js';
import { partitionOf } from '../../src/aws/partition.js';
import { evaluateAccount } from '../../src/collect/checks/cis.js';
import { loadConfig } from '../../src/config.js';

// Every ARN Warden builds names the partition its accounts live in: GovCloud and China are not `aws`.

test('the partition follows the regions Warden reads, and one Warden serves one partition', () => {
  expect(partitionOf('eu-west-1')).toBe('aws');
  expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
  expect(partitionOf('cn-north-1')).toBe('aws-cn');
  const gov = loadConfig({ WARDEN_REGIONS: 'us-gov-west-1,us-gov-east-1' });
  expect(gov.aws.partition).toBe('aws-us-gov');
  expect(roleArn(gov.aws.partition, '123456789012', 'WardenAudit')).toBe(
    'arn:aws-us-gov:iam::123456789012:role/WardenAudit',
  );
  expect(auditRoleSpec(gov.aws.auditRole, gov.aws.partition)).toMatchObject({ partition: 'aws-us-gov' });
  expect(() => loadConfig({ WARDEN_REGIONS: 'us-east-1,cn-north-1' })).toThrow(
    'WARDEN_REGIONS: us-east-1,cn-north-1 spans several AWS partitions; one Warden serves one partition',
  );
});

test('a finding Warden raises itself names the account’s partition', () => {
  const [finding] = evaluateAccount({
    accountId: '123456789012',
    partition: 'aws-cn',
    report: { generatedAt: new Date(), rows: [], passwordPolicy: null },
    thresholds: { keyRotationDays: 90, unusedCredentialDays: 45, rootUseDays: 30 },
    now: new Date(),
  }).findings.filter((f) => f.generatorId === 'warden/password-policy-weak');
  expect(finding?.resourceId).toBe('arn:aws-cn:iam::123456789012:account-password-policy');
});
