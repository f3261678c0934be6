import { afterEach, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../../src/aws/credentials.js';
import {
  type ReviewedRole,
  type ReviewedUser,
  reviewRoles,
  reviewUsers,
} from '../../src/collect/principals.js';
import { loadConfig } from '../../src/config.js';
import { accountId, generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

// The principals an access review goes through, read from the simulated IAM with the audit role:
// users with their console access, keys, groups and policies (page by page), and the roles trusted
// from outside the organization, with their last use.

const MEMBER = accountId(1);
let sim: Simulator | undefined;
let clients: AwsClients | undefined;
afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  await sim?.close();
  sim = undefined;
});

async function iamOfMember(users: number) {
  const scenario = generateScenario({
    accounts: 2,
    regions: ['us-east-1'],
    failedPerAccountRegion: 0,
    usersPerAccount: 0,
  });
  const member = scenario.accounts[1]!;
  member.iam = {
    ...member.iam,
    users: [
      {
        name: 'alice',
        createdDaysAgo: 400,
        password: { lastUsedDaysAgo: 3 },
        mfa: true,
        tags: { email: 'alice@example.com' },
        keys: [
          { ageDays: 200, lastUsedDaysAgo: 1, lastUsedService: 's3' },
          { ageDays: 10, active: false },
        ],
        groups: ['admins', 'developers'],
        policies: { attached: ['AdministratorAccess'], inline: ['break-glass'] },
      },
      ...Array.from({ length: users - 1 }, (_, i) => ({ name: `svc-${i}`, createdDaysAgo: 30 })),
    ],
    roles: [
      {
        name: 'VendorAudit',
        trust: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::999999999999:root' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        lastUsedDaysAgo: 5,
        lastUsedRegion: 'eu-west-1',
      },
      {
        name: 'GitHubDeploy',
        trust: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: {
                Federated: `arn:aws:iam::${MEMBER}:oidc-provider/token.actions.githubusercontent.com`,
              },
              Action: 'sts:AssumeRoleWithWebIdentity',
            },
          ],
        },
      },
      {
        name: 'OrgAdmin',
        trust: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${accountId(0)}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        },
      },
      {
        name: 'LambdaExec',
        trust: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
      },
    ],
  };
  sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
  const audit = new AssumedRoles(
    clients.sts(),
    auditRoleSpec(loadConfig({ LOG_LEVEL: 'silent' }).aws.auditRole, 'aws'),
  );
  const iam = clients.iam(await audit.credentialsFor(MEMBER));
  const context = {
    organizationId: scenario.organizationId,
    accountIds: new Set(scenario.accounts.map((a) => a.id)),
  };
  return { sim, iam, context };
}

const collect = async <T>(gen: AsyncGenerator<T>) => {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
};

test('users: console and MFA, keys with their last use, groups and policies, every page of them', async () => {
  const { sim, iam } = await iamOfMember(130);
  const users: ReviewedUser[] = await collect(reviewUsers(iam));
  expect(users).toHaveLength(130);
  // 130 users are two pages of IAM's 100.
  expect(sim.world.calls('ListUsers', MEMBER)).toBe(2);
  const alice = users.find((u) => u.name === 'alice')!;
  expect(alice).toMatchObject({
    arn: `arn:aws:iam::${MEMBER}:user/alice`,
    console: true,
    mfa: true,
    tags: { email: 'alice@example.com' },
    groups: ['admins', 'developers'],
    attachedPolicies: ['AdministratorAccess'],
    inlinePolicies: ['break-glass'],
  });
  expect(alice.keys.map((k) => [k.active, k.lastUsedService, k.lastUsedAt === null])).toEqual([
    [true, 's3', false],
    [false, null, true],
  ]);
  expect(alice.lastActivityAt!.getTime()).toBe(alice.keys[0]!.lastUsedAt!.getTime());
  expect(users.find((u) => u.name === 'svc-0')).toMatchObject({
    console: false,
    mfa: false,
    keys: [],
    lastActivityAt: null,
  });
});

test('roles: only those trusted from outside the organization, with their last use; the others cost no GetRole', async () => {
  const { sim, iam, context } = await iamOfMember(1);
  const roles: ReviewedRole[] = await collect(reviewRoles(iam, context));
  expect(roles.map((r) => [r.name, r.trusts.map((t) => t.kind), r.lastUsedRegion])).toEqual([
    ['VendorAudit', ['external-account'], 'eu-west-1'],
    ['GitHubDeploy', ['federated'], null],
  ]);
  expect(roles[0]!.lastUsedAt).toBeInstanceOf(Date);
  expect(sim.world.calls('GetRole', MEMBER)).toBe(2);
});

test('the simulated IAM pages as IAM does and refuses what IAM refuses', async () => {
  const { iam } = await iamOfMember(3);
  const { ListUsersCommand, GetRoleCommand } = await import('@aws-sdk/client-iam');
  const first = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
  expect(first).toMatchObject({ IsTruncated: true });
  const second = await iam.send(new ListUsersCommand({ MaxItems: 2, Marker: first.Marker }));
  expect(second.Users).toHaveLength(1);
  expect(second.IsTruncated).toBe(false);
  await expect(iam.send(new ListUsersCommand({ MaxItems: 0 }))).rejects.toMatchObject({
    name: 'ValidationError',
  });
  await expect(iam.send(new ListUsersCommand({ Marker: 'forged' }))).rejects.toMatchObject({
    name: 'InvalidInputException',
  });
  await expect(iam.send(new GetRoleCommand({ RoleName: 'Nope' }))).rejects.toMatchObject({
    name: 'NoSuchEntityException',
    message: 'The role with name Nope cannot be found.',
  });
});
