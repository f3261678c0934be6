import {
  GetAccessKeyLastUsedCommand,
  GetAccountPasswordPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeOrganizationalUnitCommand,
  DescribeOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { demoScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

// The read calls the issue names that the scan itself does not make, through the real SDK clients.

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator(demoScenario());
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
});
afterAll(async () => {
  await sim.close();
});

async function iamAs(account: string) {
  const out = await new STSClient({}).send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/WardenAudit`, RoleSessionName: 'reads' }),
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

test('Organizations describes the organization and its OUs', async () => {
  const org = new OrganizationsClient({ region: 'us-east-1' });
  const { Organization } = await org.send(new DescribeOrganizationCommand({}));
  expect(Organization).toMatchObject({
    Id: 'o-sim0example',
    MasterAccountId: sim.world.scenario.managementAccountId,
  });
  const ou = sim.world.scenario.ous[1]!;
  const { OrganizationalUnit } = await org.send(
    new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ou.id }),
  );
  expect(OrganizationalUnit).toMatchObject({ Id: ou.id, Name: ou.name });
  await expect(
    org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-none-00000000' })),
  ).rejects.toMatchObject({
    name: 'OrganizationalUnitNotFoundException',
  });
});

test('IAM lists the account’s own users, their keys and when each key was last used', async () => {
  const account = sim.world.account(sim.world.scenario.accounts[3]!.id)!;
  const iam = await iamAs(account.spec.id);
  const { Users } = await iam.send(new ListUsersCommand({}));
  expect(Users?.map((u) => u.UserName)).toEqual(account.users.map((u) => u.name));
  const withKeys = account.users.find((u) => u.keys.length > 0)!;
  const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: withKeys.name }));
  expect(AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual(withKeys.keys.map((k) => k.id));
  const key = withKeys.keys[0]!;
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.id }));
  expect(used.UserName).toBe(withKeys.name);
  expect(used.AccessKeyLastUsed?.LastUsedDate?.getTime()).toBe(key.lastUsedAt ?? undefined);
});

test('IAM answers the password policy, or NoSuchEntity where the account has none', async () => {
  const withPolicy = sim.world.scenario.accounts.find((a) => a.iam?.passwordPolicy)!;
  const without = sim.world.scenario.accounts.find((a) => a.iam?.passwordPolicy === null)!;
  const { PasswordPolicy } = await (await iamAs(withPolicy.id)).send(new GetAccountPasswordPolicyCommand({}));
  expect(PasswordPolicy).toMatchObject({ MinimumPasswordLength: 14, PasswordReusePrevention: 24 });
  await expect((await iamAs(without.id)).send(new GetAccountPasswordPolicyCommand({}))).rejects.toMatchObject(
    {
      name: 'NoSuchEntityException',
    },
  );
});
