import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { complianceSnapshots, controlStatuses, enabledStandards } from '../../src/db/schema.js';
import { weeklyDigest } from '../../src/digest/sections.js';
import { weeklyFigures } from '../../src/posture/digest-figures.js';
import { complianceScenario } from '../support/compliance-scenario.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

let h: ScanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const { A, B, FSBP, CIS12, CIS30, scenario } = complianceScenario;
const id = (account: string, region: string, control: string, uuid: string) =>
  `arn:aws:securityhub:${region}:${account}:security-control/${control}/finding/${uuid}`;

async function scores(h: ScanHarness, scanId: number) {
  const rows = await h.db.db.select().from(complianceSnapshots).where(eq(complianceSnapshots.scanId, scanId));
  return Object.fromEntries(
    rows.map((r) => [
      `${r.scope} ${r.scopeId} ${r.standardId}`,
      {
        passed: r.passed,
        failed: r.failed,
        unknown: r.unknown,
        noData: r.noData,
        disabled: r.disabled,
        score: r.score,
      },
    ]),
  );
}

describe("standards' scores, as Security Hub computes them", () => {
  test('per account, OU and organization, against hand-computed counts', async () => {
    h = await scanHarness(scenario());
    const scan = await h.scan({ full: true });
    const s = await scores(h, scan.scanId);

    // A, CIS v3.0.0: IAM.4 failed (one region of two), S3.8 passed, RDS.3 unknown, KMS.4 disabled;
    // IAM.6, S3.1, EC2.2 (archived only) and EC2.8 without data. 1 of 3 controls with data pass.
    expect(s[`account ${A} ${CIS30}`]).toEqual({
      passed: 1,
      failed: 1,
      unknown: 1,
      noData: 4,
      disabled: 1,
      score: 3333,
    });
    // A, FSBP: the same three with data; KMS.4 is on but its only evaluation is suppressed: no data.
    expect(s[`account ${A} ${FSBP}`]).toEqual({
      passed: 1,
      failed: 1,
      unknown: 1,
      noData: 12,
      disabled: 0,
      score: 3333,
    });
    // B: S3.8 failed; IAM.4 and EC2.8 passed.
    expect(s[`account ${B} ${CIS30}`]).toEqual({
      passed: 2,
      failed: 1,
      unknown: 0,
      noData: 5,
      disabled: 0,
      score: 6667,
    });
    expect(s[`account ${B} ${FSBP}`]).toEqual({
      passed: 2,
      failed: 1,
      unknown: 0,
      noData: 12,
      disabled: 0,
      score: 6667,
    });
    // B, CIS v1.2.0 numbers its controls: 1.12 is IAM.4 (matched by the requirement), passed; 6 without data.
    expect(s[`account ${B} ${CIS12}`]).toEqual({
      passed: 1,
      failed: 0,
      unknown: 0,
      noData: 6,
      disabled: 0,
      score: 10000,
    });

    // The organization: a control failed in one account is failed (IAM.4 in A, S3.8 in B); RDS.3
    // unknown; EC2.8 passed; KMS.4 is disabled in A but on in B, so it is without data.
    expect(s[`organization  ${CIS30}`]).toEqual({
      passed: 1,
      failed: 2,
      unknown: 1,
      noData: 4,
      disabled: 0,
      score: 2500,
    });
    expect(s[`organization  ${FSBP}`]).toEqual({
      passed: 1,
      failed: 2,
      unknown: 1,
      noData: 11,
      disabled: 0,
      score: 2500,
    });
    // Each OU is its account here.
    expect(s[`ou Root/Production ${CIS30}`]).toEqual(s[`account ${A} ${CIS30}`]);
    expect(s[`ou Root/Development ${CIS12}`]).toEqual(s[`account ${B} ${CIS12}`]);
    expect(s[`ou Root/Production ${CIS12}`]).toBeUndefined();

    const [iam4] = await h.db.db
      .select()
      .from(controlStatuses)
      .where(
        and(
          eq(controlStatuses.accountId, B),
          eq(controlStatuses.standardId, CIS12),
          eq(controlStatuses.controlId, '1.12'),
        ),
      );
    expect(iam4).toMatchObject({ securityControlId: 'IAM.4', status: 'passed', passed: 1 });
  });

  test('each scan adds a snapshot: the trend follows what is fixed', async () => {
    h = await scanHarness(scenario());
    const first = await h.scan({ full: true });
    h.sim.world.updateFinding(id(A, 'us-east-1', 'IAM.4', 'a-iam4-use1'), { compliance: 'PASSED' });
    const second = await h.scan();
    expect((await scores(h, first.scanId))[`account ${A} ${CIS30}`]?.score).toBe(3333);
    expect((await scores(h, second.scanId))[`account ${A} ${CIS30}`]).toMatchObject({
      passed: 2,
      failed: 0,
      score: 6667,
    });
    // B still fails S3.8: the organization's IAM.4 passes now, S3.8 still fails.
    expect((await scores(h, second.scanId))[`organization  ${CIS30}`]).toMatchObject({
      passed: 2,
      failed: 1,
      unknown: 1,
    });
  });
});

describe('aggregator mode', () => {
  test("each member's standards come from its findings; the administrator's give the controls", async () => {
    const s0 = scenario();
    s0.securityHub = { ...s0.securityHub, adminAccountId: A, aggregationRegion: 'us-east-1' };
    h = await scanHarness(s0, {
      WARDEN_SECURITYHUB_MODE: 'aggregator',
      WARDEN_SECURITYHUB_ADMIN_ACCOUNT: A,
      WARDEN_AGGREGATION_REGION: 'us-east-1',
    });
    const scan = await h.scan({ full: true });
    const enabled = await h.db.db.select().from(enabledStandards);
    // The standards the accounts' control results name, one row per account: B's CIS v1.2.0 too.
    expect(enabled.map((e) => `${e.accountId} ${e.region} ${e.standardId} ${e.status}`).sort()).toEqual(
      [
        `${A} aggregated ${CIS30} FROM_FINDINGS`,
        `${A} aggregated ${FSBP} FROM_FINDINGS`,
        `${B} aggregated ${CIS12} FROM_FINDINGS`,
        `${B} aggregated ${CIS30} FROM_FINDINGS`,
        `${B} aggregated ${FSBP} FROM_FINDINGS`,
      ].sort(),
    );
    const sc = await scores(h, scan.scanId);
    // The organization scores as in per-account mode.
    expect(sc[`organization  ${CIS30}`]).toEqual({
      passed: 1,
      failed: 2,
      unknown: 1,
      noData: 4,
      disabled: 0,
      score: 2500,
    });
    // A member's disabled controls cannot be seen from the administrator: A's KMS.4 counts as without data.
    expect(sc[`account ${A} ${CIS30}`]).toEqual({
      passed: 1,
      failed: 1,
      unknown: 1,
      noData: 5,
      disabled: 0,
      score: 3333,
    });
    // CIS v1.2.0 is on in B only: the administrator (A) does not have it, so its controls are unknown to Warden.
    expect(sc[`account ${B} ${CIS12}`]).toBeUndefined();
  });
});

describe('the weekly digest', () => {
  test("leads with the organization's standards, their scores and their change", async () => {
    h = await scanHarness(scenario());
    await h.scan({ full: true });
    const now = new Date();
    const figures = await weeklyFigures(
      h.db.db,
      { from: new Date(now.getTime() - 7 * 86_400_000), to: now },
      h.config.policy,
    );
    const digest = weeklyDigest(figures, '2026-W49');
    expect(digest.sections[0]!.title).toBe('Compliance by standard (organization)');
    expect(digest.sections[0]!.lines).toEqual([
      'AWS Foundational Security Best Practices v1.0.0: 25% of controls passing (1 passed, 2 failed, 1 unknown; 11 without data, 0 disabled), n/a since last week, +0.0 over 4 weeks',
      'CIS AWS Foundations Benchmark v1.2.0: 100% of controls passing (1 passed, 0 failed, 0 unknown; 6 without data, 0 disabled), n/a since last week, +0.0 over 4 weeks',
      'CIS AWS Foundations Benchmark v3.0.0: 25% of controls passing (1 passed, 2 failed, 1 unknown; 4 without data, 0 disabled), n/a since last week, +0.0 over 4 weeks',
    ]);
  });
});
