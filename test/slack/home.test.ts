import { afterAll, beforeAll, expect, test } from 'vitest';
import { remediationRequests } from '../../src/db/schema.js';
import { FINDING_ACTIONS, findingBlockId } from '../../src/slack/blocks/finding.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedAccounts, seedFinding } from '../support/seed.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// The App Home tab: assigned to me, my accounts, waiting for my approval; and triage from there.

const HOUR = 3_600_000;
let db: TestDatabase;
let s: SlackHarness;
let assigned: number;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedAccounts(db.db, [
    { id: '111111111111', name: 'prod-web', tags: { owner: 'alice@example.com' } },
    { id: '222222222222', name: 'dev-web', tags: { owner: 'U0BOB' } },
  ]);
  const mine = await seedFinding(db.db, {
    accountId: '111111111111',
    assignee: 'U0ALICE',
    severity: 'high',
    title: 'Root account has an active access key',
  });
  assigned = mine.id;
  await seedFinding(db.db, { accountId: '111111111111', severity: 'critical' });
  const request = (requestedBy: string, findingId: number, playbookId: string) => ({
    findingId,
    accountId: '111111111111',
    playbookId,
    plan: [],
    mode: 'dry-run' as const,
    reason: 'rotate',
    requestedBy,
    expiresAt: new Date(Date.now() + 72 * HOUR),
  });
  await db.db
    .insert(remediationRequests)
    .values([
      request('U0BOB', mine.id, 'deactivate-access-key'),
      request('U0ALICE', mine.id, 'delete-access-key'),
    ]);
  s = await slackHarness(db.db);
  s.slack.users.set('U0ALICE', 'alice@example.com');
  s.slack.users.set('U0EVE', 'eve@example.com');
});
afterAll(async () => {
  await s.close();
  await db.close();
});

const published = async (user: string, count: number) => {
  const calls = (await s.slack.waitFor('views.publish', count)).filter((c) => c.args.user_id === user);
  return JSON.stringify((calls.at(-1)!.args.view as { blocks: unknown[] }).blocks);
};

test('opening the Home tab shows what is assigned to me, my accounts’ posture, and the requests I may approve (not my own)', async () => {
  expect(
    (await s.event({ type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' })).status,
  ).toBe(200);
  const home = await published('U0ALICE', 1);
  expect(home).toContain('Assigned to me');
  expect(home).toContain('Root account has an active access key');
  expect(home).toContain('My accounts');
  expect(home).toContain('prod-web');
  expect(home).not.toContain('dev-web');
  expect(home).toContain(':red_circle: 1 critical');
  expect(home).toContain('Waiting for my approval');
  expect(home).toContain('Deactivate the access key');
  expect(home).not.toContain('Delete the unused access key');
});

test('a click in the Home tab changes the finding and publishes the tab again; a refused click says why there', async () => {
  const blockId = findingBlockId(assigned, { kind: 'home' });
  await s.act({ actionId: FINDING_ACTIONS.acknowledge, blockId, user: 'U0ALICE', home: true });
  expect(await published('U0ALICE', 2)).toContain('Acknowledged by <@U0ALICE>');

  await s.act({ actionId: FINDING_ACTIONS.reopen, blockId, user: 'U0EVE', home: true });
  const eve = await published('U0EVE', 3);
  expect(eve).toContain('You cannot reopen this');
  expect(eve).toContain('Nothing is assigned to you');
});
