import type { SeverityLabel } from './scenario.js';

/** Security Hub controls the simulator can raise findings for, as the AWS documentation names them. */
export interface SimControl {
  title: string;
  severity: SeverityLabel;
  resourceType: string;
  /** Builds a resource id for an account and region from an index. */
  resource: (account: string, region: string, n: number) => string;
}

const docs = (id: string) => `https://docs.aws.amazon.com/console/securityhub/${id}/remediation`;

export const CONTROLS: Record<string, SimControl> = {
  'IAM.1': {
    title: 'IAM policies should not allow full "*" administrative privileges',
    severity: 'HIGH',
    resourceType: 'AwsIamPolicy',
    resource: (a, _r, n) => `arn:aws:iam::${a}:policy/admin-policy-${n}`,
  },
  'IAM.4': {
    title: 'IAM root user access key should not exist',
    severity: 'CRITICAL',
    resourceType: 'AwsAccount',
    resource: (a) => `AWS::::Account:${a}`,
  },
  'IAM.6': {
    title: 'Hardware MFA should be enabled for the root user',
    severity: 'CRITICAL',
    resourceType: 'AwsAccount',
    resource: (a) => `AWS::::Account:${a}`,
  },
  'S3.1': {
    title: 'S3 general purpose buckets should have block public access settings enabled',
    severity: 'MEDIUM',
    resourceType: 'AwsAccount',
    resource: (a) => `AWS::::Account:${a}`,
  },
  'S3.8': {
    title: 'S3 general purpose buckets should block public access',
    severity: 'HIGH',
    resourceType: 'AwsS3Bucket',
    resource: (a, r, n) => `arn:aws:s3:::data-${a}-${r}-${n}`,
  },
  'EC2.2': {
    title: 'VPC default security groups should not allow inbound or outbound traffic',
    severity: 'HIGH',
    resourceType: 'AwsEc2SecurityGroup',
    resource: (a, r, n) => `arn:aws:ec2:${r}:${a}:security-group/sg-${(0x1000000 + n).toString(16)}`,
  },
  'EC2.19': {
    title: 'Security groups should not allow unrestricted access to ports with high risk',
    severity: 'CRITICAL',
    resourceType: 'AwsEc2SecurityGroup',
    resource: (a, r, n) => `arn:aws:ec2:${r}:${a}:security-group/sg-${(0x2000000 + n).toString(16)}`,
  },
  'CloudTrail.1': {
    title: 'CloudTrail should be enabled and configured with at least one multi-Region trail',
    severity: 'HIGH',
    resourceType: 'AwsAccount',
    resource: (a) => `AWS::::Account:${a}`,
  },
  'RDS.3': {
    title: 'RDS DB instances should have encryption at-rest enabled',
    severity: 'MEDIUM',
    resourceType: 'AwsRdsDbInstance',
    resource: (a, r, n) => `arn:aws:rds:${r}:${a}:db:db-${n}`,
  },
  'KMS.4': {
    title: 'AWS KMS key rotation should be enabled',
    severity: 'MEDIUM',
    resourceType: 'AwsKmsKey',
    resource: (a, r, n) =>
      `arn:aws:kms:${r}:${a}:key/${(0x10000000 + n).toString(16)}-0000-4000-8000-000000000000`,
  },
  'Lambda.2': {
    title: 'Lambda functions should use supported runtimes',
    severity: 'MEDIUM',
    resourceType: 'AwsLambdaFunction',
    resource: (a, r, n) => `arn:aws:lambda:${r}:${a}:function:fn-${n}`,
  },
  'SSM.1': {
    title: 'Amazon EC2 instances should be managed by AWS Systems Manager',
    severity: 'MEDIUM',
    resourceType: 'AwsEc2Instance',
    resource: (a, r, n) => `arn:aws:ec2:${r}:${a}:instance/i-${(0x10000000 + n).toString(16)}`,
  },
  'EC2.8': {
    title: 'EC2 instances should use Instance Metadata Service Version 2 (IMDSv2)',
    severity: 'HIGH',
    resourceType: 'AwsEc2Instance',
    resource: (a, r, n) => `arn:aws:ec2:${r}:${a}:instance/i-${(0x20000000 + n).toString(16)}`,
  },
  'CloudWatch.1': {
    title: 'A log metric filter and alarm should exist for usage of the "root" user',
    severity: 'LOW',
    resourceType: 'AwsAccount',
    resource: (a) => `AWS::::Account:${a}`,
  },
  'ECR.1': {
    title: 'ECR private repositories should have image scanning configured',
    severity: 'HIGH',
    resourceType: 'AwsEcrRepository',
    resource: (a, r, n) => `arn:aws:ecr:${r}:${a}:repository/repo-${n}`,
  },
  'GuardDuty.1': {
    title: 'GuardDuty should be enabled',
    severity: 'HIGH',
    resourceType: 'AwsAccount',
    resource: (a) => `AWS::::Account:${a}`,
  },
};

export const CONTROL_IDS = Object.keys(CONTROLS);

export function remediationUrl(controlId: string): string {
  return docs(controlId);
}
