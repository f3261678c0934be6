import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { channelFor, mayChange, ownersOf, roleOf } from '../../src/workflow/policy.js';

const policy = {
  ...loadConfig({}).policy,
  admins: ['U0ADMIN', 'secops@example.com'],
  owners: { '111111111111': ['carol@example.com'] },
};
const prod = { id: '111111111111', tags: { owner: 'alice@example.com, U0DAVE', env: 'prod' } };
const dev = { id: '222222222222', tags: { 'warden:owner': 'Bob@Example.com' } };

describe('owners and permissions', () => {
  test('owners come from the owner tags (several per value) and from the policy file', () => {
    expect(ownersOf(prod, policy)).toEqual(['alice@example.com', 'U0DAVE', 'carol@example.com']);
    expect(ownersOf(dev, policy)).toEqual(['Bob@Example.com']);
  });

  test('an owner may change only their accounts; emails match whatever their case', () => {
    const bob = { userId: 'U0BOB', email: 'bob@example.com' };
    expect(mayChange(bob, dev, policy)).toBe(true);
    expect(mayChange(bob, prod, policy)).toBe(false);
    expect(mayChange({ userId: 'U0DAVE', email: undefined }, prod, policy)).toBe(true);
    expect(mayChange({ userId: 'U0CAROL', email: 'carol@example.com' }, prod, policy)).toBe(true);
  });

  test('admins may change every account; everyone else is a viewer', () => {
    expect(roleOf({ userId: 'U0X', email: 'secops@example.com' }, [prod, dev], policy)).toEqual({
      role: 'admin',
      owns: [],
    });
    expect(mayChange({ userId: 'U0ADMIN', email: undefined }, dev, policy)).toBe(true);
    expect(roleOf({ userId: 'U0ALICE', email: 'alice@example.com' }, [prod, dev], policy)).toEqual({
      role: 'owner',
      owns: ['111111111111'],
    });
    expect(roleOf({ userId: 'U0EVE', email: 'eve@example.com' }, [prod, dev], policy).role).toBe('viewer');
  });

  test('a user id never matches by email and an email never matches a user id', () => {
    expect(mayChange({ userId: 'U0MALLORY', email: 'U0DAVE' }, prod, policy)).toBe(false);
  });
});

test('an account’s channel: its OU id, else the nearest OU path at or above it, else the default', () => {
  const policy = loadConfig({}).policy;
  policy.routing = {
    defaultChannel: '#security',
    ous: { 'ou-prod-1': '#prod-by-id', 'Root/Workloads': '#workloads', 'Root/Workloads/Prod': '#prod' },
  };
  expect(channelFor({ ouId: 'ou-prod-1', ouPath: 'Root/Elsewhere' }, policy)).toBe('#prod-by-id');
  expect(channelFor({ ouId: 'ou-x', ouPath: 'Root/Workloads/Prod/Web' }, policy)).toBe('#prod');
  expect(channelFor({ ouId: 'ou-y', ouPath: 'Root/Workloads/Dev' }, policy)).toBe('#workloads');
  expect(channelFor({ ouId: 'ou-z', ouPath: 'Root/WorkloadsOld' }, policy)).toBe('#security');
  policy.routing = { ous: {} };
  expect(channelFor({ ouId: null, ouPath: null }, policy)).toBeUndefined();
});
