import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { scans } from '../../src/db/schema.js';
import { planTargets, targetArray } from '../../src/workflow/scan-plan.js';
import { readPlan, storePlan } from '../../src/workflow/scan-results.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// A durable scan keeps its plan on its row, so that a process resuming it (after every replica
// restarted) runs the same targets without discovering again. Plans stored by an earlier version
// held every discovered field of each account; they must still read.

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.close());

/** A scan row (finished: only one scan may be running at a time). */
async function newScan(): Promise<number> {
  const [row] = await db.db
    .insert(scans)
    .values({ kind: 'full', trigger: 'schedule', status: 'completed', startedAt: new Date() })
    .returning();
  return row!.id;
}

const accounts = [
  { id: '111111111111', name: 'prod-api', ouId: 'ou-a', ouPath: 'Root/Prod' },
  { id: '222222222222', name: 'sandbox', ouId: 'ou-b', ouPath: 'Root/Sandbox' },
];

test('a stored plan reads back with the same targets at the same indices, and each account as the scan keeps it', async () => {
  const scanId = await newScan();
  expect(await readPlan(db.db, scanId)).toBeUndefined();

  const targets = planTargets(
    loadConfig({ WARDEN_REGIONS: 'us-east-1,eu-west-1' }),
    accounts,
    false,
    new Set(),
  );
  await storePlan(db.db, scanId, { accounts, targets });

  const plan = await readPlan(db.db, scanId);
  expect(plan!.accounts).toEqual(accounts.map(({ id, name, ouPath }) => ({ id, name, ouPath })));
  expect(plan!.targets.length).toBe(6);
  expect(targetArray(plan!.targets)).toEqual(targetArray(targets));
});

test('a plan stored by the earlier version, with every discovered field of each account, reads as the accounts the scan keeps', async () => {
  const scanId = await newScan();
  const target = {
    source: 'securityhub',
    accountId: '111111111111',
    region: 'us-east-1',
    covers: ['111111111111'],
    aggregator: false,
    cursorScope: '111111111111|us-east-1',
  };
  const before = {
    accounts: [
      {
        id: '111111111111',
        name: 'prod-api',
        email: 'aws+prod-api@example.com',
        state: 'ACTIVE',
        joinedAt: '2024-05-01T00:00:00.000Z',
        ouId: 'ou-a',
        ouPath: 'Root/Prod',
        ouAncestors: ['ou-a', 'r-root'],
        tags: { owner: 'payments' },
      },
    ],
    targets: [target],
  };
  await db.db.update(scans).set({ plan: before }).where(eq(scans.id, scanId));

  const plan = await readPlan(db.db, scanId);
  expect(plan!.accounts).toEqual([{ id: '111111111111', name: 'prod-api', ouPath: 'Root/Prod' }]);
  expect(plan!.targets.at(0)).toEqual(target);
  expect(plan!.targets.length).toBe(1);
});
