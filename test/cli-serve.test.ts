import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { run } from '../src/cli/index.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';
import { jobRuns } from '../src/db/schema.js';
import { freePort } from './support/cli.js';
import { openEmptyDatabase, type TestDatabase } from './support/database.js';
import { FakeSlack } from './support/fake-slack.js';
import { postToSlackEndpoint } from './support/signed-request.js';
import { wiring } from './support/wiring.js';

const SECRET = 'abcdef0123456789abcdef0123456789';
let slack: FakeSlack;
let pg: TestDatabase | undefined;
let dir: string;

beforeAll(async () => {
  slack = await new FakeSlack().start();
  pg = process.env.DATABASE_URL ? await openEmptyDatabase() : undefined;
  dir = mkdtempSync(path.join(tmpdir(), 'warden-serve-'));
});
afterAll(async () => {
  await slack.stop();
  await pg?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('warden serve without Slack settings names what is missing and exits 2', async () => {
  let stderr = '';
  const code = await run(
    ['serve'],
    {
      env: { WARDEN_DATA_DIR: path.join(dir, 'none'), LOG_LEVEL: 'silent' },
      cwd: process.cwd(),
      stdout: () => {},
      stderr: (s) => {
        stderr += s;
      },
    },
    wiring,
  );
  expect(code).toBe(2);
  expect(stderr).toMatch(/SLACK_BOT_TOKEN: missing \(required to talk to Slack\)/);
});

test('warden serve migrates, answers signed Slack requests, /healthz and /metrics, runs the scheduler, and stops cleanly', async () => {
  const port = await freePort();
  const stop = new AbortController();
  let stderr = '';
  const serving = run(
    ['serve'],
    {
      env: {
        ...(pg
          ? { DATABASE_URL: pg.url!, WARDEN_MIGRATION_DATABASE_URL: pg.url! }
          : { WARDEN_DATA_DIR: path.join(dir, 'db') }),
        SLACK_BOT_TOKEN: 'xoxb-serve-test',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        // No scan may fire during the test (it would look for real AWS); the digests keep their defaults.
        WARDEN_SCAN_CRON: '0 0 1 1 *',
        WARDEN_FULL_SCAN_CRON: '0 0 1 1 *',
      },
      cwd: process.cwd(),
      stdout: () => {},
      stderr: (s) => {
        stderr += s;
      },
      stop: stop.signal,
    },
    wiring,
  );
  for (let i = 0; i < 100 && !stderr.includes('serving Slack'); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(stderr).toContain(`serving Slack (HTTP on port ${port})`);
  expect(stderr).toContain('scheduled jobs on (UTC)');

  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  const res = await postToSlackEndpoint(`http://127.0.0.1:${port}/slack/events`, SECRET, {
    command: '/warden',
    text: 'help',
    user_id: 'U0ALICE',
    channel_id: 'C0SEC',
    team_id: 'T0TEST',
    response_url: slack.responseUrl(),
    trigger_id: '1.2.3',
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ response_type: 'ephemeral' });

  // Prometheus's scrape: the process, the Slack request just handled, the catch-up runs at start.
  let metrics = '';
  for (let i = 0; i < 50 && !metrics.includes('warden_scheduled_runs_total{job="weekly-digest"'); i++) {
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    metrics = await scrape.text();
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(metrics).toMatch(/^warden_process_resident_memory_bytes \d+/m);
  expect(metrics).toContain('warden_slack_handling_seconds_count{kind="command",name="/warden"} 1');
  expect(metrics).toContain('warden_scheduled_runs_total{job="daily-digest",outcome="skipped"} 1');
  expect(metrics).toContain('warden_scheduled_runs_total{job="weekly-digest",outcome="skipped"} 1');
  expect(metrics).not.toContain('xoxb-');

  stop.abort();
  expect(await serving).toBe(0);
  // At start the latest slot of each digest, of the audit anchor and of the snapshot retention,
  // missed while nothing ran, was run once: with no channel, manager or anchor bucket configured and
  // no snapshot old enough, each was recorded as skipped, with why.
  const handle = await createDb(
    loadConfig(pg ? { DATABASE_URL: pg.url } : { WARDEN_DATA_DIR: path.join(dir, 'db') }),
  );
  try {
    const runs = await handle.db.select().from(jobRuns).orderBy(jobRuns.job);
    expect(runs.map((r) => [r.job, r.outcome])).toEqual([
      ['audit-anchor', 'skipped'],
      ['daily-digest', 'skipped'],
      ['snapshot-retention', 'skipped'],
      ['weekly-digest', 'skipped'],
    ]);
    expect(runs[0]!.error).toMatch(/no anchor destination/);
    expect(runs[1]!.error).toMatch(/no channel to send to/);
    expect(runs[2]!.error).toMatch(/no snapshot old enough/);
  } finally {
    await handle.close();
  }
});
