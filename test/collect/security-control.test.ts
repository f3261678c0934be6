import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, test } from 'vitest';
import { fromAsff } from '../../src/collect/securityhub.js';

// Control findings as Security Hub writes them (the user guide's "Samples of control findings"): what
// matters here is how each shape names its control, so the rest of each finding is left out.

const ACCOUNT = '123456789012';
const base = (over: Partial<AwsSecurityFinding>): AwsSecurityFinding =>
  ({
    SchemaVersion: '2018-10-08',
    Id: `arn:aws:securityhub:us-east-1:${ACCOUNT}:finding/x`,
    ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    AwsAccountId: ACCOUNT,
    Region: 'us-east-1',
    Title: 'IAM root user access key should not exist',
    Resources: [{ Type: 'AwsAccount', Id: `AWS::::Account:${ACCOUNT}` }],
    Compliance: { Status: 'FAILED' },
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
    ...over,
  }) as AwsSecurityFinding;

describe('the security control a Security Hub finding is about', () => {
  test('a consolidated control finding names it', () => {
    const f = base({
      GeneratorId: 'security-control/IAM.4',
      Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.4' },
    });
    expect(fromAsff(f).controlId).toBe('IAM.4');
  });

  test('a per-standard copy written today names it beside the standard’s own id', () => {
    const f = base({
      GeneratorId: 'pci-dss/v/3.2.1/PCI.IAM.1',
      ProductFields: {
        ControlId: 'PCI.IAM.1',
        StandardsArn: 'arn:aws:securityhub:::standards/pci-dss/v/3.2.1',
      },
      Compliance: { Status: 'FAILED', SecurityControlId: 'IAM.4' },
    });
    expect(fromAsff(f).controlId).toBe('IAM.4');
  });

  test.each([
    [
      'FSBP, whose ids are the security control ids',
      'aws-foundational-security-best-practices/v/1.0.0/IAM.4',
      {},
    ],
    [
      'CIS v1.2.0 rule 1.12, by its rule ARN',
      'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.12',
      { RuleId: '1.12' },
    ],
    [
      'PCI DSS v3.2.1 PCI.IAM.1',
      'pci-dss/v/3.2.1/PCI.IAM.1',
      { ControlId: 'PCI.IAM.1', StandardsArn: 'arn:aws:securityhub:::standards/pci-dss/v/3.2.1' },
    ],
  ])('an older per-standard copy without SecurityControlId is mapped: %s', (_, generator, fields) => {
    const f = base({ GeneratorId: generator, ProductFields: fields });
    expect(fromAsff(f).controlId).toBe('IAM.4');
  });

  test('a standard id the mapping does not know, and a finding that is no control’s, name none', () => {
    expect(fromAsff(base({ GeneratorId: 'pci-dss/v/3.2.1/PCI.Unknown.9' })).controlId).toBeNull();
    const guardDuty = base({
      ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty',
      GeneratorId: 'arn:aws:guardduty:us-east-1:123456789012:detector/abc',
      Compliance: undefined,
    });
    expect(fromAsff(guardDuty).controlId).toBeNull();
  });
});
