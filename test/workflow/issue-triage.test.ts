import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ingestFindings } from '../../src/db/findings.js';
import { issuesLackingTriage } from '../../src/db/issues.js';
import { assignments, auditEvents, findings, suppressions } from '../../src/db/schema.js';
import type { Finding } from '../../src/findings/finding.js';
import { carryIssueTriage } from '../../src/workflow/issue-triage.js';
import { acknowledge, assign, suppress } from '../../src/workflow/triage.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { rootKeyEvaluation } from '../support/findings.js';

// Triage follows the issue: a finding that joins an issue a person has triaged (a region enabled
// later, a copy that comes back) takes on that triage, once, audited; and an issue a stopped process
// left without its triage is found again (as the scan's conclusion looks for it).

let t: TestDatabase;
beforeEach(async () => {
  t = await openTestDatabase();
});
afterEach(async () => {
  await t.close();
});

const ACCOUNT = '123456789012';

/** Security Hub's IAM.4 evaluation of the account's root user in one region. */
const iam4 = (region: string): Finding => rootKeyEvaluation(ACCOUNT, region);

const rowIn = async (region: string) =>
  (await t.db.select().from(findings).where(eq(findings.region, region)))[0]!;
const carriedEvents = () =>
  t.db.select().from(auditEvents).where(eq(auditEvents.action, 'finding.triage-carried'));

test('a region enabled after the issue was suppressed and assigned takes both, with one audit event', async () => {
  const now = new Date();
  await ingestFindings(t.db, [[iam4('us-east-1')]], 1, now);
  const first = await rowIn('us-east-1');
  const until = new Date(now.getTime() + 7 * 86_400_000);
  await suppress(t.db, {
    findingId: first.id,
    actor: 'U0OWNER',
    reason: 'break-glass key',
    expiresAt: until,
    maxDays: 90,
    now,
  });
  await assign(t.db, first.id, 'U0FIXER', 'U0OWNER', now);

  const stored = await ingestFindings(t.db, [[iam4('eu-west-1')]], 2, now);
  expect(await issuesLackingTriage(t.db)).toEqual(stored.lackingTriage);
  const carried = await carryIssueTriage(t.db, stored.lackingTriage, now);

  const joined = await rowIn('eu-west-1');
  expect(joined).toMatchObject({
    status: 'suppressed',
    assignee: 'U0FIXER',
    statusChangedBy: 'warden:issue',
  });
  expect(carried).toEqual([
    { from: first.id, findings: [joined.id], status: 'suppressed', assignee: 'U0FIXER' },
  ]);
  expect(await t.db.select().from(suppressions).where(eq(suppressions.findingId, joined.id))).toMatchObject([
    { reason: 'break-glass key', createdBy: 'U0OWNER', expiresAt: until, liftedAt: null },
  ]);
  expect(await t.db.select().from(assignments).where(eq(assignments.findingId, joined.id))).toMatchObject([
    { assignee: 'U0FIXER', assignedBy: 'warden:issue', endedAt: null },
  ]);
  expect(await carriedEvents()).toMatchObject([
    {
      actor: 'warden:issue',
      subject: `finding:${first.id}`,
      details: { findings: [joined.id], status: 'suppressed', assignee: 'U0FIXER' },
    },
  ]);
  // Carried once: nothing lacks it now, and carrying again changes nothing.
  expect(await issuesLackingTriage(t.db)).toEqual([]);
  expect(await carryIssueTriage(t.db, stored.lackingTriage, now)).toEqual([]);
  expect(await carriedEvents()).toHaveLength(1);
});

test('a copy that comes back while its issue is acknowledged is acknowledged; once the whole issue resolved, nothing is carried', async () => {
  const now = new Date();
  const store = async (scan: number, ...found: Finding[]) => {
    const stored = await ingestFindings(t.db, [found], scan, now);
    return carryIssueTriage(t.db, stored.lackingTriage, now);
  };
  await store(1, iam4('us-east-1'), iam4('eu-west-1'));
  await acknowledge(t.db, (await rowIn('us-east-1')).id, 'U0OWNER', now);
  await store(2, { ...iam4('eu-west-1'), failing: false });
  expect((await rowIn('eu-west-1')).status).toBe('resolved');

  expect(await store(3, iam4('eu-west-1'))).toMatchObject([{ status: 'acknowledged' }]);
  expect(await rowIn('eu-west-1')).toMatchObject({ status: 'acknowledged', regression: true });

  await store(4, { ...iam4('us-east-1'), failing: false }, { ...iam4('eu-west-1'), failing: false });
  expect(await store(5, iam4('us-east-1'))).toEqual([]);
  expect((await rowIn('us-east-1')).status).toBe('open');
  expect(await carriedEvents()).toHaveLength(1);
});
