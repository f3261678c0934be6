import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { ingestFindings, resolveUnseen } from '../../src/db/findings.js';
import { findings } from '../../src/db/schema.js';
import type { Finding as SourceFinding } from '../../src/findings/finding.js';
import { SEVERITIES } from '../../src/findings/severity.js';
import {
  accountsWithOpenFindings,
  openBySeverity,
  openBySeverityOf,
  worstAccounts,
} from '../../src/posture/summary.js';
import {
  acknowledge,
  assign,
  expireSuppressions,
  reopen,
  suppress,
  unsuppress,
} from '../../src/workflow/triage.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedAccounts } from '../support/seed.js';

// finding_counts is kept by a trigger on findings, whoever writes them: after every kind of change
// (ingest, resolution by absence, triage, suppression expiry, deletion, truncation) it holds exactly
// what counting the findings gives, and the posture figures read from it equal the old queries that
// counted the findings themselves.

let t: TestDatabase;
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const at = (minutes: number) => new Date(Date.parse('2026-11-02T09:00:00Z') + minutes * 60_000);

function incoming(i: number, fields: Partial<SourceFinding> = {}): SourceFinding {
  return {
    source: i % 5 === 0 ? 'credential-report' : 'securityhub',
    productArn: i % 5 === 0 ? '' : 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    externalId: `finding-${i}`,
    accountId: ACCOUNTS[i % ACCOUNTS.length]!,
    region: i % 5 === 0 ? 'global' : ['us-east-1', 'eu-west-1'][i % 2]!,
    resourceType: 'AwsS3Bucket',
    resourceId: `arn:aws:s3:::bucket-${i}`,
    controlId: `S3.${i % 7}`,
    generatorId: null,
    title: `Finding ${i}`,
    description: null,
    severity: SEVERITIES[i % SEVERITIES.length]!,
    compliance: 'FAILED',
    awsWorkflowStatus: 'NEW',
    firstObservedAt: at(0),
    sourceUpdatedAt: at(0),
    remediationText: null,
    remediationUrl: null,
    evidence: {},
    failing: true,
    ...fields,
  };
}

/** What counting the findings themselves gives, as finding_counts holds it (rows with zero left out). */
async function countedFromFindings() {
  return rawRows(
    t.db,
    sql`select account_id, source, severity, status, count(*)::int as n from findings
        group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
  );
}
async function keptCounts() {
  return rawRows(
    t.db,
    sql`select account_id, source, severity, status, n::int as n from finding_counts
        where n <> 0 order by 1, 2, 3, 4`,
  );
}
async function expectCountsInStep() {
  expect(await keptCounts()).toEqual(await countedFromFindings());
}

beforeAll(async () => {
  t = await openTestDatabase();
  await seedAccounts(
    t.db,
    ACCOUNTS.map((id, i) => ({ id, name: `account-${i}`, ouPath: `Root/OU-${i % 2}` })),
  );
});
afterAll(async () => {
  await t.close();
});

const idOf = async (externalId: string) =>
  (await rawRows<{ id: number }>(t.db, sql`select id from findings where external_id = ${externalId}`))[0]!
    .id;

test('the counts follow ingest, resolution, triage, expiry, deletion and truncation', async () => {
  await ingestFindings(t.db, [Array.from({ length: 60 }, (_, i) => incoming(i))], 1, at(1));
  await expectCountsInStep();

  // Three pages in one statement refresh some (now more severe), resolve some, add some: each
  // page gets its own counts.
  const { pages: perPage } = await ingestFindings(
    t.db,
    [
      Array.from({ length: 10 }, (_, i) => incoming(i, { severity: 'critical' })),
      Array.from({ length: 8 }, (_, i) => incoming(10 + i, { failing: false })),
      Array.from({ length: 5 }, (_, i) => incoming(100 + i)),
    ],
    2,
    at(2),
  );
  expect(perPage).toEqual([
    // Two of the ten were critical already: eight changed.
    { new: 0, updated: 8, reopened: 0, resolved: 0 },
    { new: 0, updated: 0, reopened: 0, resolved: 8 },
    { new: 5, updated: 0, reopened: 0, resolved: 0 },
  ]);
  await expectCountsInStep();

  // A resolved finding seen again reopens; findings a complete scan did not see are resolved.
  await ingestFindings(t.db, [[incoming(11)]], 3, at(3));
  await resolveUnseen(
    t.db,
    sql`select 0 as target, 'securityhub' as source, ${ACCOUNTS[1]!}::text as account_id, 'us-east-1' as region`,
    3,
    at(3),
  );
  await expectCountsInStep();

  // People triage: acknowledge, suppress, lift, reopen, assign; a suppression expires.
  const [a, b, c, d] = await Promise.all(['finding-21', 'finding-22', 'finding-23', 'finding-24'].map(idOf));
  await acknowledge(t.db, a!, 'U0ALICE', at(4));
  await suppress(t.db, {
    findingId: b!,
    actor: 'U0ALICE',
    reason: 'accepted risk',
    expiresAt: at(60 * 24),
    maxDays: 90,
    now: at(4),
  });
  await suppress(t.db, {
    findingId: c!,
    actor: 'U0ALICE',
    reason: 'accepted risk',
    expiresAt: at(60),
    maxDays: 90,
    now: at(4),
  });
  await unsuppress(t.db, b!, 'U0BOB', at(5));
  await reopen(t.db, a!, 'U0BOB', at(5));
  await assign(t.db, d!, 'U0CAROL', 'U0BOB', at(5));
  await expectCountsInStep();
  expect(await expireSuppressions(t.db, at(61))).toHaveLength(1);
  await expectCountsInStep();

  await t.db.delete(findings).where(sql`${findings.externalId} in ('finding-30', 'finding-31')`);
  await expectCountsInStep();
});

test('the posture figures read from the counts equal the old queries over every finding', async () => {
  const old = await rawRows<{ severity: string; n: number }>(
    t.db,
    sql`select severity, count(*)::int as n from findings
        where status not in ('resolved', 'suppressed') group by severity`,
  );
  const open = await openBySeverity(t.db);
  for (const s of SEVERITIES) expect(open[s]).toBe(old.find((r) => r.severity === s)?.n ?? 0);

  const oldWorst = await rawRows<{ account_id: string; critical: number; high: number }>(
    t.db,
    sql`select account_id, count(*) filter (where severity = 'critical')::int as critical,
          count(*) filter (where severity = 'high')::int as high
        from findings where status not in ('resolved', 'suppressed') group by account_id
        order by count(*) filter (where severity = 'critical') desc, count(*) filter (where severity = 'high') desc,
          count(*) filter (where severity = 'medium') desc, count(*) filter (where severity = 'low') desc, account_id`,
  );
  const worst = await worstAccounts(t.db, 10);
  expect(worst.map((w) => [w.accountId, w.open.critical, w.open.high])).toEqual(
    oldWorst.map((w) => [w.account_id, w.critical, w.high]),
  );
  expect(await accountsWithOpenFindings(t.db)).toBe(oldWorst.length);

  const perAccount = await openBySeverityOf(t.db, [...ACCOUNTS, '999999999999']);
  expect(perAccount.get('999999999999')).toEqual({
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
    informational: 0,
  });
  for (const w of worst) expect(perAccount.get(w.accountId)).toEqual(w.open);
});

test('truncating the findings empties the counts', async () => {
  await t.db.execute(sql`truncate findings cascade`);
  expect(await keptCounts()).toEqual([]);
  await ingestFindings(t.db, [[incoming(1), incoming(2)]], 9, at(10));
  await expectCountsInStep();
});
