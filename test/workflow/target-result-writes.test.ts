import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createScan } from '../../src/db/scans.js';
import { scanTargetResults } from '../../src/db/schema.js';
import { TargetResultWrites } from '../../src/workflow/scan-results.js';
import type { RunResult } from '../../src/workflow/scan-targets.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// An in-process scan keeps no target's result: each goes to scan_target_results as its target ends,
// a batch to a statement, and the conclusion reads them there. A batch that cannot be stored stops
// the scan with the database's error.

let t: TestDatabase;
let scanId: number;
beforeEach(async () => {
  t = await openTestDatabase();
  const created = await createScan(t.db, { kind: 'full', trigger: 'cli', now: new Date(), leaseMs: 60_000 });
  scanId = created.scan!.id;
});
afterEach(async () => {
  await t.close();
});

const result = (accountId: string): RunResult => ({
  accountId,
  region: 'us-east-1',
  source: 'securityhub',
  full: true,
  status: 'ok',
  counts: { new: 1, updated: 0, resolved: 0, reopened: 0 },
  findings: 1,
  apiCalls: 1,
  throttles: 0,
  startedAt: new Date(),
  finishedAt: new Date(),
});

const stored = async () =>
  (await t.db.select().from(scanTargetResults).where(eq(scanTargetResults.scanId, scanId))).map(
    (r) => r.target,
  );

test('results are stored a batch at a time while targets end, and the rest when asked', async () => {
  const fail = vi.fn();
  const writes = new TargetResultWrites(t.db, scanId, fail, 2);
  writes.add(0, result('111111111111'));
  expect(await stored()).toEqual([]);
  writes.add(1, result('222222222222'));
  writes.add(2, result('333333333333'));
  // The first two made a batch, sent without waiting for the scan to end.
  await vi.waitFor(async () => expect(await stored()).toEqual([0, 1]));
  await writes.stored();
  expect((await stored()).sort()).toEqual([0, 1, 2]);
  expect(fail).not.toHaveBeenCalled();
});

test('a batch the database refuses stops the scan with the database error', async () => {
  const fail = vi.fn();
  const writes = new TargetResultWrites(t.db, scanId, fail, 1);
  await t.close();
  writes.add(0, result('111111111111'));
  await expect(writes.stored()).rejects.toThrow();
  expect(fail).toHaveBeenCalledTimes(1);
  t = await openTestDatabase();
});
