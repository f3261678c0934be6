import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { postureSnapshots } from '../../src/db/schema.js';
import { latestSnapshots } from '../../src/posture/summary.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// The latest snapshot per account at a moment, by index lookups, gives exactly what the DISTINCT ON
// over every snapshot gave, on the same data: accounts with no snapshot that old are left out,
// snapshots after the moment are ignored, ties on the time are broken the same way.

let t: TestDatabase;
const HOUR = 3_600_000;
const base = Date.parse('2026-11-01T00:00:00Z');

beforeAll(async () => {
  t = await openTestDatabase();
  const rows = [];
  for (let a = 0; a < 25; a++) {
    // Account a has snapshots from hour a on (so early moments miss the later accounts), some
    // hours skipped, and its counts vary with the hour.
    for (let h = a; h < 200; h += 1 + ((a + h) % 4))
      rows.push({
        accountId: `1000000000${String(a).padStart(2, '0')}`,
        takenAt: new Date(base + h * HOUR),
        ouPath: `Root/OU-${a % 3}`,
        openCritical: (a * h) % 3,
        openHigh: (a + h) % 11,
        openMedium: h % 7,
        openLow: a % 5,
        openInformational: (a * 3 + h) % 4,
        score: 5000 + ((a * 37 + h) % 5000),
      });
  }
  await t.db.insert(postureSnapshots).values(rows);
});
afterAll(async () => {
  await t.close();
});

const columns =
  'account_id, taken_at, open_critical, open_high, open_medium, open_low, open_informational, score';

test.each([-5, 0, 3, 17, 24, 60, 199, 400])(
  'at hour %i: the same rows as DISTINCT ON over every snapshot',
  async (hour) => {
    const at = new Date(base + hour * HOUR);
    const reference = await rawRows(
      t.db,
      sql.raw(`select ${columns} from (select distinct on (account_id) * from posture_snapshots
      where taken_at <= '${at.toISOString()}'::timestamptz order by account_id, taken_at desc) s order by account_id`),
    );
    const rewritten = await rawRows(
      t.db,
      sql`select ${sql.raw(columns)} from ${latestSnapshots(at)} s order by account_id`,
    );
    expect(rewritten).toEqual(reference);
    if (hour >= 24) expect(rewritten).toHaveLength(25);
    if (hour < 0) expect(rewritten).toEqual([]);
  },
);
