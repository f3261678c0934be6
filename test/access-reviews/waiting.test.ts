import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { accessReviewItems, accessReviews, accounts } from '../../src/db/schema.js';
import { waitingForReviewer } from '../../src/workflow/access-reviews.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// What App Home shows a reviewer: the undecided principals of open campaigns in the accounts they
// own (by tag or policy file) or that "Not mine" gave them, never their own user (by name, its
// local part, or a tag naming their email), never a gone account's, a closed campaign's or a decided
// one; counted by the database, the first few in campaign, account and name order.

let t: TestDatabase;
const ALICE = { userId: 'U0ALICE', email: 'alice@example.com' };
const BOB = { userId: 'U0BOB', email: 'bob@example.com' };
const [A1, A2, A3] = ['111111111111', '222222222222', '333333333333'];
const D1 = new Date('2026-12-20T00:00:00Z');
const D2 = new Date('2026-12-10T00:00:00Z');

const policy = path.join(tmpdir(), `warden-waiting-${process.pid}.json`);
writeFileSync(policy, JSON.stringify({ owners: { [A2]: ['U0BOB'] } }));
const config = loadConfig({ LOG_LEVEL: 'silent', WARDEN_POLICY_FILE: policy });

beforeAll(async () => {
  t = await openTestDatabase();
  const now = new Date('2026-12-01T00:00:00Z');
  await t.db.insert(accounts).values([
    { id: A1, name: 'prod', state: 'ACTIVE', tags: { owner: 'alice@example.com' } },
    { id: A2, name: 'data', state: 'ACTIVE' },
    { id: A3, name: 'old', state: 'ACTIVE', tags: { owner: 'alice@example.com' }, goneAt: now },
  ]);
  const review = (dueAt: Date, status: 'open' | 'closed' = 'open') => ({
    scope: {},
    dueAt,
    startedBy: 'U0ADMIN',
    startedAt: now,
    status,
  });
  const [r1, r2, r3] = await t.db
    .insert(accessReviews)
    .values([review(D1), review(D2), review(D1, 'closed')])
    .returning();
  const item = (
    reviewId: number,
    accountId: string,
    name: string,
    extra: Partial<typeof accessReviewItems.$inferInsert> = {},
  ) => ({
    reviewId,
    accountId,
    kind: 'user' as const,
    name,
    arn: `arn:aws:iam::${accountId}:${extra.kind ?? 'user'}/${name}`,
    details: {},
    addedAt: now,
    ...extra,
  });
  await t.db
    .insert(accessReviewItems)
    .values([
      item(r1!.id, A1, 'alice'),
      item(r1!.id, A1, 'svc-deploy', { details: { tags: { team: 'x', Owner: ' Alice@Example.com ' } } }),
      item(r1!.id, A1, 'dave'),
      item(r1!.id, A1, 'alice', { kind: 'role', details: { tags: ['not an object'] } }),
      item(r1!.id, A1, 'erin', { reviewer: 'U0BOB' }),
      item(r2!.id, A2, 'frank'),
      item(r2!.id, A2, 'gina', { reviewer: 'ALICE@example.com' }),
      item(r2!.id, A2, 'hank', { decision: 'keep', decidedBy: 'U0BOB', decidedAt: now }),
      item(r1!.id, A3, 'ivan'),
      item(r3!.id, A1, 'jane'),
    ]);
});
afterAll(async () => {
  await t.close();
});

test('an owner by tag sees their accounts’ principals and those given to them, not their own user', async () => {
  const waiting = await waitingForReviewer(t.db, config, ALICE, 2);
  expect({ ...waiting, first: waiting.first.map((i) => `${i.kind}:${i.name}@${i.accountName}`) }).toEqual({
    items: 3,
    reviews: [1, 2],
    firstDue: D2,
    first: ['role:alice@prod', 'user:dave@prod'],
  });
});

test('an owner by the policy file sees their account’s, and what "Not mine" gave them by Slack id', async () => {
  const waiting = await waitingForReviewer(t.db, config, BOB, 5);
  expect(waiting.first.map((i) => i.name)).toEqual(['erin', 'frank']);
  expect(waiting).toMatchObject({ items: 2, reviews: [1, 2], firstDue: D2 });
});

test('someone who owns nothing and was given nothing has nothing waiting', async () => {
  expect(
    await waitingForReviewer(t.db, config, { userId: 'U0CAROL', email: 'carol@example.com' }, 3),
  ).toEqual({
    items: 0,
    reviews: [],
    firstDue: null,
    first: [],
  });
});
