import { and, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { rawRows } from '../../src/db/client.js';
import { repairIssues } from '../../src/db/issues.js';
import { auditEvents, type Finding, findings, suppressions } from '../../src/db/schema.js';
import { dailyFigures, slaBreaches } from '../../src/posture/digest-figures.js';
import { countFindings, listFindings } from '../../src/posture/findings-list.js';
import { openBySeverity } from '../../src/posture/summary.js';
import { DEFAULT_ROLES, type Scenario } from '../../src/sim/scenario.js';
import { SIM_CALLER } from '../../src/sim/scenarios.js';
import { FINDING_ACTIONS, findingBlockId } from '../../src/slack/blocks/finding.js';
import { reopenExpiredSuppressions, writeBackRoles } from '../../src/workflow/securityhub-sync.js';
import { suppress } from '../../src/workflow/triage.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// One issue per problem: the root user's access keys reported by Security Hub in two regions and by
// Warden's own check; Security Hub's per-standard copies (consolidated control findings off), current
// and legacy (no SecurityControlId). Each is one issue in every count, list and SLA, its triage
// reaches every copy, and each Security Hub copy gets the write-back.

const A = '111111111111'; // consolidated control findings; the root user has an access key
const B = '222222222222'; // per-standard copies (FSBP and CIS v1.2.0), carrying SecurityControlId
const C = '333333333333'; // per-standard copies as written before security control ids existed
const ALICE = 'U0ALICE'; // owns B
const DAY = 86_400_000;

function scenario(): Scenario {
  const account = (id: string, name: string, extra: Partial<Scenario['accounts'][number]>) => ({
    id,
    name,
    parent: 'r-root',
    tags: { owner: `owner-${name}@example.com` },
    iam: { passwordPolicy: { MinimumPasswordLength: 14, PasswordReusePrevention: 24 } },
    ...extra,
  });
  return {
    organizationId: 'o-issues00001',
    managementAccountId: A,
    rootId: 'r-root',
    ous: [],
    regions: ['us-east-1', 'eu-west-1'],
    callerCredentials: SIM_CALLER,
    roles: structuredClone(DEFAULT_ROLES),
    securityHub: { standards: ['fsbp', 'cis-1.2'] },
    accounts: [
      account(A, 'a', {
        iam: {
          root: { mfa: true, keys: [{ ageDays: 400, lastUsedDaysAgo: 200 }] },
          passwordPolicy: { MinimumPasswordLength: 14, PasswordReusePrevention: 24 },
        },
        findings: [
          { control: 'IAM.4', region: 'us-east-1', uuid: 'a-iam4-use1' },
          { control: 'IAM.4', region: 'eu-west-1', uuid: 'a-iam4-euw1' },
          { control: 'S3.8', region: 'us-east-1', uuid: 'a-s38' },
        ],
      }),
      account(B, 'b', {
        controlFindings: 'per-standard',
        findings: [
          { control: 'IAM.4', region: 'us-east-1' },
          { control: 'IAM.4', region: 'eu-west-1' },
        ],
      }),
      account(C, 'c', {
        controlFindings: 'per-standard-legacy',
        findings: [{ control: 'IAM.4', region: 'us-east-1' }],
      }),
    ],
  };
}

let h: ScanHarness;
let s: SlackHarness;
/** The simulator's clock runs ahead by this much: a new credential report needs 4 hours to pass. */
let ahead = 0;
beforeAll(async () => {
  h = await scanHarness(scenario(), {}, { simNow: () => Date.now() + ahead });
  await h.scan({ full: true });
  s = await slackHarness(h.db.db);
  s.slack.users.set(ALICE, 'owner-b@example.com');
});
afterAll(async () => {
  await s.close();
  await h.close();
});

const rootKeyRows = async (accountId: string) =>
  (await h.rows()).filter(
    (r) =>
      r.accountId === accountId && (r.controlId === 'IAM.4' || r.generatorId === 'warden/root-access-keys'),
  );
const primaries = (rows: Finding[]) => rows.filter((r) => r.duplicateOf === null);
const inSecurityHub = (f: Finding) => h.sim.world.findFinding(f.externalId)!;

describe('the findings of one problem', () => {
  test('Security Hub in two regions and Warden’s check are one issue, with one primary the others point at', async () => {
    const rows = await rootKeyRows(A);
    expect(rows.map((r) => [r.source, r.region]).sort()).toEqual([
      ['credential-report', 'global'],
      ['securityhub', 'eu-west-1'],
      ['securityhub', 'us-east-1'],
    ]);
    expect(new Set(rows.map((r) => r.issueKey))).toEqual(new Set([`${A}|IAM.4|AWS::::Account:${A}`]));
    const [primary, ...more] = primaries(rows);
    expect(more).toEqual([]);
    expect(primary!.id).toBe(Math.min(...rows.map((r) => r.id)));
    expect(rows.filter((r) => r !== primary).every((r) => r.duplicateOf === primary!.id)).toBe(true);
  });

  test('per-standard copies, with or without SecurityControlId, are one issue per account', async () => {
    const b = await rootKeyRows(B);
    // Two regions × FSBP's IAM.4 and CIS v1.2.0's rule 1.12.
    expect(b.map((r) => r.generatorId).sort()).toEqual([
      'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.12',
      'arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.12',
      'aws-foundational-security-best-practices/v/1.0.0/IAM.4',
      'aws-foundational-security-best-practices/v/1.0.0/IAM.4',
    ]);
    expect(primaries(b)).toHaveLength(1);
    const c = await rootKeyRows(C);
    expect(c).toHaveLength(2);
    // The legacy copies name no security control: the mapping does (FSBP's id, CIS v1.2.0's rule 1.12).
    expect(c.every((r) => r.controlId === 'IAM.4')).toBe(true);
    expect(primaries(c)).toHaveLength(1);
  });

  test('counts, the findings list, the posture and the SLA count each issue once', async () => {
    const all = await h.rows();
    const issues = new Set(all.filter((r) => r.status === 'open').map((r) => r.issueKey));
    expect(all.filter((r) => r.status === 'open').length).toBeGreaterThan(issues.size);
    expect(await countFindings(h.db.db, {})).toBe(issues.size);
    const page = await listFindings(h.db.db, {}, { limit: 100 });
    expect(page.rows.map((r) => r.id).sort()).toEqual(
      primaries(all)
        .map((r) => r.id)
        .sort(),
    );
    // One critical issue per account: the root user's access key.
    expect((await openBySeverity(h.db.db)).critical).toBe(3);
    expect((await openBySeverity(h.db.db, [B])).critical).toBe(1);
    const late = await slaBreaches(h.db.db, new Date(Date.now() + 60 * DAY), h.config.policy.slaDays);
    expect(late.bySeverity.critical).toBe(3);
    expect(
      late.oldest
        .filter((l) => l.severity === 'critical')
        .map((l) => l.accountId)
        .sort(),
    ).toEqual([A, B, C]);
    // A filter by control finds the issue, not each of its findings.
    expect(await countFindings(h.db.db, { controls: ['IAM.4'], accountId: B })).toBe(1);
    // So does Warden's check, whichever finding of the issue stands for it.
    expect(await countFindings(h.db.db, { controls: ['root-access-keys'] })).toBe(1);
    const [issue] = primaries(await rootKeyRows(A));
    expect(
      (await listFindings(h.db.db, { controls: ['root-access-keys'] }, { limit: 5 })).rows.map((r) => r.id),
    ).toEqual([issue!.id]);
  });

  test('the issue lists where else it is reported', async () => {
    const [primary] = primaries(await rootKeyRows(A));
    const page = await listFindings(h.db.db, { ids: [primary!.id] }, { limit: 1 });
    const others = page.rows[0]!.otherSources;
    expect(others.map((o) => o.source).sort()).toEqual(
      primary!.source === 'securityhub'
        ? ['credential-report', 'securityhub']
        : ['securityhub', 'securityhub'],
    );
  });
});

describe('triage of an issue', () => {
  test('acknowledging it in Slack acknowledges every copy, audits once, and writes back to each in Security Hub', async () => {
    const rows = await rootKeyRows(B);
    const [primary] = primaries(rows);
    const writes = h.sim.world.calls('BatchUpdateFindings');
    const res = await s.act({
      actionId: FINDING_ACTIONS.acknowledge,
      blockId: findingBlockId(primary!.id, { kind: 'card' }),
      user: ALICE,
      responseId: 'ack',
    });
    expect(res.status).toBe(200);
    const { text } = await s.answer('ack');
    expect(text).toContain(`Acknowledged by <@${ALICE}>`);
    expect(text).toContain('Also reported by:');
    const after = await rootKeyRows(B);
    expect(after.map((r) => [r.status, r.awsWorkflowStatus])).toEqual(
      rows.map(() => ['acknowledged', 'NOTIFIED']),
    );
    for (const r of after) expect(inSecurityHub(r).workflow).toBe('NOTIFIED');
    // One write per account and region holding copies.
    expect(h.sim.world.calls('BatchUpdateFindings') - writes).toBe(2);
    const [event] = await h.db.db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.action, 'finding.acknowledged'),
          eq(auditEvents.subject, `finding:${primary!.id}`),
        ),
      );
    expect((event!.details as { findings: number[] }).findings.sort()).toEqual(rows.map((r) => r.id).sort());
    // Still one issue, acknowledged.
    expect(await countFindings(h.db.db, { accountId: B, status: 'acknowledged' })).toBe(1);
  });

  test('a suppression covers every copy, counts once, and its end reopens every copy here and in Security Hub', async () => {
    const rows = await rootKeyRows(C);
    const result = await suppress(h.db.db, {
      findingId: rows[0]!.id,
      actor: 'U0ADMIN',
      reason: 'break-glass key, rotated quarterly',
      expiresAt: new Date(Date.now() + 7 * DAY),
      maxDays: 90,
    });
    expect(result.sources.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(await h.db.db.$count(suppressions, isNull(suppressions.liftedAt))).toBe(2);
    const daily = await dailyFigures(
      h.db.db,
      { from: new Date(Date.now() - DAY), to: new Date() },
      h.config.policy,
    );
    expect(daily.suppressions.active).toBe(1);

    const clients = new AwsClients({ maxAttempts: 3, maxSockets: 4 });
    const deps = { db: h.db.db, config: h.config, clients, roles: writeBackRoles(clients, h.config) };
    expect(await reopenExpiredSuppressions(deps, new Date(Date.now() + 8 * DAY))).toBe(2);
    clients.destroy();
    const after = await rootKeyRows(C);
    expect(after.map((r) => r.status)).toEqual(['open', 'open']);
    for (const r of after) expect(inSecurityHub(r).workflow).toBe('NEW');
    expect(await h.db.db.$count(suppressions, isNull(suppressions.liftedAt))).toBe(0);
  });
});

describe('an issue as its findings change', () => {
  test('stays open while any finding of it fails, and resolves when the last one passes', async () => {
    // The root key goes: Warden's check passes at the next scan, Security Hub's evaluations later.
    h.sim.world.account(A)!.root.keys = [];
    ahead += 5 * 3_600_000;
    await h.scan({ full: true });
    let rows = await rootKeyRows(A);
    expect(rows.find((r) => r.source === 'credential-report')!.status).toBe('resolved');
    let [primary] = primaries(rows);
    expect(primary).toMatchObject({ source: 'securityhub', status: 'open' });
    expect((await openBySeverity(h.db.db, [A])).critical).toBe(1);
    // Warden's check still finds the open issue it was part of.
    expect(await countFindings(h.db.db, { controls: ['root-access-keys'], accountId: A })).toBe(1);

    for (const r of rows.filter((r) => r.source === 'securityhub'))
      h.sim.world.updateFinding(r.externalId, { compliance: 'PASSED' });
    await h.scan({ full: true });
    rows = await rootKeyRows(A);
    expect(rows.every((r) => r.status === 'resolved')).toBe(true);
    [primary] = primaries(rows);
    expect(primary!.id).toBe(Math.min(...rows.map((r) => r.id)));
    expect((await openBySeverity(h.db.db, [A])).critical).toBe(0);
    expect(await countFindings(h.db.db, { accountId: A, status: 'resolved', controls: ['IAM.4'] })).toBe(1);
  });

  test('a grouping left broken (two statements at once, a stopped process) is repaired, and the counts with it', async () => {
    const before = await openBySeverity(h.db.db);
    await h.db.db.update(findings).set({ duplicateOf: null });
    expect((await openBySeverity(h.db.db)).critical).toBeGreaterThan(before.critical);
    expect(await repairIssues(h.db.db)).toBeGreaterThan(0);
    expect(await openBySeverity(h.db.db)).toEqual(before);
    const wrong = await rawRows(
      h.db.db,
      sql`select issue_key from findings group by issue_key having count(*) filter (where duplicate_of is null) <> 1`,
    );
    expect(wrong).toEqual([]);
  });
});
