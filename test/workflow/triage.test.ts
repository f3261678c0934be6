import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { assignments, auditEvents, findings, suppressions } from '../../src/db/schema.js';
import {
  acknowledge,
  assign,
  expireSuppressions,
  reopen,
  suppress,
  TriageError,
  unsuppress,
} from '../../src/workflow/triage.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
let id: number;
const NOW = new Date('2026-11-23T12:00:00Z');
const DAY = 86_400_000;

beforeEach(async () => {
  t = await openTestDatabase();
  const [row] = await t.db
    .insert(findings)
    .values({
      source: 'securityhub',
      productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
      externalId: 'arn:aws:securityhub:us-east-1:111122223333:security-control/S3.8/finding/1',
      accountId: '111122223333',
      region: 'us-east-1',
      resourceId: 'arn:aws:s3:::data',
      title: 'S3 general purpose buckets should block public access',
      severity: 'high',
      firstSeenAt: NOW,
      lastSeenAt: NOW,
    })
    .returning();
  id = row!.id;
});
afterEach(async () => {
  await t.close();
});

const status = async () => (await t.db.select().from(findings).where(eq(findings.id, id)))[0]!.status;
const events = () => t.db.select().from(auditEvents).orderBy(auditEvents.seq);

describe('triage transitions', () => {
  test('acknowledge changes state and writes its audit event together; a second click changes nothing', async () => {
    expect((await acknowledge(t.db, id, 'U0ALICE', NOW)).changed).toBe(true);
    expect((await acknowledge(t.db, id, 'U0ALICE', NOW)).changed).toBe(false);
    expect(await status()).toBe('acknowledged');
    expect((await events()).map((e) => [e.actor, e.action, e.subject])).toEqual([
      ['U0ALICE', 'finding.acknowledged', `finding:${id}`],
    ]);
  });

  test('the same click delivered many times at once changes state once', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => acknowledge(t.db, id, 'U0ALICE', NOW)));
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(await events()).toHaveLength(1);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  test('a suppression needs a reason and an expiry no further than the policy allows; a refused one changes nothing', async () => {
    const base = { findingId: id, actor: 'U0ALICE', maxDays: 90, now: NOW };
    await expect(
      suppress(t.db, { ...base, reason: ' ', expiresAt: new Date(NOW.getTime() + DAY) }),
    ).rejects.toThrow(TriageError);
    await expect(
      suppress(t.db, { ...base, reason: 'accepted', expiresAt: new Date(NOW.getTime() + 91 * DAY) }),
    ).rejects.toThrow(/at most 90 days/);
    await expect(
      suppress(t.db, { ...base, reason: 'accepted', expiresAt: new Date(NOW.getTime() - DAY) }),
    ).rejects.toThrow(/future/);
    expect(await status()).toBe('open');
    expect(await t.db.$count(suppressions)).toBe(0);
    expect(await events()).toHaveLength(0);
  });

  test('an expired suppression reopens its finding, once, and says so in the audit trail', async () => {
    await suppress(t.db, {
      findingId: id,
      actor: 'U0ALICE',
      reason: 'vendor fix due',
      expiresAt: new Date(NOW.getTime() + 7 * DAY),
      maxDays: 90,
      now: NOW,
    });
    expect(await status()).toBe('suppressed');
    expect(await expireSuppressions(t.db, new Date(NOW.getTime() + 6 * DAY))).toEqual([]);
    expect((await expireSuppressions(t.db, new Date(NOW.getTime() + 8 * DAY))).map((f) => f.id)).toEqual([
      id,
    ]);
    expect(await expireSuppressions(t.db, new Date(NOW.getTime() + 9 * DAY))).toEqual([]);
    expect(await status()).toBe('open');
    const [s] = await t.db.select().from(suppressions);
    expect(s).toMatchObject({ liftedBy: 'warden:expiry', reason: 'vendor fix due' });
    expect((await events()).map((e) => e.action)).toEqual(['finding.suppressed', 'suppression.expired']);
  });

  test('unsuppress lifts the suppression; reopen undoes an acknowledgement', async () => {
    await suppress(t.db, {
      findingId: id,
      actor: 'U0ALICE',
      reason: 'r',
      expiresAt: new Date(NOW.getTime() + DAY),
      maxDays: 90,
      now: NOW,
    });
    expect((await unsuppress(t.db, id, 'U0BOB', NOW)).changed).toBe(true);
    expect((await t.db.select().from(suppressions))[0]).toMatchObject({ liftedBy: 'U0BOB' });
    await acknowledge(t.db, id, 'U0BOB', NOW);
    expect((await reopen(t.db, id, 'U0BOB', NOW)).changed).toBe(true);
    expect(await status()).toBe('open');
  });

  test('assigning the same person twice changes nothing the second time', async () => {
    expect((await assign(t.db, id, 'U0CAROL', 'U0ALICE', NOW)).changed).toBe(true);
    expect((await assign(t.db, id, 'U0CAROL', 'U0ALICE', NOW)).changed).toBe(false);
    expect((await assign(t.db, id, 'U0DAVE', 'U0ALICE', NOW)).changed).toBe(true);
    const rows = await t.db.select().from(assignments).orderBy(assignments.id);
    expect(rows.map((r) => [r.assignee, r.endedAt !== null])).toEqual([
      ['U0CAROL', true],
      ['U0DAVE', false],
    ]);
    expect((await events()).map((e) => e.action)).toEqual(['finding.assigned', 'finding.assigned']);
  });
});
