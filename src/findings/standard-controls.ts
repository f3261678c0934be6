import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';

/**
 * The security control (IAM.4) a Security Hub control finding is about, whatever shape it has.
 *
 * Consolidated control findings carry `Compliance.SecurityControlId` and a `security-control/IAM.4`
 * GeneratorId. With consolidation off, Security Hub makes one finding per enabled standard holding the
 * control, each under the standard's own control id: its GeneratorId is the standard's path and that
 * id (`aws-foundational-security-best-practices/v/1.0.0/IAM.4`, `pci-dss/v/3.2.1/PCI.IAM.1`, CIS
 * v1.2.0's `arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.12`), and
 * `ProductFields` repeats it (`ControlId`; CIS v1.2.0: `RuleId`). Current payloads of that kind also
 * carry `SecurityControlId`; older ones do not, and the tables below map their ids.
 *
 * The tables follow AWS's "How consolidation impacts control IDs and titles" (Security Hub user guide)
 * for the standards that number controls their own way: FSBP's ids are the security control ids. CIS
 * v1.4.0 and later and NIST SP 800-53 findings are newer than consolidation and carry
 * `SecurityControlId`; an id none of these name folds into no other finding (it stays an issue of its
 * own), which is the safe way to be wrong.
 */
export function securityControlOf(f: AwsSecurityFinding): string | null {
  if (f.Compliance?.SecurityControlId) return f.Compliance.SecurityControlId;
  const generator = f.GeneratorId ?? '';
  if (generator.startsWith('security-control/')) return generator.slice('security-control/'.length);
  const fields = f.ProductFields ?? {};
  const fsbp = /^aws-foundational-security-best-practices\/v\/[\d.]+\/(.+)$/.exec(generator)?.[1];
  if (fsbp) return fsbp;
  const cisRule = /cis-aws-foundations-benchmark\/v\/1\.2\.0\/rule\/([\d.]+)$/.exec(generator)?.[1];
  if (cisRule ?? (fields.StandardsGuideArn?.includes('/v/1.2.0') && fields.RuleId))
    return CIS_1_2_0[cisRule ?? fields.RuleId!] ?? null;
  const pci = /^pci-dss\/v\/3\.2\.1\/(.+)$/.exec(generator)?.[1] ?? fields.ControlId;
  if (pci?.startsWith('PCI.')) return PCI_DSS_3_2_1[pci] ?? null;
  return null;
}

/** CIS AWS Foundations Benchmark v1.2.0 rule → security control. */
const CIS_1_2_0: Record<string, string> = {
  '1.1': 'CloudWatch.1',
  '1.2': 'IAM.5',
  '1.3': 'IAM.8',
  '1.4': 'IAM.3',
  '1.5': 'IAM.11',
  '1.6': 'IAM.12',
  '1.7': 'IAM.13',
  '1.8': 'IAM.14',
  '1.9': 'IAM.15',
  '1.10': 'IAM.16',
  '1.11': 'IAM.17',
  '1.12': 'IAM.4',
  '1.13': 'IAM.9',
  '1.14': 'IAM.6',
  '1.16': 'IAM.2',
  '1.20': 'IAM.18',
  '1.22': 'IAM.1',
  '2.1': 'CloudTrail.1',
  '2.2': 'CloudTrail.4',
  '2.3': 'CloudTrail.6',
  '2.4': 'CloudTrail.5',
  '2.5': 'Config.1',
  '2.6': 'CloudTrail.7',
  '2.7': 'CloudTrail.2',
  '2.8': 'KMS.4',
  '2.9': 'EC2.6',
  '3.1': 'CloudWatch.2',
  '3.2': 'CloudWatch.3',
  '3.3': 'CloudWatch.1',
  '3.4': 'CloudWatch.4',
  '3.5': 'CloudWatch.5',
  '3.6': 'CloudWatch.6',
  '3.7': 'CloudWatch.7',
  '3.8': 'CloudWatch.8',
  '3.9': 'CloudWatch.9',
  '3.10': 'CloudWatch.10',
  '3.11': 'CloudWatch.11',
  '3.12': 'CloudWatch.12',
  '3.13': 'CloudWatch.13',
  '3.14': 'CloudWatch.14',
  '4.1': 'EC2.13',
  '4.2': 'EC2.14',
  '4.3': 'EC2.2',
};

/** PCI DSS v3.2.1 control → security control (the IAM, logging and network controls). */
const PCI_DSS_3_2_1: Record<string, string> = {
  'PCI.CloudTrail.1': 'CloudTrail.2',
  'PCI.CloudTrail.2': 'CloudTrail.3',
  'PCI.CloudTrail.3': 'CloudTrail.4',
  'PCI.CloudTrail.4': 'CloudTrail.5',
  'PCI.Config.1': 'Config.1',
  'PCI.CW.1': 'CloudWatch.1',
  'PCI.EC2.1': 'EC2.1',
  'PCI.EC2.2': 'EC2.2',
  'PCI.EC2.6': 'EC2.6',
  'PCI.GuardDuty.1': 'GuardDuty.1',
  'PCI.IAM.1': 'IAM.4',
  'PCI.IAM.2': 'IAM.2',
  'PCI.IAM.3': 'IAM.1',
  'PCI.IAM.4': 'IAM.6',
  'PCI.IAM.5': 'IAM.9',
  'PCI.IAM.6': 'IAM.19',
  'PCI.IAM.7': 'IAM.8',
  'PCI.IAM.8': 'IAM.10',
  'PCI.KMS.1': 'KMS.4',
  'PCI.S3.1': 'S3.3',
  'PCI.S3.2': 'S3.2',
  'PCI.S3.4': 'S3.4',
  'PCI.S3.5': 'S3.5',
  'PCI.S3.6': 'S3.1',
};
