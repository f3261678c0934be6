import type { Finding } from '../../src/findings/finding.js';

/** A failing Security Hub finding as a source reports it, with what a test names and the rest filled in. */
export function sourceFinding(fields: Pick<Finding, 'externalId' | 'accountId'> & Partial<Finding>): Finding {
  return {
    source: 'securityhub',
    productArn: `arn:aws:securityhub:${fields.region ?? 'us-east-1'}::product/aws/securityhub`,
    region: 'us-east-1',
    resourceType: 'AwsS3Bucket',
    resourceId: `arn:aws:s3:::bucket-${fields.externalId}`,
    controlId: 'S3.8',
    generatorId: 'security-control/S3.8',
    title: 'S3 general purpose buckets should block public access',
    description: null,
    severity: 'high',
    compliance: 'FAILED',
    awsWorkflowStatus: 'NEW',
    firstObservedAt: new Date(),
    sourceUpdatedAt: new Date(),
    remediationText: null,
    remediationUrl: null,
    evidence: {},
    failing: true,
    ...fields,
  };
}

/**
 * Security Hub's IAM.4 evaluation of an account's root user in one region, failing: a global
 * resource evaluated in every region, so one issue of several findings.
 */
export const rootKeyEvaluation = (account: string, region: string): Finding =>
  sourceFinding({
    externalId: `arn:aws:securityhub:${region}:${account}:security-control/IAM.4/finding/${region}`,
    accountId: account,
    region,
    resourceType: 'AwsAccount',
    resourceId: `AWS::::Account:${account}`,
    controlId: 'IAM.4',
    generatorId: 'security-control/IAM.4',
    title: 'IAM root user access key should not exist',
    severity: 'critical',
  });
