import {
  BatchUpdateFindingsCommand,
  DescribeHubCommand,
  DescribeStandardsControlsCommand,
  GetEnabledStandardsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { demoScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(demoScenario());
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
});
afterAll(async () => {
  await sim.close();
});

async function hubAs(account: string, region: string, role = 'WardenAudit') {
  const out = await new STSClient({}).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: 'test' }),
  );
  const c = out.Credentials!;
  return new SecurityHubClient({
    region,
    credentials: {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    },
  });
}

test('BatchUpdateFindings changes workflow and note, not UpdatedAt, and only for the account’s own findings', async () => {
  const [owner, other] = [sim.world.scenario.accounts[3]!.id, sim.world.scenario.accounts[4]!.id];
  const target = sim.world.findings.get(`${owner}|us-east-1`)![0]!;
  const updatedAt = target.updatedAt;
  const ident = { Id: target.id, ProductArn: target.productArn };

  const refused = await (await hubAs(other, 'us-east-1', 'WardenRemediation')).send(
    new BatchUpdateFindingsCommand({ FindingIdentifiers: [ident], Workflow: { Status: 'SUPPRESSED' } }),
  );
  expect(refused.UnprocessedFindings?.[0]?.ErrorCode).toBe('FindingNotFound');

  const hub = await hubAs(owner, 'us-east-1', 'WardenRemediation');
  const done = await hub.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers: [ident],
      Workflow: { Status: 'SUPPRESSED' },
      Note: { Text: 'by U0ALICE until 2026-12-31: accepted risk', UpdatedBy: 'warden' },
    }),
  );
  expect(done.ProcessedFindings).toEqual([ident]);
  const [read] = (
    await (
      await hubAs(owner, 'us-east-1')
    ).send(new GetFindingsCommand({ Filters: { Id: [{ Value: target.id, Comparison: 'EQUALS' }] } }))
  ).Findings!;
  expect(read).toMatchObject({
    Workflow: { Status: 'SUPPRESSED' },
    Note: { Text: 'by U0ALICE until 2026-12-31: accepted risk' },
  });
  expect(Date.parse(read!.UpdatedAt!)).toBe(updatedAt);
});

test('Security Hub answers InvalidAccessException where it is not enabled, and MaxResults over 100 is refused', async () => {
  const account = sim.world.scenario.accounts[7]!.id;
  await expect(
    (await hubAs(account, 'ap-southeast-2')).send(new DescribeHubCommand({})),
  ).rejects.toMatchObject({
    name: 'InvalidAccessException',
    $metadata: { httpStatusCode: 401 },
  });
  await expect(
    (await hubAs(account, 'us-east-1')).send(new GetFindingsCommand({ MaxResults: 101 })),
  ).rejects.toMatchObject({
    name: 'InvalidInputException',
  });
});

test('the simulator enforces the policies in deploy/: the audit role reads and cannot write, the remediation role writes and cannot read findings', async () => {
  const account = sim.world.scenario.accounts[3]!.id;
  const target = sim.world.findings.get(`${account}|us-east-1`)![1]!;
  const update = new BatchUpdateFindingsCommand({
    FindingIdentifiers: [{ Id: target.id, ProductArn: target.productArn }],
    Workflow: { Status: 'NOTIFIED' },
  });
  await expect((await hubAs(account, 'us-east-1')).send(update)).rejects.toMatchObject({
    name: 'AccessDeniedException',
    $metadata: { httpStatusCode: 403 },
    message: expect.stringContaining('securityhub:BatchUpdateFindings'),
  });
  expect(target.workflow).toBe('NEW');
  await expect(
    (await hubAs(account, 'us-east-1', 'WardenRemediation')).send(new GetFindingsCommand({})),
  ).rejects.toMatchObject({ name: 'AccessDeniedException' });
});

test('the triage role may set a finding’s workflow and note, and nothing else: every other field is denied', async () => {
  const account = sim.world.scenario.accounts[3]!.id;
  const target = sim.world.findings.get(`${account}|us-east-1`)![2]!;
  const FindingIdentifiers = [{ Id: target.id, ProductArn: target.productArn }];
  const triage = await hubAs(account, 'us-east-1', 'WardenTriage');
  const done = await triage.send(
    new BatchUpdateFindingsCommand({
      FindingIdentifiers,
      Workflow: { Status: 'NOTIFIED' },
      Note: { Text: 'ack', UpdatedBy: 'warden' },
    }),
  );
  expect(done.ProcessedFindings).toHaveLength(1);
  for (const field of [
    { Severity: { Label: 'INFORMATIONAL' as const } },
    { Severity: { Normalized: 0 } },
    { Confidence: 1 },
    { Criticality: 0 },
    { Types: ['Software and Configuration Checks'] },
    { UserDefinedFields: { ignored: 'yes' } },
    { VerificationState: 'FALSE_POSITIVE' as const },
    { RelatedFindings: FindingIdentifiers },
  ]) {
    await expect(
      triage.send(
        new BatchUpdateFindingsCommand({ FindingIdentifiers, Workflow: { Status: 'NOTIFIED' }, ...field }),
      ),
      JSON.stringify(field),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('with an explicit deny in an identity-based policy'),
    });
  }
  expect(target.severity).not.toBe('INFORMATIONAL');
});

describe('standards', () => {
  test('GetEnabledStandards lists the account’s subscriptions and DescribeStandardsControls their controls, enabled or not', async () => {
    const payments = sim.world.scenario.accounts[9]!.id;
    const hub = await hubAs(payments, 'eu-west-1');
    const { StandardsSubscriptions: subs } = await hub.send(new GetEnabledStandardsCommand({}));
    expect(subs?.map((s) => s.StandardsArn).sort()).toEqual([
      'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0',
      'arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0',
      'arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0',
    ]);
    const cis = subs!.find((s) => s.StandardsArn!.endsWith('/v/3.0.0'))!;
    expect(cis.StandardsSubscriptionArn).toBe(
      `arn:aws:securityhub:eu-west-1:${payments}:subscription/cis-aws-foundations-benchmark/v/3.0.0`,
    );
    const first = await hub.send(
      new DescribeStandardsControlsCommand({
        StandardsSubscriptionArn: cis.StandardsSubscriptionArn,
        MaxResults: 2,
      }),
    );
    expect(first.Controls).toHaveLength(2);
    const rest = await hub.send(
      new DescribeStandardsControlsCommand({
        StandardsSubscriptionArn: cis.StandardsSubscriptionArn,
        NextToken: first.NextToken,
      }),
    );
    const controls = [...first.Controls!, ...rest.Controls!];
    expect(rest.NextToken).toBeUndefined();
    expect(controls.find((c) => c.ControlId === 'EC2.8')).toMatchObject({
      ControlStatus: 'DISABLED',
      DisabledReason: 'IMDSv1 needed by a vendor agent',
      StandardsControlArn: `arn:aws:securityhub:eu-west-1:${payments}:control/cis-aws-foundations-benchmark/v/3.0.0/EC2.8`,
      RelatedRequirements: ['CIS AWS Foundations Benchmark v3.0.0/5.6'],
    });
    expect(controls.find((c) => c.ControlId === 'IAM.4')?.ControlStatus).toBe('ENABLED');
    // A control finding names the standards in which its control is on: not CIS v3.0.0 for EC2.8 here.
    const ec28 = await hub.send(
      new GetFindingsCommand({
        Filters: { ComplianceSecurityControlId: [{ Value: 'EC2.8', Comparison: 'EQUALS' }] },
      }),
    );
    for (const f of ec28.Findings ?? [])
      expect(f.Compliance?.AssociatedStandards?.map((s) => s.StandardsId)).toEqual([
        'standards/aws-foundational-security-best-practices/v/1.0.0',
      ]);
  });

  test('the standards calls refuse what Security Hub refuses, with its errors', async () => {
    const account = sim.world.scenario.accounts[3]!.id;
    const hub = await hubAs(account, 'us-east-1');
    await expect(hub.send(new GetEnabledStandardsCommand({ MaxResults: 101 }))).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    await expect(
      hub.send(
        new GetEnabledStandardsCommand({
          StandardsSubscriptionArns: Array.from({ length: 26 }, (_, i) => `arn:aws:securityhub:::x/${i}`),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
    await expect(
      hub.send(
        new DescribeStandardsControlsCommand({
          StandardsSubscriptionArn: `arn:aws:securityhub:us-east-1:${account}:subscription/pci-dss/v/4.0.1`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      hub.send(
        new DescribeStandardsControlsCommand({
          StandardsSubscriptionArn: `arn:aws:securityhub:us-east-1:${account}:subscription/aws-foundational-security-best-practices/v/1.0.0`,
          MaxResults: 0,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInputException' });
  });
});
