import { expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { planTargets, type Target, targetArray } from '../../src/workflow/scan-plan.js';

// A scan's plan: each account's credential report (unless read recently), then Security Hub per
// account × region or the administrator's streams. Per account, targets are made when asked for;
// an index must name the same target every time, since durable jobs and stored results use it.

const accounts = ['111111111111', '222222222222', '333333333333'].map((id) => ({ id, ouId: 'ou-a' }));
const regions = 'us-east-1,eu-west-1';

test('per account: the reports not read recently, then every account × region, each index the same target', () => {
  const config = loadConfig({ WARDEN_REGIONS: regions });
  const plan = planTargets(config, accounts, false, new Set(['222222222222']));
  const report = (id: string): Target => ({
    source: 'credential-report',
    accountId: id,
    region: 'global',
    covers: [id],
    aggregator: false,
    cursorScope: id,
  });
  const hub = (id: string, region: string): Target => ({
    source: 'securityhub',
    accountId: id,
    region,
    covers: [id],
    aggregator: false,
    cursorScope: `${id}|${region}`,
  });
  const expected = [
    report('111111111111'),
    report('333333333333'),
    hub('111111111111', 'us-east-1'),
    hub('111111111111', 'eu-west-1'),
    hub('222222222222', 'us-east-1'),
    hub('222222222222', 'eu-west-1'),
    hub('333333333333', 'us-east-1'),
    hub('333333333333', 'eu-west-1'),
  ];
  expect(plan.length).toBe(8);
  expect(targetArray(plan)).toEqual(expected);
  expect(plan.at(5)).toEqual(expected[5]);
  for (const outside of [-1, 8, 1.5]) expect(plan.at(outside)).toBeUndefined();
});

test('from the aggregator: the reports, then one stream for the organization or one per 20 accounts named', () => {
  const config = loadConfig({
    WARDEN_REGIONS: regions,
    WARDEN_SECURITYHUB_MODE: 'aggregator',
    WARDEN_SECURITYHUB_ADMIN_ACCOUNT: '999999999999',
    WARDEN_AGGREGATION_REGION: 'eu-west-1',
  });
  const whole = targetArray(planTargets(config, accounts, false, new Set()));
  expect(whole.map((t) => [t.source, t.accountId, t.region])).toEqual([
    ['credential-report', '111111111111', 'global'],
    ['credential-report', '222222222222', 'global'],
    ['credential-report', '333333333333', 'global'],
    ['securityhub', '999999999999', 'eu-west-1'],
  ]);
  expect(whole[3]).toMatchObject({ aggregator: true, covers: accounts.map((a) => a.id) });

  const many = Array.from({ length: 45 }, (_, i) => ({ id: String(100000000000 + i), ouId: 'ou-a' }));
  const named = targetArray(planTargets(config, many, true, new Set(many.map((a) => a.id))));
  expect(named.map((t) => t.accountFilter?.length)).toEqual([20, 20, 5]);
  expect(named.every((t) => t.cursorScope === undefined)).toBe(true);
});
