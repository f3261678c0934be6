import { Readable } from 'node:stream';
import {
  DescribeHubCommand,
  DescribeStandardsControlsCommand,
  GetEnabledStandardsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { expect, test, vi } from 'vitest';
import { SecurityHubProtocol } from '../../src/aws/securityhub-protocol.js';

// Warden reads GetFindings' successful responses with a plain JSON.parse instead of the SDK's
// schema walk: the findings must come out exactly as the SDK's own reading gives them, and errors
// and other operations must be read by the SDK as before.

const finding = (i: number) => ({
  SchemaVersion: '2018-10-08',
  Id: `arn:aws:securityhub:eu-west-1:111122223333:security-control/EC2.19/finding/${i}`,
  ProductArn: 'arn:aws:securityhub:eu-west-1::product/aws/securityhub',
  GeneratorId: 'security-control/EC2.19',
  AwsAccountId: '111122223333',
  Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
  CreatedAt: '2026-11-01T10:00:00.000Z',
  UpdatedAt: '2026-11-30T10:00:00.000Z',
  Severity: { Label: 'CRITICAL', Normalized: 90, Original: 'CRITICAL' },
  Title: 'Security groups should not allow unrestricted access to ports with high risk',
  Description: 'Quotes " and back\\slashes and ünïcødé ✓',
  Remediation: { Recommendation: { Text: 'Restrict the rule.', Url: 'https://docs.aws.amazon.com/x' } },
  ProductFields: { 'aws/securityhub/FindingId': `id-${i}` },
  Resources: [
    {
      Type: 'AwsEc2SecurityGroup',
      Id: `arn:aws:ec2:eu-west-1:111122223333:security-group/sg-${i}`,
      Partition: 'aws',
      Region: 'eu-west-1',
      Tags: { team: 'payments' },
      Details: {
        AwsEc2SecurityGroup: {
          GroupId: `sg-${i}`,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          ],
        },
      },
    },
  ],
  Compliance: { Status: 'FAILED', SecurityControlId: 'EC2.19', AssociatedStandards: [{ StandardsId: 's' }] },
  Workflow: { Status: 'NEW' },
  RecordState: 'ACTIVE',
  Note: { Text: 'seen', UpdatedBy: 'alice', UpdatedAt: '2026-11-30T10:00:00.000Z' },
});

/** A client whose HTTP handler answers every call with `status`, `headers` and `body`. */
function clientAnswering(status: number, body: string, protocol?: SecurityHubProtocol, headers = {}) {
  return new SecurityHubClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    ...(protocol ? { protocol } : {}),
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: status,
          headers: { 'content-type': 'application/json', ...headers },
          body: Readable.from([Buffer.from(body)]),
        },
      }),
    },
  });
}

test('a page of findings reads the same as the SDK reads it, next token included', async () => {
  const body = JSON.stringify({ Findings: [finding(1), finding(2)], NextToken: 'page-2' });
  const sdk = await clientAnswering(200, body).send(new GetFindingsCommand({}));
  const parse = vi.spyOn(JSON, 'parse');
  const ours = await clientAnswering(200, body, new SecurityHubProtocol()).send(new GetFindingsCommand({}));
  // Read once, with no reviver: the SDK's own reading passes one.
  expect(parse.mock.calls.map((args) => args.length)).toEqual([1]);
  parse.mockRestore();
  expect(ours.Findings).toEqual(sdk.Findings);
  expect(ours.NextToken).toBe('page-2');
  expect(ours.$metadata.httpStatusCode).toBe(200);

  const last = await clientAnswering(200, JSON.stringify({ Findings: [] }), new SecurityHubProtocol()).send(
    new GetFindingsCommand({}),
  );
  expect(last.Findings).toEqual([]);
  expect(last.NextToken).toBeUndefined();
});

test("an error response is the SDK's own typed error, with its message", async () => {
  const body = JSON.stringify({ Message: 'Account 111122223333 is not subscribed to AWS Security Hub' });
  const headers = { 'x-amzn-errortype': 'InvalidAccessException' };
  const sdk = await clientAnswering(401, body, undefined, headers)
    .send(new GetFindingsCommand({}))
    .catch((e: Error) => e);
  const ours = await clientAnswering(401, body, new SecurityHubProtocol(), headers)
    .send(new GetFindingsCommand({}))
    .catch((e: Error) => e);
  expect(ours).toBeInstanceOf(Error);
  expect((ours as Error).name).toBe('InvalidAccessException');
  expect((ours as Error).name).toBe((sdk as Error).name);
  expect((ours as Error).message).toBe((sdk as Error).message);
});

test('the standards calls read the same as the SDK reads them, dates included', async () => {
  const subscriptions = JSON.stringify({
    StandardsSubscriptions: [
      {
        StandardsSubscriptionArn: 'arn:aws:securityhub:eu-west-1:111122223333:subscription/cis/v/3.0.0',
        StandardsArn: 'arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0',
        StandardsInput: {},
        StandardsStatus: 'READY',
      },
    ],
    NextToken: 'more',
  });
  const sdk = await clientAnswering(200, subscriptions).send(new GetEnabledStandardsCommand({}));
  const ours = await clientAnswering(200, subscriptions, new SecurityHubProtocol()).send(
    new GetEnabledStandardsCommand({}),
  );
  expect(ours.StandardsSubscriptions).toEqual(sdk.StandardsSubscriptions);
  expect(ours.NextToken).toBe('more');

  const controls = JSON.stringify({
    Controls: [
      {
        StandardsControlArn: 'arn:aws:securityhub:eu-west-1:111122223333:control/cis/v/3.0.0/KMS.4',
        ControlStatus: 'DISABLED',
        DisabledReason: 'Keys rotate by hand',
        ControlStatusUpdatedAt: '2026-11-01T10:00:00.123Z',
        ControlId: 'KMS.4',
        Title: 'AWS KMS key rotation should be enabled',
        SeverityRating: 'MEDIUM',
        RelatedRequirements: ['CIS AWS Foundations Benchmark v3.0.0/3.6'],
      },
    ],
  });
  const arn = 'arn:aws:securityhub:eu-west-1:111122223333:subscription/cis/v/3.0.0';
  const sdkControls = await clientAnswering(200, controls).send(
    new DescribeStandardsControlsCommand({ StandardsSubscriptionArn: arn }),
  );
  const ourControls = await clientAnswering(200, controls, new SecurityHubProtocol()).send(
    new DescribeStandardsControlsCommand({ StandardsSubscriptionArn: arn }),
  );
  expect(ourControls.Controls).toEqual(sdkControls.Controls);
  expect(ourControls.Controls?.[0]?.ControlStatusUpdatedAt).toEqual(new Date('2026-11-01T10:00:00.123Z'));
});

test('other operations are read by the SDK as before', async () => {
  const body = JSON.stringify({
    HubArn: 'arn:aws:securityhub:eu-west-1:111122223333:hub/default',
    SubscribedAt: '2024-01-15T10:00:00.000Z',
  });
  const sdk = await clientAnswering(200, body).send(new DescribeHubCommand({}));
  const ours = await clientAnswering(200, body, new SecurityHubProtocol()).send(new DescribeHubCommand({}));
  expect(ours.HubArn).toBe(sdk.HubArn);
  expect(ours.SubscribedAt).toBe(sdk.SubscribedAt);
});
