import { afterAll, beforeAll, expect, test } from 'vitest';
import { findings, postureSnapshots, scans, scanTargets } from '../../src/db/schema.js';
import { dailyDigests } from '../../src/digest/daily.js';
import { weeklyDigestMessage } from '../../src/digest/weekly.js';
import { scanDoneBlocks } from '../../src/slack/blocks/scan.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { blockKitProblem } from '../support/fake-slack.js';
import { seedAccounts } from '../support/seed.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// An organization of 1,000 accounts, each with open findings and none scanned: every message keeps
// Slack's Block Kit limits (the fake Web API and the harness reject any that does not) and says how
// much it left out.

const ACCOUNTS = 1000;
const ids = Array.from({ length: ACCOUNTS }, (_, i) => String(200_000_000_000 + i));
let db: TestDatabase;
let s: SlackHarness;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedAccounts(
    db.db,
    ids.map((id, i) => ({ id, name: `workload-${i}`, tags: { owner: 'alice@example.com' } })),
  );
  const now = new Date();
  await db.db.insert(findings).values(
    ids.flatMap((accountId, i) =>
      (['critical', 'high', 'low'] as const).map((severity) => ({
        source: 'credential-report' as const,
        externalId: `warden:limits:${i}:${severity}`,
        accountId,
        region: 'global',
        resourceId: `arn:aws:iam::${accountId}:root`,
        title: `A ${severity} problem in workload-${i}`,
        severity,
        firstSeenAt: now,
        lastSeenAt: now,
      })),
    ),
  );
  const [scan] = await db.db
    .insert(scans)
    .values({ kind: 'full', trigger: 'cli', status: 'completed', finishedAt: now })
    .returning();
  await db.db.insert(scanTargets).values(
    ids.map((accountId) => ({
      scanId: scan!.id,
      accountId,
      region: 'us-east-1',
      source: 'securityhub' as const,
      status: 'failed' as const,
      failureKind: 'role-denied' as const,
      reason: `sts:AssumeRole in account ${accountId} (global): cannot assume arn:aws:iam::${accountId}:role/WardenAudit`,
      startedAt: now,
      finishedAt: now,
    })),
  );
  await db.db.insert(postureSnapshots).values(
    ids.map((accountId, i) => ({
      accountId,
      takenAt: now,
      ouPath: `Root/OU-${i % 40}`,
      openCritical: 1,
      openHigh: 1,
      openLow: 1,
    })),
  );
  s = await slackHarness(db.db);
  s.slack.users.set('U0ALICE', 'alice@example.com');
});
afterAll(async () => {
  await s.close();
  await db.close();
});

test('/posture of 1,000 accounts lists the worst, then "and N more", and cuts the unscanned list between lines', async () => {
  await s.command('/posture', '', 'U0ALICE', 'p1');
  const { text } = await s.answer('p1');
  expect(text).toContain('…and 990 more accounts with open findings');
  expect(text).toMatch(/…and \d+ more"/);
  expect(text).toContain(':red_circle: 1000 critical');
});

test('/warden whoami of the owner of 1,000 accounts fits one message', async () => {
  await s.command('/warden', 'whoami', 'U0ALICE', 'w1');
  const { args, text } = await s.answer('w1');
  expect((args.blocks as unknown[]).length).toBeLessThanOrEqual(50);
  expect(text).toMatch(/…and \d+ more accounts/);
});

test('the Home tab of the owner of 1,000 accounts fits Slack’s 100 blocks', async () => {
  await s.event({ type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home' });
  const [publish] = await s.slack.waitFor('views.publish');
  expect(blockKitProblem('views.publish', publish!.args)).toBeUndefined();
  const blocks = (publish!.args.view as { blocks: unknown[] }).blocks;
  expect(blocks.length).toBeLessThanOrEqual(100);
  expect(JSON.stringify(blocks)).toMatch(/…and \d+ more accounts/);
});

test('/findings and /posture <account> stay within limits however many findings match', async () => {
  await s.command('/findings', '', 'U0ALICE', 'f1');
  expect((await s.answer('f1')).text).toContain('1–10 of 3000');
  await s.command('/posture', 'workload-7', 'U0ALICE', 'a1');
  expect((await s.answer('a1')).text).toContain('workload-7');
});

test('a scan that could not read 1,000 accounts reports them in one message, ending with "and N more"', () => {
  const blocks = scanDoneBlocks(
    {
      scanId: 1,
      kind: 'full',
      accounts: ids,
      targets: { total: ids.length, failed: ids.length },
      totals: { new: 0, updated: 0, resolved: 0, reopened: 0 },
      notScanned: ids.map((accountId, i) => ({
        accountId,
        name: `workload-${i}`,
        reasons: ['cannot assume the audit role'],
      })),
    },
    'U0ADMIN',
  );
  expect(blockKitProblem('chat.update', { blocks })).toBeUndefined();
  expect(JSON.stringify(blocks)).toMatch(/…and \d+ more/);
});

test('the daily and weekly digests of 1,000 accounts keep Slack’s limits: the worst shown, then "and N more"', async () => {
  const window = { from: new Date(Date.now() - 7 * 86_400_000), to: new Date(Date.now() + 60_000) };
  const config = {
    ...s.config,
    policy: { ...s.config.policy, routing: { defaultChannel: '#security', ous: {} } },
  };
  const [daily] = await dailyDigests(db.db, config, window);
  expect(blockKitProblem('chat.postMessage', { blocks: daily!.message.blocks })).toBeUndefined();
  expect(JSON.stringify(daily!.message.blocks)).toContain('New critical and high findings (2000)');
  expect(JSON.stringify(daily!.message.blocks)).toMatch(/…and \d+ more/);

  const { message } = await weeklyDigestMessage(db.db, config, window, '2026-W48');
  expect(blockKitProblem('chat.postMessage', { blocks: message.blocks })).toBeUndefined();
  const text = JSON.stringify(message.blocks);
  expect(text).toContain('Score by account, worst first');
  expect(text).toContain('…and 985 more');
});
