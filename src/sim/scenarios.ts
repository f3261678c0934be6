import { CONTROL_IDS } from './controls.js';
import { createRandom } from './random.js';
import { DEFAULT_ROLES, type Scenario, type SimAccount, type SimFinding, type SimUser } from './scenario.js';
import type { SimWorld } from './world.js';

/** Credentials of the simulated management account's caller. Not secrets: they open only the simulator. */
export const SIM_CALLER = {
  accessKeyId: 'AKIASIMULATEDCALLER1',
  secretAccessKey: 'simulated/secret/key/not/a/real/credential0',
  userName: 'warden',
};

export interface GenerateOptions {
  seed?: number;
  accounts: number;
  /** OU names; accounts are spread over them in turn (the first account, the management one, sits at the root). */
  ous?: string[];
  regions: string[];
  /** FAILED control findings per account and region; about a quarter as many PASSED ones are added. */
  failedPerAccountRegion: number;
  passedPerAccountRegion?: number;
  usersPerAccount?: number;
  faults?: Scenario['faults'];
  securityHub?: Scenario['securityHub'];
}

export const accountId = (i: number) => String(100_000_000_000 + i);

/** A scenario of any size, for tests and benchmarks. Every value comes from the seed. */
export function generateScenario(o: GenerateOptions): Scenario {
  const rand = createRandom(o.seed ?? 7);
  const ouNames = o.ous ?? ['Security', 'Production', 'Development'];
  const ous = ouNames.map((name, i) => ({
    // AWS's OU id pattern: ou-, 4–32 of [0-9a-z] (the root's), -, 8–32 of [a-z0-9].
    id: `ou-root-${(1000 + i).toString(36)}abcd00`,
    name,
    parent: 'r-root',
  }));
  const accounts: SimAccount[] = [];
  for (let i = 0; i < o.accounts; i++) {
    const id = accountId(i);
    const parent = i === 0 || ous.length === 0 ? 'r-root' : ous[(i - 1) % ous.length]!.id;
    const findings: SimFinding[] = [];
    for (const region of o.regions) {
      for (let n = 0; n < o.failedPerAccountRegion; n++) {
        findings.push({
          control: rand.pick(CONTROL_IDS),
          region,
          createdDaysAgo: 1 + rand.int(120),
          updatedDaysAgo: 1 + rand.int(3),
        });
      }
      const passed = o.passedPerAccountRegion ?? Math.floor(o.failedPerAccountRegion / 4);
      for (let n = 0; n < passed; n++) {
        findings.push({
          control: rand.pick(CONTROL_IDS),
          region,
          compliance: 'PASSED',
          updatedDaysAgo: 1 + rand.int(3),
        });
      }
    }
    accounts.push({
      id,
      name: i === 0 ? 'management' : `account-${i}`,
      parent,
      tags: { owner: `owner-${i % 7}@example.com`, env: i % 2 ? 'prod' : 'dev' },
      findings,
      iam: {
        users: generateUsers(o.usersPerAccount ?? 3, rand),
        passwordPolicy: i % 3 ? null : { MinimumPasswordLength: 14, PasswordReusePrevention: 24 },
      },
    });
  }
  return {
    seed: o.seed ?? 7,
    organizationId: 'o-sim0example',
    managementAccountId: accountId(0),
    rootId: 'r-root',
    ous,
    accounts,
    regions: o.regions,
    callerCredentials: SIM_CALLER,
    roles: DEFAULT_ROLES,
    ...(o.securityHub ? { securityHub: o.securityHub } : {}),
    ...(o.faults ? { faults: o.faults } : {}),
  };
}

function generateUsers(n: number, rand: ReturnType<typeof createRandom>): SimUser[] {
  const users: SimUser[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    users.push({
      name: `user-${i}`,
      createdDaysAgo: 200 + rand.int(400),
      ...(kind !== 3 ? { password: { lastUsedDaysAgo: kind === 2 ? 80 : rand.int(20) } } : {}),
      mfa: kind === 0,
      keys:
        kind === 3
          ? [{ ageDays: 30 + rand.int(300), lastUsedDaysAgo: rand.int(60) }]
          : kind === 1
            ? [
                { ageDays: 120, lastUsedDaysAgo: 2 },
                { ageDays: 10, lastUsedDaysAgo: 1 },
              ]
            : [],
    });
  }
  return users;
}

/**
 * The demo organization: 12 accounts in 3 OUs, 3 regions, a few hundred findings, one account whose
 * audit role is missing and one region where Security Hub is off.
 */
export function demoScenario(): Scenario {
  const s = generateScenario({
    seed: 2026,
    accounts: 12,
    ous: ['Security', 'Production', 'Development'],
    regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
    failedPerAccountRegion: 8,
    passedPerAccountRegion: 2,
    usersPerAccount: 4,
  });
  const [security, production, development] = s.ous.map((o) => o.id) as [string, string, string];
  const layout: Array<[string, string]> = [
    ['management', s.rootId],
    ['security-tooling', security],
    ['log-archive', security],
    ['prod-web', production],
    ['prod-api', production],
    ['prod-data', production],
    ['dev-web', development],
    ['dev-api', development],
    ['sandbox', development],
    ['prod-payments', production],
    ['dev-data', development],
    ['legacy-batch', development],
  ];
  s.accounts.forEach((a, i) => {
    [a.name, a.parent] = layout[i]!;
  });
  // Security Hub's defaults when it is turned on (FSBP and CIS), and the older CIS v1.2.0 still on.
  s.securityHub = { ...s.securityHub, standards: ['fsbp', 'cis-1.2', 'cis-3.0'] };
  s.accounts[9]!.disabledControls = [
    { standard: 'cis-3.0', control: 'EC2.8', reason: 'IMDSv1 needed by a vendor agent' },
  ];
  const legacy = s.accounts[11]!;
  legacy.roles = { audit: false, remediation: false };
  s.accounts[7]!.securityHubDisabledIn = ['ap-southeast-2'];
  s.accounts[7]!.findings = s.accounts[7]!.findings!.filter((f) => f.region !== 'ap-southeast-2');
  s.accounts[3]!.iam!.root = {
    mfa: false,
    passwordLastUsedDaysAgo: 3,
    keys: [{ ageDays: 400, lastUsedDaysAgo: 10 }],
  };
  return s;
}

/**
 * One week in the life of the demo organization: teams fix about a fifth of their failing Security
 * Hub findings, and a couple of new ones appear per account. Seeded by the week, so the demo's
 * history is the same every time.
 */
export function demoWeek(world: SimWorld, week: number): void {
  const rand = createRandom(2026 + week);
  for (const f of [...world.allFindings()]) {
    if (f.compliance === 'FAILED' && f.recordState === 'ACTIVE' && rand.next() < 0.2)
      world.updateFinding(f.id, { compliance: 'PASSED' });
  }
  for (const account of world.scenario.accounts) {
    const regions = world.scenario.regions.filter((r) => !account.securityHubDisabledIn?.includes(r));
    for (let n = 0; n < 2; n++) {
      world.raiseFinding(account.id, {
        control: rand.pick(CONTROL_IDS),
        region: rand.pick(regions),
        createdDaysAgo: 0,
        updatedDaysAgo: 0,
      });
    }
  }
}
