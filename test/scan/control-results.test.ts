import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { CHECKS } from '../../src/collect/checks/cis.js';
import {
  controlResults,
  disabledControls,
  enabledStandards,
  securityControls,
  standardControls,
} from '../../src/db/schema.js';
import { CONTROLS } from '../../src/sim/controls.js';
import { DEFAULT_ROLES, type Scenario, type SimFinding } from '../../src/sim/scenario.js';
import { SIM_CALLER } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

let h: ScanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PROD = '111111111111';
const DEV = '222222222222';
const FSBP = 'standards/aws-foundational-security-best-practices/v/1.0.0';
const CIS12 = 'ruleset/cis-aws-foundations-benchmark/v/1.2.0';
const CIS30 = 'standards/cis-aws-foundations-benchmark/v/3.0.0';

/**
 * Two accounts in two regions with FSBP, CIS v1.2.0 and CIS v3.0.0 enabled; prod has KMS.4 off in
 * CIS v3.0.0. Prod's root key fails IAM.4 in one region and passes in the other (a global resource
 * evaluated per region); its buckets pass S3.8; an RDS check cannot decide (WARNING); a suppressed and
 * an archived evaluation sit beside them.
 */
function scenario(prodFindings: SimFinding[] = PROD_FINDINGS): Scenario {
  return {
    organizationId: 'o-compliance1',
    managementAccountId: PROD,
    rootId: 'r-root',
    ous: [],
    regions: ['us-east-1', 'eu-west-1'],
    callerCredentials: SIM_CALLER,
    roles: structuredClone(DEFAULT_ROLES),
    securityHub: { standards: ['fsbp', 'cis-1.2', 'cis-3.0'] },
    accounts: [
      {
        id: PROD,
        name: 'prod',
        parent: 'r-root',
        disabledControls: [{ standard: 'cis-3.0', control: 'KMS.4', reason: 'Keys rotate by hand' }],
        iam: { root: { mfa: true, keys: [{ ageDays: 400, lastUsedDaysAgo: 3 }] } },
        findings: prodFindings,
      },
      {
        id: DEV,
        name: 'dev',
        parent: 'r-root',
        standards: ['fsbp'],
        findings: [{ control: 'GuardDuty.1', region: 'us-east-1', compliance: 'PASSED' }],
      },
    ],
  };
}

const PROD_FINDINGS: SimFinding[] = [
  { control: 'IAM.4', region: 'us-east-1', uuid: 'iam4-use1' },
  { control: 'IAM.4', region: 'eu-west-1', uuid: 'iam4-euw1', compliance: 'PASSED' },
  { control: 'S3.8', region: 'us-east-1', uuid: 's38-a', compliance: 'PASSED' },
  { control: 'RDS.3', region: 'us-east-1', uuid: 'rds3', compliance: 'WARNING' },
  { control: 'KMS.4', region: 'eu-west-1', uuid: 'kms4', workflow: 'SUPPRESSED' },
  { control: 'EC2.2', region: 'eu-west-1', uuid: 'ec22-old', recordState: 'ARCHIVED', compliance: 'PASSED' },
];

const idOf = (account: string, region: string, control: string, uuid: string) =>
  `arn:aws:securityhub:${region}:${account}:security-control/${control}/finding/${uuid}`;

async function results(h: ScanHarness, source: 'securityhub' | 'credential-report') {
  return h.db.db.select().from(controlResults).where(eq(controlResults.source, source));
}

describe('a scan keeps control results, passing and failing', () => {
  test('every active control evaluation is a result with its status and standards; only the failing ones are findings', async () => {
    h = await scanHarness(scenario());
    await h.scan({ full: true });

    const byId = new Map((await results(h, 'securityhub')).map((r) => [r.externalId, r]));
    expect(byId.size).toBe(6);
    expect(byId.get(idOf(PROD, 'us-east-1', 'IAM.4', 'iam4-use1'))).toMatchObject({
      accountId: PROD,
      region: 'us-east-1',
      controlId: 'IAM.4',
      status: 'FAILED',
      suppressed: false,
    });
    expect(byId.get(idOf(PROD, 'eu-west-1', 'IAM.4', 'iam4-euw1'))?.status).toBe('PASSED');
    expect(byId.get(idOf(PROD, 'us-east-1', 'RDS.3', 'rds3'))?.status).toBe('WARNING');
    expect(byId.get(idOf(PROD, 'eu-west-1', 'KMS.4', 'kms4'))).toMatchObject({
      status: 'FAILED',
      suppressed: true,
    });
    expect(byId.has(idOf(PROD, 'eu-west-1', 'EC2.2', 'ec22-old'))).toBe(false);
    expect(
      byId.get(
        idOf(
          DEV,
          'us-east-1',
          'GuardDuty.1',
          [...h.sim.world.findings.get(`${DEV}|us-east-1`)!][0]!.id.split('/').at(-1)!,
        ),
      )?.status,
    ).toBe('PASSED');

    // AssociatedStandards: the account's enabled standards that hold the control and have it on.
    expect(byId.get(idOf(PROD, 'us-east-1', 'IAM.4', 'iam4-use1'))?.standards.sort()).toEqual(
      [CIS12, CIS30, FSBP].sort(),
    );
    expect(byId.get(idOf(PROD, 'eu-west-1', 'KMS.4', 'kms4'))?.standards.sort()).toEqual(
      [CIS12, FSBP].sort(),
    );

    // Findings are the problems: the failing evaluations (a suppressed one included), not the passing.
    const findings = (await h.rows()).filter((r) => r.source === 'securityhub');
    expect(findings.map((f) => f.controlId).sort()).toEqual(['IAM.4', 'KMS.4', 'RDS.3']);

    const [iam4] = await h.db.db
      .select()
      .from(securityControls)
      .where(eq(securityControls.controlId, 'IAM.4'));
    expect(iam4?.requirements).toEqual(CONTROLS['IAM.4']!.requirements);
  });

  test("Warden's own checks record one result per check and account, passed or failed, with evidence", async () => {
    h = await scanHarness(scenario());
    await h.scan({ full: true });
    const rows = await results(h, 'credential-report');
    expect(rows).toHaveLength(CHECKS.length * 2);
    const prodRootKeys = rows.find((r) => r.accountId === PROD && r.controlId === 'root-access-keys');
    expect(prodRootKeys).toMatchObject({ status: 'FAILED', region: 'global' });
    expect(prodRootKeys?.evidence).toMatchObject({ securityControl: 'IAM.4', failing: 1 });
    const devRootKeys = rows.find((r) => r.accountId === DEV && r.controlId === 'root-access-keys');
    expect(devRootKeys).toMatchObject({ status: 'PASSED' });
    expect(devRootKeys?.evidence).toMatchObject({ failing: 0 });
    // Each failed result has its findings, and each passed one none.
    const findings = (await h.rows()).filter((r) => r.source === 'credential-report');
    for (const r of rows) {
      const its = findings.filter((f) => f.accountId === r.accountId && f.evidence.check === r.controlId);
      expect(its.length > 0, `${r.accountId} ${r.controlId}`).toBe(r.status === 'FAILED');
    }
  });

  test('a change in Security Hub reaches the results: an incremental scan updates and drops, a full one drops what is gone', async () => {
    h = await scanHarness(scenario());
    await h.scan({ full: true });
    const w = h.sim.world;
    w.updateFinding(idOf(PROD, 'us-east-1', 'S3.8', 's38-a'), { compliance: 'FAILED' });
    w.updateFinding(idOf(PROD, 'us-east-1', 'IAM.4', 'iam4-use1'), { recordState: 'ARCHIVED' });
    await h.scan();
    const after = new Map((await results(h, 'securityhub')).map((r) => [r.externalId, r]));
    expect(after.get(idOf(PROD, 'us-east-1', 'S3.8', 's38-a'))?.status).toBe('FAILED');
    expect(after.has(idOf(PROD, 'us-east-1', 'IAM.4', 'iam4-use1'))).toBe(false);

    // Gone without a trace (deleted after 90 days): only a completed full sync can say so.
    w.deleteFinding(idOf(PROD, 'us-east-1', 'RDS.3', 'rds3'));
    await h.scan();
    expect((await results(h, 'securityhub')).some((r) => r.controlId === 'RDS.3')).toBe(true);
    await h.scan({ full: true });
    expect((await results(h, 'securityhub')).some((r) => r.controlId === 'RDS.3')).toBe(false);
  });
});

describe('a full scan reads the enabled standards and their controls', () => {
  test('per account and region, with disabled controls and CIS v1.2.0 rule numbers', async () => {
    h = await scanHarness(scenario());
    await h.scan({ full: true });
    const standards = await h.db.db.select().from(enabledStandards);
    expect(
      standards
        .filter((s) => s.accountId === PROD)
        .map((s) => `${s.region} ${s.standardId}`)
        .sort(),
    ).toEqual([CIS12, CIS30, FSBP].flatMap((id) => [`eu-west-1 ${id}`, `us-east-1 ${id}`]).sort());
    expect(standards.filter((s) => s.accountId === DEV).map((s) => s.standardId)).toEqual([FSBP, FSBP]);
    expect(standards.every((s) => s.status === 'READY')).toBe(true);

    // Disabled controls are kept per account and region; enabled ones are the standard's others.
    const disabled = await h.db.db.select().from(disabledControls);
    expect(
      disabled.map((d) => `${d.accountId} ${d.region} ${d.standardId} ${d.controlId} ${d.reason}`).sort(),
    ).toEqual([
      `${PROD} eu-west-1 ${CIS30} KMS.4 Keys rotate by hand`,
      `${PROD} us-east-1 ${CIS30} KMS.4 Keys rotate by hand`,
    ]);
    // Each standard's controls are one set for every account: CIS v1.2.0 numbers its own by rule,
    // and CloudWatch.1 is two of them (1.1 and 3.3).
    const controls = await h.db.db.select().from(standardControls);
    const cis12 = controls.filter((c) => c.standardId === CIS12);
    expect(cis12.map((c) => c.controlId)).toEqual(expect.arrayContaining(['1.12', '1.1', '3.3']));
    expect(cis12.find((c) => c.controlId === '1.12')?.requirements).toEqual([
      'CIS AWS Foundations Benchmark v1.2.0/1.12',
    ]);
    expect(
      controls
        .filter((c) => c.standardId === CIS30)
        .map((c) => c.controlId)
        .sort(),
    ).toEqual(['EC2.2', 'EC2.8', 'IAM.4', 'IAM.6', 'KMS.4', 'RDS.3', 'S3.1', 'S3.8']);
  });

  test('a standard turned off is gone after the next full scan', async () => {
    const s = scenario();
    h = await scanHarness(s);
    await h.scan({ full: true });
    s.accounts[0]!.standards = ['fsbp'];
    await h.scan({ full: true });
    const prod = await h.db.db.select().from(enabledStandards).where(eq(enabledStandards.accountId, PROD));
    expect(prod.map((r) => r.standardId)).toEqual([FSBP, FSBP]);
    // KMS.4 was disabled in CIS v3.0.0, which is off now: nothing of it is left for the account.
    expect(await h.db.db.select().from(disabledControls).where(eq(disabledControls.accountId, PROD))).toEqual(
      [],
    );
  });

  test('an audit role without the standards permissions still scans findings; the standards stay as they were', async () => {
    const s = scenario();
    h = await scanHarness(s);
    await h.scan({ full: true });
    const before = await h.db.db.select().from(enabledStandards);
    s.roles.audit.missingActions = ['securityhub:GetEnabledStandards'];
    h.sim.world.updateFinding(idOf(PROD, 'us-east-1', 'S3.8', 's38-a'), { compliance: 'FAILED' });
    const result = await h.scan({ full: true });
    expect((await h.targets(result)).every((t) => t.status === 'ok')).toBe(true);
    expect((await h.rows()).some((f) => f.externalId === idOf(PROD, 'us-east-1', 'S3.8', 's38-a'))).toBe(
      true,
    );
    expect(h.sim.world.calls('GetEnabledStandards')).toBeGreaterThan(0);
    expect(await h.db.db.select().from(enabledStandards)).toEqual(before);
  });
});
