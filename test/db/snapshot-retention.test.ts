import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { auditEvents, complianceSnapshots, postureSnapshots } from '../../src/db/schema.js';
import { applySnapshotRetention } from '../../src/workflow/snapshot-retention.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// The trends' history stays bounded: a scan an hour writes a snapshot per account and per scope and
// standard. Snapshots older than the retention go; older than the hourly window, the last of each
// UTC day stays for each series; the newest weeks stay whole, so the weekly digest reads what it did.

const NOW = new Date('2026-12-02T03:40:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RETENTION = { days: 400, hourlyDays: 35 };

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
  // Two accounts and one organization-wide standard, a snapshot every hour for 50 days, and one
  // left from 500 days ago.
  const hours = [...Array.from({ length: 50 * 24 }, (_, i) => new Date(NOW.getTime() - (i + 1) * HOUR))];
  const times = [...hours, new Date(NOW.getTime() - 500 * DAY)];
  for (const accountId of ['111111111111', '222222222222'])
    await t.db
      .insert(postureSnapshots)
      .values(times.map((takenAt) => ({ takenAt, accountId, ouPath: 'Root' })));
  await t.db.insert(complianceSnapshots).values(
    times.map((takenAt) => ({
      takenAt,
      scope: 'organization' as const,
      scopeId: 'o-example',
      standardId: 'standards/cis-aws-foundations-benchmark/v/3.0.0',
      passed: 40,
      failed: 2,
      unknown: 0,
      noData: 3,
      disabled: 1,
      score: 95,
    })),
  );
});
afterAll(async () => {
  await t.close();
});

const postureTimes = async (accountId: string) =>
  (
    await t.db
      .select({ takenAt: postureSnapshots.takenAt })
      .from(postureSnapshots)
      .where(eq(postureSnapshots.accountId, accountId))
      .orderBy(asc(postureSnapshots.takenAt))
  ).map((r) => r.takenAt.getTime());

describe('snapshot retention', () => {
  test('expires what is older than the retention and keeps the last of each day past the hourly window', async () => {
    const pruned = await applySnapshotRetention(t.db, RETENTION, NOW);
    // Per series: the one from 500 days ago expires; of the 15 days past the window, 23 of each day's
    // 24 go (the window's edge falls at 03:40, so its day keeps its hours after that).
    expect(pruned.posture_snapshots.expired).toBe(2);
    expect(pruned.compliance_snapshots.expired).toBe(1);
    expect(pruned.posture_snapshots.thinned).toBe(2 * pruned.compliance_snapshots.thinned);

    const kept = await postureTimes('111111111111');
    const edge = NOW.getTime() - RETENTION.hourlyDays * DAY;
    const recent = kept.filter((ms) => ms >= edge);
    const older = kept.filter((ms) => ms < edge);
    // Every hourly snapshot of the last 35 days is there.
    expect(recent).toHaveLength(35 * 24);
    // Before it, one a day: each day's last (23:40 UTC), and on the window's first day the last
    // before its edge (02:40); 15 + 1 days, the oldest 50 days back.
    const days = older.map((ms) => new Date(ms).toISOString().slice(0, 10));
    expect(new Set(days).size).toBe(16);
    expect(older.map((ms) => new Date(ms).toISOString().slice(11, 16))).toEqual([
      ...Array.from({ length: 15 }, () => '23:40'),
      '02:40',
    ]);
    expect(pruned.posture_snapshots.thinned).toBe(2 * (50 * 24 - 35 * 24 - 16));
    // The other account's series is thinned the same way.
    expect(await postureTimes('222222222222')).toEqual(kept);

    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'snapshots.pruned'));
    expect(event).toMatchObject({ actor: 'warden:retention', subject: 'snapshots' });
    expect(event!.details).toMatchObject({
      retentionDays: 400,
      hourlyDays: 35,
      posture_snapshots: pruned.posture_snapshots,
    });
  });

  test('a second run finds nothing to remove and writes no event', async () => {
    const pruned = await applySnapshotRetention(t.db, RETENTION, NOW);
    expect(pruned).toEqual({
      posture_snapshots: { expired: 0, thinned: 0 },
      compliance_snapshots: { expired: 0, thinned: 0 },
    });
    expect(await t.db.$count(auditEvents, eq(auditEvents.action, 'snapshots.pruned'))).toBe(1);
  });
});

test('settings that would break the weekly trend are refused, naming the variable', () => {
  expect(() => loadConfig({ WARDEN_SNAPSHOT_HOURLY_DAYS: '20' })).toThrow(
    /WARDEN_SNAPSHOT_HOURLY_DAYS: must be at least 29/,
  );
  expect(() =>
    loadConfig({ WARDEN_SNAPSHOT_RETENTION_DAYS: '30', WARDEN_SNAPSHOT_HOURLY_DAYS: '35' }),
  ).toThrow(/WARDEN_SNAPSHOT_RETENTION_DAYS: must be at least WARDEN_SNAPSHOT_HOURLY_DAYS/);
  expect(loadConfig({}).snapshots).toEqual({ days: 400, hourlyDays: 35 });
});
