import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { dailyDigestJob } from '../../jobs/daily-digest.js';
import { weeklyDigestJob } from '../../jobs/weekly-digest.js';
import { AwsClients } from '../../src/aws/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import { NO_SCAN_YET } from '../../src/db/scans.js';
import { digestsSent, postureSnapshots, scans } from '../../src/db/schema.js';
import { deliverDigest } from '../../src/digest/deliver.js';
import { createLogger } from '../../src/log.js';
import { runtimeOn } from '../../src/runtime.js';
import type { JobDeps } from '../../src/schedule/job.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { servicesOn } from '../../src/services.js';
import { SlackDirectory } from '../../src/slack/identity.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { blockKitProblem, channelIdOf, FakeSlack } from '../support/fake-slack.js';
import { seedAccounts, seedFinding } from '../support/seed.js';

// Digests delivered to the fake Slack Web API by the scheduled jobs: once per period and channel,
// with the weekly chart in the thread, through rate limits and failures.

const MONDAY = new Date('2026-11-23T09:00:00Z');
let t: TestDatabase;
let slack: FakeSlack;
let clients: AwsClients;
let config: Config;
let deps: JobDeps;

beforeAll(async () => {
  t = await openTestDatabase();
  slack = await new FakeSlack().start();
  slack.users.set('U0BOSS', 'boss@example.com');
  config = loadConfig({ LOG_LEVEL: 'silent' });
  config.policy.managers = ['boss@example.com'];
  config.policy.routing = {
    defaultChannel: '#security',
    ous: { 'Root/Prod': '#prod-security' },
    weeklyChannel: '#leaders',
  };
  await seedAccounts(t.db, [
    { id: '111111111111', name: 'prod-web', ouPath: 'Root/Prod' },
    { id: '222222222222', name: 'dev-web', ouPath: 'Root/Dev' },
  ]);
  await seedFinding(t.db, {
    accountId: '111111111111',
    severity: 'critical',
    firstSeenAt: new Date('2026-11-22T12:00:00Z'),
  });
  await seedFinding(t.db, {
    accountId: '222222222222',
    severity: 'high',
    firstSeenAt: new Date('2026-11-22T13:00:00Z'),
  });
  await t.db.insert(postureSnapshots).values(
    [28, 21, 14, 7, 0].flatMap((daysAgo, i) =>
      ['111111111111', '222222222222'].map((accountId) => ({
        accountId,
        takenAt: new Date(MONDAY.getTime() - daysAgo * 86_400_000 - 3_600_000),
        ouPath: accountId.startsWith('1') ? 'Root/Prod' : 'Root/Dev',
        openCritical: 5 - i,
        openHigh: 3,
      })),
    ),
  );
  clients = new AwsClients({ maxAttempts: 1, maxSockets: 1 });
  const web = new webApi.WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 },
  });
  const services = await servicesOn(runtimeOn(config, t.db, { log: createLogger('silent') }), { clients });
  deps = { ...services, slack: { web, directory: new SlackDirectory(web) } };
});
afterAll(async () => {
  clients.destroy();
  await slack.stop();
  await t.close();
});

const posts = (channel: string) =>
  slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel);

/** The width and height a PNG declares in its IHDR chunk, after checking its signature. */
function pngSize(png: Buffer) {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test('before any scan has completed, both digests wait: nothing is sent and no period is marked sent', async () => {
  for (const job of [dailyDigestJob, weeklyDigestJob]) {
    expect(await job.run(deps, MONDAY)).toEqual({ skipped: NO_SCAN_YET });
  }
  expect(slack.callsTo('chat.postMessage')).toEqual([]);
  expect(await t.db.select().from(digestsSent)).toEqual([]);
  // The history the snapshots describe: a scan completed (the next tests send).
  await t.db
    .insert(scans)
    .values({ kind: 'full', trigger: 'schedule', status: 'completed', finishedAt: MONDAY });
});

test('the weekly digest goes to the weekly channel and to each manager, with its chart (a valid 800×400 PNG) in the thread', async () => {
  expect(
    await new Scheduler({ ...deps, now: () => MONDAY }, [weeklyDigestJob]).fire(weeklyDigestJob, MONDAY),
  ).toBe('ran');
  for (const channel of ['#leaders', 'U0BOSS']) {
    const [post] = posts(channel);
    expect(blockKitProblem('chat.postMessage', post!.args)).toBeUndefined();
    expect(JSON.stringify(post!.args.blocks)).toContain('Weekly compliance digest, 2026-W47');
  }
  const completes = slack.callsTo('files.completeUploadExternal');
  // The chart is shared where the message went: Slack's channel ids (the DM's, not the user's).
  expect(completes.map((c) => c.args.channel_id).sort()).toEqual([
    channelIdOf('#leaders'),
    channelIdOf('U0BOSS'),
  ]);
  expect(completes.every((c) => typeof c.args.thread_ts === 'string')).toBe(true);
  const [fileId] = (completes[0]!.args.files as Array<{ id: string }>).map((f) => f.id);
  expect(pngSize(slack.uploads.get(fileId!)!)).toEqual({ width: 800, height: 400 });
  const rows = await t.db.select().from(digestsSent);
  expect(rows.map((r) => [r.kind, r.period, r.channel, r.status])).toEqual([
    ['weekly', '2026-W47', '#leaders', 'sent'],
    ['weekly', '2026-W47', 'U0BOSS', 'sent'],
  ]);
  expect(rows.every((r) => r.messageTs)).toBe(true);
});

test('after a restart the same week is not sent again, neither by catching up nor by running the job again', async () => {
  const before = slack.callsTo('chat.postMessage').length;
  await new Scheduler({ ...deps, now: () => new Date(MONDAY.getTime() + 3_600_000) }, [
    weeklyDigestJob,
  ]).catchUp();
  await weeklyDigestJob.run(deps, MONDAY);
  expect(slack.callsTo('chat.postMessage').length).toBe(before);
});

test('the daily digest goes to the default channel (the organization) and to each OU channel (its accounts)', async () => {
  expect(
    await new Scheduler({ ...deps, now: () => MONDAY }, [dailyDigestJob]).fire(dailyDigestJob, MONDAY),
  ).toBe('ran');
  const org = JSON.stringify(posts('#security')[0]!.args.blocks);
  const prod = JSON.stringify(posts('#prod-security')[0]!.args.blocks);
  expect(org).toContain('New critical and high findings (2)');
  expect(prod).toContain('New critical and high findings (1)');
  expect(prod).toContain('accounts routed to #prod-security');
});

test('Slack’s rate limit is waited out (Retry-After) and the digest is sent once', async () => {
  slack.troubleNext('chat.postMessage', { rateLimitedFor: 1 });
  const started = Date.now();
  const sent = await deliverDigest(t.db, deps.slack!.web, {
    kind: 'daily',
    period: 'rate-limit-test',
    channel: '#ratelimited',
    message: { text: 'digest', blocks: [] },
  });
  expect(sent.status).toBe('sent');
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect(posts('#ratelimited')).toHaveLength(2); // the refused call, then the one that went through
});

test('a failed delivery is retried and recorded; a later run sends it; then never again', async () => {
  for (let i = 0; i < 3; i++) slack.troubleNext('chat.postMessage', { error: 'channel_not_found' });
  const d = {
    kind: 'daily' as const,
    period: 'failure-test',
    channel: '#gone',
    message: { text: 'digest', blocks: [] },
  };
  const failed = await deliverDigest(t.db, deps.slack!.web, d, [0, 0]);
  expect(failed).toMatchObject({ status: 'failed', attempts: 3, error: 'channel_not_found' });
  const sent = await deliverDigest(t.db, deps.slack!.web, d, [0, 0]);
  expect(sent).toMatchObject({ status: 'sent', attempts: 4, error: null });
  await deliverDigest(t.db, deps.slack!.web, d, [0, 0]);
  expect(posts('#gone')).toHaveLength(4);
});
