import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { syncCursors } from '../../src/db/schema.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { accountId, generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

let h: ScanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const scenario = () =>
  generateScenario({
    accounts: 4,
    regions: ['us-east-1', 'eu-west-1'],
    failedPerAccountRegion: 30,
    passedPerAccountRegion: 5,
  });

const securityHubTargets = async (h: ScanHarness, scan: { scanId: number }) =>
  (await h.targets(scan)).filter((t) => t.source === 'securityhub');
const securityHubFetched = async (h: ScanHarness, scan: { scanId: number }) =>
  (await securityHubTargets(h, scan)).reduce((n, t) => n + t.findings, 0);

describe('incremental scans', () => {
  test('fetch only the findings that changed, and still notice the archived and passed ones', async () => {
    h = await scanHarness(scenario());
    const full = await h.scan();
    expect((await securityHubTargets(h, full)).every((t) => t.full)).toBe(true);
    const failing = [...h.sim.world.allFindings()].filter((f) => f.compliance === 'FAILED');
    // A full sync reads every active record, the passing control results with the failing ones.
    expect(await securityHubFetched(h, full)).toBe([...h.sim.world.allFindings()].length);

    const [archived, passed, worse] = failing;
    h.sim.world.updateFinding(archived!.id, { recordState: 'ARCHIVED' });
    h.sim.world.updateFinding(passed!.id, { compliance: 'PASSED' });
    h.sim.world.updateFinding(worse!.id, { severity: 'CRITICAL' });
    h.sim.world.resetCalls();

    const incremental = await h.scan();
    expect(incremental.kind).toBe('incremental');
    expect((await securityHubTargets(h, incremental)).every((t) => !t.full)).toBe(true);
    expect(await securityHubFetched(h, incremental)).toBe(3);
    // One page per account and region: the calls follow what changed, not the size of the organization.
    expect(h.sim.world.calls('GetFindings')).toBe(8);
    expect(incremental.totals).toMatchObject({ new: 0, resolved: 2, updated: 1 });
    const rows = new Map((await h.rows()).map((r) => [r.externalId, r]));
    expect(rows.get(archived!.id)?.status).toBe('resolved');
    expect(rows.get(passed!.id)?.status).toBe('resolved');
    expect(rows.get(worse!.id)).toMatchObject({ status: 'open', severity: 'critical' });
  });

  test('a scope no full sync has covered, with a cursor or without, is read in full by an incremental scan', async () => {
    h = await scanHarness(scenario());
    await h.scan();
    const [first, second] = [accountId(0), accountId(1)];
    const cursor = (scope: string) =>
      and(eq(syncCursors.source, 'securityhub'), eq(syncCursors.scope, scope));
    // One scope's cursor moved by incremental syncs only; another's cursor gone.
    await h.db.db
      .update(syncCursors)
      .set({ fullSyncedAt: null })
      .where(cursor(`${first}|us-east-1`));
    await h.db.db.delete(syncCursors).where(cursor(`${second}|eu-west-1`));

    const incremental = await h.scan();
    expect(incremental.kind).toBe('incremental');
    const readInFull = (await securityHubTargets(h, incremental))
      .filter((t) => t.full)
      .map((t) => `${t.accountId}|${t.region}`);
    expect(readInFull.sort()).toEqual([`${first}|us-east-1`, `${second}|eu-west-1`].sort());
    // Each read in full fetched its scope's every active record; the other six, nothing (nothing changed).
    const perScope = [...h.sim.world.allFindings()].filter(
      (f) => f.account === first && f.region === 'us-east-1' && f.recordState === 'ACTIVE',
    );
    const fetched = (await securityHubTargets(h, incremental)).find(
      (t) => t.accountId === first && t.region === 'us-east-1',
    )!.findings;
    expect(fetched).toBe(perScope.length);
  });

  test('a finding that simply disappears is resolved by the next full reconciliation, not by an incremental scan', async () => {
    h = await scanHarness(scenario());
    await h.scan();
    const gone = [...h.sim.world.allFindings()].find((f) => f.compliance === 'FAILED')!;
    h.sim.world.deleteFinding(gone.id);
    expect((await h.scan()).totals.resolved).toBe(0);
    const full = await h.scan({ full: true });
    expect(full.totals.resolved).toBe(1);
    expect((await h.rows()).find((r) => r.externalId === gone.id)?.status).toBe('resolved');
  });
});

/** The simulator and Warden both set up for Security Hub's delegated administrator in us-east-1. */
function aggregatorHarness(s: Scenario, admin: string) {
  s.securityHub = { adminAccountId: admin, aggregationRegion: 'us-east-1' };
  return scanHarness(s, {
    WARDEN_SECURITYHUB_MODE: 'aggregator',
    WARDEN_SECURITYHUB_ADMIN_ACCOUNT: admin,
    WARDEN_AGGREGATION_REGION: 'us-east-1',
  });
}

describe('aggregator mode', () => {
  test('reads the whole organization from the delegated administrator in the aggregation region', async () => {
    const s = scenario();
    const admin = accountId(1);
    h = await aggregatorHarness(s, admin);
    const result = await h.scan();
    const failing = [...h.sim.world.allFindings()].filter((f) => f.compliance === 'FAILED');
    const active = [...h.sim.world.allFindings()];
    expect(await securityHubFetched(h, result)).toBe(active.length);
    expect(h.sim.world.calls('GetFindings')).toBe(h.sim.world.calls('GetFindings', admin));
    expect(h.sim.world.calls('GetFindings')).toBe(Math.ceil(active.length / 100));
    const stored = (await h.rows()).filter((r) => r.source === 'securityhub');
    expect(new Set(stored.map((r) => r.accountId)).size).toBe(4);

    h.sim.world.updateFinding(failing[0]!.id, { recordState: 'ARCHIVED' });
    h.sim.world.resetCalls();
    const incremental = await h.scan();
    expect(await securityHubFetched(h, incremental)).toBe(1);
    expect(h.sim.world.calls('GetFindings')).toBe(1);
    expect(incremental.totals.resolved).toBe(1);
  });

  test('a scan of some accounts asks for them 20 at a time, the most one filter takes', async () => {
    const s = generateScenario({
      accounts: 45,
      regions: ['us-east-1'],
      failedPerAccountRegion: 2,
      passedPerAccountRegion: 0,
    });
    const admin = accountId(1);
    h = await aggregatorHarness(s, admin);
    const some = s.accounts.slice(0, 44).map((a) => a.id);
    const result = await h.scan({ accounts: some });
    expect(result.notScanned).toEqual([]);
    expect(h.sim.world.calls('GetFindings', admin)).toBe(3);
    const stored = new Set(
      (await h.rows()).filter((r) => r.source === 'securityhub').map((r) => r.accountId),
    );
    expect([...stored].sort()).toEqual(some);
  });
});
