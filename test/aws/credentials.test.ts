import { afterAll, beforeAll, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles } from '../../src/aws/credentials.js';
import { TargetError } from '../../src/aws/errors.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

let sim: Simulator;
let clients: AwsClients;
let clock = Date.parse('2026-11-23T10:00:00Z');
beforeAll(async () => {
  const s = generateScenario({ accounts: 3, regions: ['us-east-1'], failedPerAccountRegion: 0 });
  s.roles.audit.externalId = 'expected-external-id';
  sim = await startSimulator(s, { now: () => clock });
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  clients = new AwsClients({ maxAttempts: 2, maxSockets: 4 });
});
afterAll(async () => {
  clients.destroy();
  await sim.close();
});

const roles = (externalId: string | undefined) =>
  new AssumedRoles(
    clients.sts(),
    { name: 'WardenAudit', externalId, sessionName: 'warden-audit', partition: 'aws' },
    () => clock,
  );

test('credentials are cached per account until five minutes before they expire', async () => {
  const r = roles('expected-external-id');
  const account = sim.world.scenario.accounts[1]!.id;
  const [a, b] = await Promise.all([r.credentialsFor(account), r.credentialsFor(account)]);
  expect(a.accessKeyId).toBe(b.accessKeyId);
  expect(sim.world.calls('AssumeRole')).toBe(1);

  clock += 50 * 60_000; // 10 minutes before the one-hour session ends: still served from the cache
  expect((await r.credentialsFor(account)).accessKeyId).toBe(a.accessKeyId);
  expect(sim.world.calls('AssumeRole')).toBe(1);

  clock += 6 * 60_000; // within five minutes of expiry: renewed
  const renewed = await r.credentialsFor(account);
  expect(renewed.accessKeyId).not.toBe(a.accessKeyId);
  expect(sim.world.calls('AssumeRole')).toBe(2);
  expect(sim.world.credentials.get(renewed.accessKeyId)).toMatchObject({ account, roleName: 'WardenAudit' });
  expect(sim.world.credentials.get(renewed.accessKeyId)?.arn).toMatch(
    /assumed-role\/WardenAudit\/warden-audit$/,
  );
});

test('a wrong external id is refused with the role ARN named', async () => {
  const account = sim.world.scenario.accounts[2]!.id;
  const err = await roles('not-the-right-one')
    .credentialsFor(account)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TargetError);
  expect((err as TargetError).kind).toBe('role-denied');
  expect((err as TargetError).message).toContain(`arn:aws:iam::${account}:role/WardenAudit`);
});
