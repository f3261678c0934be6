import { sql } from 'drizzle-orm';
import { afterEach, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { postureSnapshots, scans } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// A scan's conclusion runs its findings and its control results side by side. When one side fails,
// the scan fails with the database's error, but only once the other side is done: nothing of the
// conclusion still runs after the scan is marked failed.

let h: ScanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

test('a control side that fails waits for the findings side before the scan fails with its error', async () => {
  h = await scanHarness(
    generateScenario({
      accounts: 3,
      regions: ['us-east-1'],
      failedPerAccountRegion: 4,
      passedPerAccountRegion: 4,
    }),
  );
  await h.scan({ full: true });
  // The findings side ends with the posture snapshots, slowly; the control side's statuses are refused.
  for (const statement of [
    `create function test_slow_snapshot() returns trigger language plpgsql as $$
       begin perform pg_sleep(0.5); return null; end $$`,
    `create trigger test_slow_snapshot before insert on posture_snapshots
       for each statement execute function test_slow_snapshot()`,
    `create function test_refuse_statuses() returns trigger language plpgsql as $$
       begin raise exception 'control statuses refused by the test'; end $$`,
    `create trigger test_refuse_statuses before insert on control_statuses
       for each statement execute function test_refuse_statuses()`,
  ])
    await rawRows(h.db.db, sql.raw(statement));

  await expect(h.scan({ full: true })).rejects.toThrow(
    /^database error P0001: control statuses refused by the test/,
  );

  // At the moment the scan failed, the findings side had already snapshotted its accounts.
  const second = await h.db.db.select({ scanId: postureSnapshots.scanId }).from(postureSnapshots);
  expect(new Set(second.map((s) => s.scanId)).size).toBe(2);
  expect((await h.db.db.select().from(scans)).map((s) => s.status).sort()).toEqual(['completed', 'failed']);
});
