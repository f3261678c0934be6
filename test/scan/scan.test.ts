import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { auditEvents, postureSnapshots, scans, scanTargetResults } from '../../src/db/schema.js';
import { accountScore } from '../../src/posture/score.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

let h: ScanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const small = (patch: (s: Scenario) => void = () => {}): Scenario => {
  const s = generateScenario({
    accounts: 4,
    regions: ['us-east-1', 'eu-west-1'],
    failedPerAccountRegion: 5,
    passedPerAccountRegion: 2,
    usersPerAccount: 4,
  });
  patch(s);
  return s;
};

/** The Security Hub findings the simulator holds that are failing now, per account. */
function failingInSim(h: ScanHarness): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of h.sim.world.allFindings()) {
    if (f.recordState !== 'ACTIVE' || f.compliance === 'PASSED' || f.workflow === 'RESOLVED') continue;
    out.set(f.account, (out.get(f.account) ?? new Set()).add(f.id));
  }
  return out;
}

describe('a scan of the organization', () => {
  test('stores every failing Security Hub finding of every account, each under its own account', async () => {
    h = await scanHarness(small());
    const result = await h.scan({ full: true });
    expect(result.notScanned).toEqual([]);
    const rows = await h.rows();
    const stored = new Map<string, Set<string>>();
    for (const r of rows.filter((r) => r.source === 'securityhub')) {
      stored.set(r.accountId, (stored.get(r.accountId) ?? new Set()).add(r.externalId));
    }
    expect(stored).toEqual(failingInSim(h));
    expect(rows.every((r) => r.status === 'open')).toBe(true);

    // Each target's result is recorded; the working copies the scan wrote as targets ended are gone.
    const targets = await h.targets(result);
    expect(targets).toHaveLength(result.targets.total);
    expect(targets.map((t) => [t.source, t.status])).toEqual(
      Array.from({ length: 12 }, (_, i) => [i < 4 ? 'credential-report' : 'securityhub', 'ok']),
    );
    expect(targets.reduce((n, t) => n + t.findings, 0)).toBe(result.totals.findings);
    expect(await h.db.db.select().from(scanTargetResults)).toEqual([]);

    // The scan leaves a posture snapshot per account: its open issues by severity, for trends (the
    // root user's access keys, reported by Security Hub's IAM.4 and Warden's own check, count once).
    const snapshots = await h.db.db
      .select()
      .from(postureSnapshots)
      .where(eq(postureSnapshots.scanId, result.scanId));
    expect(snapshots).toHaveLength(4);
    for (const snap of snapshots) {
      const mine = rows.filter((r) => r.accountId === snap.accountId && r.duplicateOf === null);
      expect(snap.openCritical).toBe(mine.filter((r) => r.severity === 'critical').length);
      expect(
        snap.openHigh + snap.openMedium + snap.openLow + snap.openInformational + snap.openCritical,
      ).toBe(mine.length);
      expect(snap.ouPath).toMatch(/^Root/);
      expect(snap.score).toBe(
        accountScore({
          critical: snap.openCritical,
          high: snap.openHigh,
          medium: snap.openMedium,
          low: snap.openLow,
          informational: snap.openInformational,
        }),
      );
    }
  });

  test('an account the scan could not read gets no snapshot: it keeps its last one, and a never-read account has no score', async () => {
    h = await scanHarness(small((s) => (s.accounts[2]!.roles = { audit: false })));
    const result = await h.scan({ full: true });
    const snapshotted = await h.db.db
      .select({ accountId: postureSnapshots.accountId })
      .from(postureSnapshots)
      .where(eq(postureSnapshots.scanId, result.scanId));
    expect(snapshotted.map((r) => r.accountId).sort()).toEqual([
      '100000000000',
      '100000000001',
      '100000000003',
    ]);
  });

  test('each account is read with its own credentials: its calls are signed by it, and its data is its own', async () => {
    h = await scanHarness(small());
    await h.scan({ full: true });
    for (const a of h.sim.world.scenario.accounts) {
      // One GetFindings page per region, one report generation cycle: all signed by the account itself.
      expect(h.sim.world.calls('GetFindings', a.id)).toBe(2);
      expect(h.sim.world.calls('GetCredentialReport', a.id)).toBe(1);
    }
    expect(h.sim.world.calls('GetFindings', h.sim.world.scenario.managementAccountId)).toBe(2);
    const reportRows = (await h.rows()).filter((r) => r.source === 'credential-report');
    for (const r of reportRows) expect(r.resourceId).toContain(`:${r.accountId}:`);
    expect(new Set(reportRows.map((r) => r.accountId)).size).toBe(4);
  });

  test('an account whose role cannot be assumed is reported with the role ARN, and its earlier findings stay open', async () => {
    h = await scanHarness(small());
    await h.scan({ full: true });
    const broken = h.sim.world.scenario.accounts[2]!;
    const before = (await h.rows()).filter((r) => r.accountId === broken.id);
    expect(before.length).toBeGreaterThan(0);

    broken.roles = { audit: false };
    const result = await h.scan({ full: true });
    const entry = result.notScanned.find((n) => n.accountId === broken.id);
    expect(entry?.reasons.length).toBe(1);
    expect(entry?.reasons[0]).toContain(`arn:aws:iam::${broken.id}:role/WardenAudit`);
    expect(entry?.reasons[0]).toMatch(/sts:AssumeRole in account \d{12}.*AccessDenied/);
    expect(
      (await h.targets(result))
        .filter((t) => t.accountId === broken.id)
        .every((t) => t.failureKind === 'role-denied'),
    ).toBe(true);
    // One AssumeRole attempt for the account, not one per region.
    const after = (await h.rows()).filter((r) => r.accountId === broken.id);
    expect(after.map((r) => [r.id, r.status])).toEqual(before.map((r) => [r.id, 'open']));
    expect(result.notScanned).toHaveLength(1);
  });

  test('re-scan with no change adds nothing and resolves nothing; a removed finding resolves; back, it reopens as a regression', async () => {
    h = await scanHarness(small());
    const first = await h.scan({ full: true });
    expect(first.totals.new).toBeGreaterThan(0);
    const count = (await h.rows()).length;

    const again = await h.scan({ full: true });
    expect(again.totals).toMatchObject({ new: 0, resolved: 0, reopened: 0 });
    expect((await h.rows()).length).toBe(count);

    const victim = [...h.sim.world.allFindings()].find((f) => f.compliance === 'FAILED')!;
    const saved = { ...victim };
    h.sim.world.deleteFinding(victim.id);
    const third = await h.scan({ full: true });
    expect(third.totals).toMatchObject({ new: 0, resolved: 1, reopened: 0 });
    const resolved = (await h.rows()).find((r) => r.externalId === victim.id)!;
    expect(resolved).toMatchObject({ status: 'resolved', regression: false });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);

    h.sim.world.addFinding({ ...saved, updatedAt: Date.now() });
    const fourth = await h.scan({ full: true });
    expect(fourth.totals).toMatchObject({ new: 0, resolved: 0, reopened: 1 });
    expect((await h.rows()).find((r) => r.externalId === victim.id)).toMatchObject({
      status: 'open',
      regression: true,
      reopenCount: 1,
      resolvedAt: null,
    });
    expect((await h.rows()).length).toBe(count);
  });

  test('with a third of all calls throttled, and some answered 5xx, the scan completes and stores every finding', async () => {
    const calm = await scanHarness(small());
    await calm.scan({ full: true });
    const expected = (await calm.rows()).map((r) => r.externalId).sort();
    await calm.close();

    h = await scanHarness(
      small((s) => (s.faults = { throttleRate: 1 / 3, serverErrorRate: 0.05 })),
      { WARDEN_AWS_MAX_ATTEMPTS: '12' },
    );
    const result = await h.scan({ full: true });
    expect(result.notScanned).toEqual([]);
    expect(result.totals.throttles).toBeGreaterThan(5);
    expect((await h.rows()).map((r) => r.externalId).sort()).toEqual(expected);
    // The SDK's backoff for throttling grows to seconds per retry: an unlucky run takes a while.
  }, 120_000);

  test('a report in progress for 3 polls still delivers its findings; a malformed report fails only its account', async () => {
    h = await scanHarness(
      small((s) => {
        s.accounts[1]!.faults = { reportInProgressPolls: 3 };
        s.accounts[2]!.faults = { reportMalformed: true };
      }),
    );
    const result = await h.scan({ full: true });
    expect(h.sim.world.calls('GenerateCredentialReport', h.sim.world.scenario.accounts[1]!.id)).toBe(5);
    const slow = (await h.rows()).filter(
      (r) => r.source === 'credential-report' && r.accountId === h!.sim.world.scenario.accounts[1]!.id,
    );
    expect(slow.length).toBeGreaterThan(0);

    expect(result.notScanned.map((n) => n.accountId)).toEqual([h.sim.world.scenario.accounts[2]!.id]);
    const targets = await h.targets(result);
    const bad = targets.find(
      (t) => t.accountId === h!.sim.world.scenario.accounts[2]!.id && t.source === 'credential-report',
    )!;
    expect(bad).toMatchObject({ status: 'failed', failureKind: 'report-malformed' });
    expect(bad.reason).toMatch(
      /iam:GetCredentialReport in account \d{12} \(global\): the credential report could not be read/,
    );
    const others = targets.filter((t) => t !== bad);
    expect(others.every((t) => t.status === 'ok')).toBe(true);
  });

  test('a credential report that never completes fails its account after the time allowed, the others succeed', async () => {
    h = await scanHarness(
      small((s) => (s.accounts[3]!.faults = { reportStuck: true })),
      { WARDEN_REPORT_TIMEOUT_SECONDS: '1' },
    );
    const result = await h.scan({ full: true });
    const stuck = h.sim.world.scenario.accounts[3]!.id;
    expect(result.notScanned.map((n) => n.accountId)).toEqual([stuck]);
    const target = (await h.targets(result)).find(
      (t) => t.accountId === stuck && t.source === 'credential-report',
    )!;
    expect(target).toMatchObject({ status: 'failed', failureKind: 'report-unavailable' });
    expect(target.reason).toMatch(
      /in account \d{12} \(global\): IAM was still generating the credential report after [\d.]+ s \(IAM answered INPROGRESS \d+ times\)/,
    );
  });

  test('a target that outlives its time limit is reported as timed out, and its findings stay as they were', async () => {
    h = await scanHarness(small(), { WARDEN_TARGET_TIMEOUT_SECONDS: '1' });
    await h.scan({ full: true });
    const before = (await h.rows()).map((r) => [r.id, r.status]);
    h.sim.world.scenario.faults = { latencyMs: 700 };
    const result = await h.scan({ full: true });
    const targets = await h.targets(result);
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      expect(t).toMatchObject({ status: 'failed', failureKind: 'timeout' });
      expect(t.reason).toMatch(/timed out/);
    }
    expect((await h.rows()).map((r) => [r.id, r.status])).toEqual(before);
  }, 60_000);

  test('a scan whose row another process closed (its lease lapsed meanwhile) stops at once, and resolves nothing', async () => {
    const harness = await scanHarness(small(), {
      WARDEN_SCAN_LEASE_SECONDS: '1',
      WARDEN_SCAN_CONCURRENCY: '1',
    });
    h = harness;
    await harness.scan({ full: true });
    const before = (await harness.rows()).map((r) => [r.id, r.status]);
    // Gone from Security Hub: a scan that reached its conclusion would resolve it.
    const gone = [...harness.sim.world.allFindings()].find((f) => f.compliance === 'FAILED')!;
    harness.sim.world.deleteFinding(gone.id);
    harness.sim.world.scenario.faults = { ...harness.sim.world.scenario.faults, latencyMs: 100 };
    const scanning = harness.scan({ full: true });
    const running = async () =>
      (await harness.db.db.select().from(scans)).some((s) => s.status === 'running');
    await expect.poll(running).toBe(true);
    await harness.db.db.update(scans).set({ status: 'abandoned' }).where(eq(scans.status, 'running'));
    await expect(scanning).rejects.toThrow(/was closed by another process while it ran/);
    expect((await harness.rows()).map((r) => [r.id, r.status])).toEqual(before);
    expect((await harness.db.db.select().from(scans)).map((s) => s.status).sort()).toEqual([
      'abandoned',
      'completed',
    ]);
  });

  test('only one scan runs at a time; one abandoned by a crash does not block the next', async () => {
    h = await scanHarness(small());
    const [stuck] = await h.db.db
      .insert(scans)
      .values({ kind: 'full', trigger: 'schedule', startedAt: new Date() })
      .returning();
    await expect(h.scan({ full: true })).rejects.toThrow(`scan ${stuck!.id} is already running`);

    // It had stored one target's result before its process died…
    await h.db.db
      .insert(scanTargetResults)
      .values({ scanId: stuck!.id, target: 0, status: 'ok', findings: 0, throttles: 0, result: {} });
    // Its process died: nobody renews its lease, which lapses after WARDEN_SCAN_LEASE_SECONDS.
    await h.db.db
      .update(scans)
      .set({ heartbeatAt: new Date(Date.now() - h.config.aws.scan.leaseMs - 1000) })
      .where(eq(scans.id, stuck!.id));
    const result = await h.scan({ full: true });
    expect(result.notScanned).toEqual([]);
    const [abandoned] = await h.db.db.select().from(scans).where(eq(scans.id, stuck!.id));
    expect(abandoned).toMatchObject({
      status: 'abandoned',
      error: expect.stringMatching(/^abandoned: its process stopped renewing its lease/),
    });
    const events = await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `scan:${stuck!.id}`));
    expect(events.map((e) => e.action)).toEqual(['scan.abandoned']);
    // …which goes with the abandonment, as every scan's working rows go when it stops running.
    expect(await h.db.db.select().from(scanTargetResults)).toEqual([]);
  });
});
