import { DEFAULT_ROLES, type Scenario } from '../../src/sim/scenario.js';
import { SIM_CALLER } from '../../src/sim/scenarios.js';

const A = '111111111111';
const B = '222222222222';
const FSBP = 'standards/aws-foundational-security-best-practices/v/1.0.0';
const CIS12 = 'ruleset/cis-aws-foundations-benchmark/v/1.2.0';
const CIS30 = 'standards/cis-aws-foundations-benchmark/v/3.0.0';

/**
 * Account A (OU Production): FSBP and CIS v3.0.0, KMS.4 disabled in CIS. IAM.4 (a global resource)
 * fails in us-east-1 and passes in eu-west-1; S3.8 passes; RDS.3 cannot decide (WARNING); KMS.4's only
 * evaluation is suppressed; EC2.2's is archived.
 * Account B (OU Development): FSBP, CIS v3.0.0 and CIS v1.2.0. S3.8 fails; IAM.4 and EC2.8 pass.
 *
 * The simulator's CIS v3.0.0 holds 8 of its controls (IAM.4, IAM.6, S3.1, S3.8, EC2.2, RDS.3,
 * KMS.4, EC2.8), FSBP 15 (all but CloudWatch.1), CIS v1.2.0 7 (IAM.1 1.22, IAM.4 1.12, IAM.6 1.14,
 * EC2.2 4.3, KMS.4 2.8, CloudWatch.1 1.1 and 3.3).
 */
function scenario(): Scenario {
  return {
    organizationId: 'o-scores00001',
    managementAccountId: A,
    rootId: 'r-root',
    ous: [
      { id: 'ou-root-prod0001', name: 'Production', parent: 'r-root' },
      { id: 'ou-root-dev00001', name: 'Development', parent: 'r-root' },
    ],
    regions: ['us-east-1', 'eu-west-1'],
    callerCredentials: SIM_CALLER,
    roles: structuredClone(DEFAULT_ROLES),
    securityHub: { standards: ['fsbp', 'cis-3.0'] },
    accounts: [
      {
        id: A,
        name: 'prod',
        parent: 'ou-root-prod0001',
        disabledControls: [{ standard: 'cis-3.0', control: 'KMS.4' }],
        findings: [
          { control: 'IAM.4', region: 'us-east-1', uuid: 'a-iam4-use1' },
          { control: 'IAM.4', region: 'eu-west-1', uuid: 'a-iam4-euw1', compliance: 'PASSED' },
          { control: 'S3.8', region: 'us-east-1', uuid: 'a-s38', compliance: 'PASSED' },
          { control: 'RDS.3', region: 'us-east-1', uuid: 'a-rds3', compliance: 'WARNING' },
          { control: 'KMS.4', region: 'eu-west-1', uuid: 'a-kms4', workflow: 'SUPPRESSED' },
          { control: 'EC2.2', region: 'eu-west-1', uuid: 'a-ec22', recordState: 'ARCHIVED' },
        ],
      },
      {
        id: B,
        name: 'dev',
        parent: 'ou-root-dev00001',
        standards: ['fsbp', 'cis-3.0', 'cis-1.2'],
        findings: [
          { control: 'S3.8', region: 'us-east-1', uuid: 'b-s38' },
          { control: 'IAM.4', region: 'us-east-1', uuid: 'b-iam4', compliance: 'PASSED' },
          { control: 'EC2.8', region: 'eu-west-1', uuid: 'b-ec28', compliance: 'PASSED' },
        ],
      },
    ],
  };
}

/** The small organization whose standards' scores are computed by hand in test/scan/compliance-scores.test.ts. */
export const complianceScenario = { A, B, FSBP, CIS12, CIS30, scenario };
