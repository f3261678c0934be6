import { afterAll, beforeAll, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { discoverAccounts } from '../../src/aws/organization.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

let sim: Simulator;
let clients: AwsClients;
beforeAll(async () => {
  const s = generateScenario({
    accounts: 45,
    regions: ['us-east-1'],
    failedPerAccountRegion: 0,
    passedPerAccountRegion: 0,
  });
  s.ous.push({ id: 'ou-root-nestprod', name: 'Payments', parent: s.ous[1]!.id });
  s.accounts[5]!.parent = 'ou-root-nestprod';
  s.accounts[6]!.state = 'SUSPENDED';
  s.accounts[7]!.state = 'PENDING_CLOSURE';
  s.faults = { emptyFirstPage: true };
  sim = await startSimulator(s);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
});
afterAll(async () => {
  clients.destroy();
  await sim.close();
});

test('discovery pages past an empty first page and lists the ACTIVE accounts with OU path and tags', async () => {
  const found = await discoverAccounts(clients.organizations(), { concurrency: 4 });
  const scenario = sim.world.scenario;
  expect(found.map((a) => a.id).sort()).toEqual(
    scenario.accounts
      .filter((a) => (a.state ?? 'ACTIVE') === 'ACTIVE')
      .map((a) => a.id)
      .sort(),
  );
  expect(found).toHaveLength(43);
  // 45 accounts at 20 a page, after one empty page: four ListAccounts calls.
  expect(sim.world.calls('ListAccounts')).toBe(4);
  const byId = new Map(found.map((a) => [a.id, a]));
  expect(byId.get(scenario.accounts[0]!.id)).toMatchObject({ ouPath: 'Root', name: 'management' });
  expect(byId.get(scenario.accounts[5]!.id)).toMatchObject({
    ouPath: 'Root/Production/Payments',
    ouId: 'ou-root-nestprod',
  });
  expect(byId.get(scenario.accounts[2]!.id)?.tags).toEqual(scenario.accounts[2]!.tags);
});
