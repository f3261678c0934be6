import {
  DeleteAccessKeyCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteLoginProfileCommand,
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Scenario } from '../../src/sim/scenario.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

// The IAM calls remediation makes, through the real SDK: they change the simulated account, are
// logged, and are refused to the read-only audit role.

let sim: Simulator;
let scenario: Scenario;
const ACCOUNT = '100000000001';

beforeAll(async () => {
  scenario = generateScenario({ accounts: 2, regions: ['us-east-1'], failedPerAccountRegion: 1 });
  scenario.accounts[1]!.iam = {
    users: [
      {
        name: 'deploy-bot',
        createdDaysAgo: 400,
        password: { lastUsedDaysAgo: 200 },
        keys: [{ id: 'AKIAOLDKEY0000000001', ageDays: 300 }],
      },
      {
        name: 'break-glass',
        createdDaysAgo: 400,
        password: { lastUsedDaysAgo: 200 },
        keys: [{ id: 'AKIAGLASSKEY00000001', ageDays: 300 }],
        tags: { 'warden:protected': 'true' },
      },
    ],
    passwordPolicy: { MinimumPasswordLength: 8, RequireSymbols: true },
  };
  sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
});
afterAll(async () => {
  await sim.close();
});

async function iamAs(role: string) {
  const out = await new STSClient({}).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`, RoleSessionName: 'writes' }),
  );
  const c = out.Credentials!;
  return new IAMClient({
    region: 'us-east-1',
    credentials: {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    },
  });
}

test('the audit role cannot change IAM; the remediation role can, and every call is logged with its caller', async () => {
  const audit = await iamAs('WardenAudit');
  const writer = await iamAs('WardenRemediation');
  const key = { UserName: 'deploy-bot', AccessKeyId: 'AKIAOLDKEY0000000001' };
  await expect(audit.send(new UpdateAccessKeyCommand({ ...key, Status: 'Inactive' }))).rejects.toMatchObject({
    name: 'AccessDenied',
  });

  await writer.send(new UpdateAccessKeyCommand({ ...key, Status: 'Inactive' }));
  const listed = await audit.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }));
  expect(listed.AccessKeyMetadata?.[0]?.Status).toBe('Inactive');
  expect(sim.world.callLog.filter((c) => c.caller.includes('WardenRemediation'))).toEqual([
    {
      service: 'iam',
      operation: 'UpdateAccessKey',
      account: ACCOUNT,
      region: 'us-east-1',
      caller: `arn:aws:sts::${ACCOUNT}:assumed-role/WardenRemediation/writes`,
      params: { ...key, Status: 'Inactive' },
    },
  ]);

  await writer.send(new DeleteAccessKeyCommand(key));
  expect((await audit.send(new ListAccessKeysCommand({ UserName: 'deploy-bot' }))).AccessKeyMetadata).toEqual(
    [],
  );
  await expect(writer.send(new DeleteAccessKeyCommand(key))).rejects.toMatchObject({
    name: 'NoSuchEntityException',
  });
});

test('a console password can be read back and removed once', async () => {
  const audit = await iamAs('WardenAudit');
  const writer = await iamAs('WardenRemediation');
  expect(
    (await audit.send(new GetLoginProfileCommand({ UserName: 'deploy-bot' }))).LoginProfile?.UserName,
  ).toBe('deploy-bot');
  await writer.send(new DeleteLoginProfileCommand({ UserName: 'deploy-bot' }));
  await expect(audit.send(new GetLoginProfileCommand({ UserName: 'deploy-bot' }))).rejects.toMatchObject({
    name: 'NoSuchEntityException',
  });
});

test('UpdateAccountPasswordPolicy replaces the whole policy (fields left out take their defaults); Delete removes it', async () => {
  const audit = await iamAs('WardenAudit');
  const writer = await iamAs('WardenRemediation');
  await writer.send(
    new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 14, PasswordReusePrevention: 24 }),
  );
  expect((await audit.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toMatchObject({
    MinimumPasswordLength: 14,
    PasswordReusePrevention: 24,
    RequireSymbols: false,
    ExpirePasswords: false,
  });
  await expect(
    writer.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 3 })),
  ).rejects.toMatchObject({
    name: 'ValidationError',
  });
  await writer.send(new DeleteAccountPasswordPolicyCommand({}));
  await expect(audit.send(new GetAccountPasswordPolicyCommand({}))).rejects.toMatchObject({
    name: 'NoSuchEntityException',
  });
});

test('the remediation role cannot touch a principal tagged warden:protected=true, whatever the playbook', async () => {
  const writer = await iamAs('WardenRemediation');
  const refused = (call: Promise<unknown>, action: string) =>
    expect(call).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/WardenRemediation/writes is not authorized to perform: ${action} on resource: user break-glass with an explicit deny in an identity-based policy`,
    });
  const key = { UserName: 'break-glass', AccessKeyId: 'AKIAGLASSKEY00000001' };
  await refused(
    writer.send(new UpdateAccessKeyCommand({ ...key, Status: 'Inactive' })),
    'iam:UpdateAccessKey',
  );
  await refused(writer.send(new DeleteAccessKeyCommand(key)), 'iam:DeleteAccessKey');
  await refused(
    writer.send(new DeleteLoginProfileCommand({ UserName: 'break-glass' })),
    'iam:DeleteLoginProfile',
  );
  const user = sim.world.account(ACCOUNT)!.users.find((u) => u.name === 'break-glass')!;
  expect(user.keys[0]!.active).toBe(true);
  expect(user.password).toBeDefined();
});
