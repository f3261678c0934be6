import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  postureSnapshots,
  remediationDecisions,
  remediationRequests,
  suppressions,
} from '../../src/db/schema.js';
import { dailyFigures, weeklyFigures } from '../../src/posture/digest-figures.js';
import { accountScore } from '../../src/posture/score.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedAccounts, seedFinding } from '../support/seed.js';

// A small history, seeded by hand, and the digest figures it must give, computed by hand.

const A1 = '111111111111'; // prod-web, Root/Prod
const A2 = '222222222222'; // dev-web, Root/Dev
const at = (iso: string) => new Date(`${iso}Z`);
const week = { from: at('2026-11-16T09:00:00'), to: at('2026-11-23T09:00:00') };
const day = { from: at('2026-11-22T09:00:00'), to: at('2026-11-23T09:00:00') };
const policy = loadConfig({}).policy; // SLA days: critical 7, high 30, medium 90, low 180
let db: TestDatabase;
const ids: Record<string, number> = {};

beforeAll(async () => {
  db = await openTestDatabase();
  await seedAccounts(db.db, [
    { id: A1, name: 'prod-web', ouPath: 'Root/Prod' },
    { id: A2, name: 'dev-web', ouPath: 'Root/Dev' },
  ]);
  const seed = async (name: string, fields: Parameters<typeof seedFinding>[1]) => {
    ids[name] = (await seedFinding(db.db, fields)).id;
  };
  // Resolved in the week: critical after 7 days, high after 2.5 and 3 days.
  await seed('f1', {
    accountId: A1,
    severity: 'critical',
    firstSeenAt: at('2026-11-10T09:00:00'),
    status: 'resolved',
    resolvedAt: at('2026-11-17T09:00:00'),
  });
  await seed('f2', {
    accountId: A1,
    severity: 'high',
    firstSeenAt: at('2026-11-18T09:00:00'),
    status: 'resolved',
    resolvedAt: at('2026-11-20T21:00:00'),
  });
  await seed('f3', {
    accountId: A2,
    severity: 'high',
    firstSeenAt: at('2026-11-19T09:00:00'),
    status: 'resolved',
    resolvedAt: at('2026-11-22T09:00:00'),
  });
  // Open: past SLA (critical 22 days, high 34 days, low 206 days), within it, suppressed, new, regression.
  await seed('f4', { accountId: A1, severity: 'critical', firstSeenAt: at('2026-11-01T09:00:00') });
  await seed('f5', { accountId: A2, severity: 'medium', firstSeenAt: at('2026-11-20T09:00:00') });
  await seed('f6', { accountId: A2, severity: 'low', firstSeenAt: at('2026-05-01T09:00:00') });
  await seed('f7', {
    accountId: A1,
    severity: 'high',
    firstSeenAt: at('2026-09-01T09:00:00'),
    status: 'suppressed',
  });
  await seed('f8', { accountId: A1, severity: 'high', firstSeenAt: at('2026-10-20T09:00:00') });
  await seed('f9', { accountId: A2, severity: 'critical', firstSeenAt: at('2026-11-22T12:00:00') });
  await seed('f10', {
    accountId: A1,
    severity: 'medium',
    firstSeenAt: at('2026-10-01T09:00:00'),
    regression: true,
    statusChangedBy: 'warden:scan',
    statusChangedAt: at('2026-11-22T10:00:00'),
  });
  await db.db.insert(suppressions).values({
    findingId: ids.f7!,
    reason: 'accepted',
    createdBy: 'U0ALICE',
    createdAt: at('2026-11-01T00:00:00'),
    expiresAt: at('2026-11-25T00:00:00'),
  });
  const snapshot = (
    accountId: string,
    takenAt: string,
    ouPath: string,
    c: Partial<Record<'critical' | 'high' | 'medium' | 'low', number>>,
  ) => ({
    accountId,
    takenAt: at(takenAt),
    ouPath,
    openCritical: c.critical ?? 0,
    openHigh: c.high ?? 0,
    openMedium: c.medium ?? 0,
    openLow: c.low ?? 0,
  });
  await db.db
    .insert(postureSnapshots)
    .values([
      snapshot(A1, '2026-11-16T08:00:00', 'Root/Prod', { critical: 2, high: 1 }),
      snapshot(A2, '2026-11-16T08:00:00', 'Root/Dev', {}),
      snapshot(A1, '2026-11-23T08:00:00', 'Root/Prod', { critical: 1, high: 1, medium: 1 }),
      snapshot(A2, '2026-11-23T08:00:00', 'Root/Dev', { critical: 1, medium: 1, low: 1 }),
    ]);
  const request = (findingId: number, requestedAt: string, fields: Record<string, unknown>) => ({
    findingId,
    accountId: A1,
    playbookId: 'deactivate-access-key',
    plan: [],
    mode: 'dry-run' as const,
    reason: 'r',
    requestedBy: 'U0ALICE',
    requestedAt: at(requestedAt),
    expiresAt: at('2026-12-30T00:00:00'),
    ...fields,
  });
  const [, rejected] = await db.db
    .insert(remediationRequests)
    .values([
      request(ids.f8!, '2026-11-18T10:00:00', {
        status: 'succeeded',
        mode: 'execute',
        executionStartedAt: at('2026-11-18T11:00:00'),
        executionFinishedAt: at('2026-11-18T11:00:05'),
      }),
      request(ids.f4!, '2026-11-19T10:00:00', { status: 'rejected' }),
      request(ids.f10!, '2026-11-10T10:00:00', { status: 'pending' }),
    ])
    .returning();
  await db.db.insert(remediationDecisions).values({
    requestId: rejected!.id,
    decidedBy: 'U0CAROL',
    decision: 'reject',
    reason: 'no',
    decidedAt: at('2026-11-19T12:00:00'),
  });
});
afterAll(async () => {
  await db.close();
});

test('the score: 100 × 50 / (50 + open findings weighted 10, 5, 2, 0.5 by severity), in basis points', () => {
  expect(accountScore({ critical: 0, high: 0, medium: 0, low: 0, informational: 9 })).toBe(10_000);
  // prod-web: 1 critical, 1 high, 1 medium = 17 → 10000 × 50 / 67
  expect(accountScore({ critical: 1, high: 1, medium: 1, low: 0, informational: 0 })).toBe(7463);
  // dev-web: 1 critical, 1 medium, 1 low = 12.5 → 10000 × 50 / 62.5
  expect(accountScore({ critical: 1, high: 0, medium: 1, low: 1, informational: 0 })).toBe(8000);
});

test('weekly figures equal the hand-computed values', async () => {
  const w = await weeklyFigures(db.db, week, policy);
  expect(w.opened).toBe(4); // f2, f3, f5, f9
  expect(w.resolved).toBe(3); // f1, f2, f3
  expect(w.mttrDays.critical).toEqual({ days: 7, resolved: 1 }); // f1: 7 days
  expect(w.mttrDays.high).toEqual({ days: 2.8, resolved: 2 }); // (2.5 + 3) / 2 = 2.75
  expect(w.mttrDays.medium).toEqual({ days: null, resolved: 0 });
  expect(w.sla.bySeverity).toEqual({ critical: 1, high: 1, medium: 0, low: 1, informational: 0 }); // f4, f8, f6
  expect(w.sla.oldest.map((f) => [f.id, f.ageDays])).toEqual([
    [ids.f4, 22],
    [ids.f8, 34],
    [ids.f6, 206],
  ]);
  expect(w.byAccount.map((a) => [a.name, a.score])).toEqual([
    ['prod-web', 7463],
    ['dev-web', 8000],
  ]);
  expect(w.byOu).toEqual([
    { ouPath: 'Root/Prod', score: 7463, accounts: 1 },
    { ouPath: 'Root/Dev', score: 8000, accounts: 1 },
  ]);
  // A week ago: prod-web 2 critical + 1 high = 25 → 6667; dev-web nothing open → 10000; mean 8333.5.
  expect(w.trend.map((p) => p.score)).toEqual([null, null, null, 8334, 7732]);
  // Each OU over the same weeks: prod-web 6667 then 7463, dev-web 10000 then 8000.
  expect(w.ouTrend).toEqual([
    { ouPath: 'Root/Prod', scores: [null, null, null, 6667, 7463] },
    { ouPath: 'Root/Dev', scores: [null, null, null, 10000, 8000] },
  ]);
  expect(w.score).toBe(7732); // (7463 + 8000) / 2 = 7731.5
  expect(w.suppressions).toMatchObject({ active: 1, expiringSoon: { total: 1 } });
  expect(w.remediations).toEqual({ requested: 2, approved: 1, executed: 1, failed: 0, rejected: 1 });
});

test('daily figures: new critical and high, regressions, SLA breaches, suppressions ending, waiting approvals; and for one OU', async () => {
  const d = await dailyFigures(db.db, day, policy);
  expect(d.newFindings.items.map((f) => f.id)).toEqual([ids.f9]);
  expect(d.regressions.items.map((f) => f.id)).toEqual([ids.f10]);
  expect(d.sla.total).toBe(3);
  expect(d.suppressions.expiringSoon.items.map((s) => s.findingId)).toEqual([ids.f7]);
  expect(d.waiting.items.map((r) => r.playbookId)).toEqual(['deactivate-access-key']);

  const dev = await dailyFigures(db.db, day, policy, { accounts: [A2] });
  expect(dev.newFindings.total).toBe(1);
  expect(dev.regressions.total).toBe(0);
  expect(dev.sla.bySeverity).toEqual({ critical: 0, high: 0, medium: 0, low: 1, informational: 0 });
  expect(dev.waiting.total).toBe(0);
});
