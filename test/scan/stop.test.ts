import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { auditEvents, findings, scans } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';
import { freePort, runCli } from '../support/cli.js';
import { openEmptyDatabase, type TestDatabase } from '../support/database.js';
import { FakeSlack } from '../support/fake-slack.js';
import { postToSlackEndpoint } from '../support/signed-request.js';
import { startWarden } from '../support/warden-process.js';

// Real processes, stopped the ways production stops them: SIGKILL (OOM, a node lost), SIGTERM and
// SIGINT (a redeploy, Ctrl-C). A killed scan blocks the next one only until its lease lapses; a
// stopped one records that it was cancelled and exits within the 10 s a container is given.

const LEASE_SECONDS = 2;
const scenario = generateScenario({ accounts: 12, regions: ['us-east-1'], failedPerAccountRegion: 6 });
let sim: Simulator;
let pg: TestDatabase | undefined;
let dir: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  sim = await startSimulator(scenario);
  // In this process the SDK reads its endpoint and credentials from the environment, as in production.
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  dir = mkdtempSync(path.join(tmpdir(), 'warden-stop-'));
  pg = process.env.DATABASE_URL ? await openEmptyDatabase() : undefined;
  env = {
    ...sim.env,
    ...(pg
      ? { DATABASE_URL: pg.url!, WARDEN_MIGRATION_DATABASE_URL: pg.url! }
      : { WARDEN_DATA_DIR: path.join(dir, 'db') }),
    WARDEN_REGIONS: 'us-east-1',
    WARDEN_SCAN_LEASE_SECONDS: String(LEASE_SECONDS),
    LOG_LEVEL: 'info',
  };
  // A first full scan, so that there are open findings a wrong resolution would close.
  expect(await warden(['scan', '--full'])).toMatchObject({ code: 0, stderr: '' });
});
afterAll(async () => {
  await sim.close();
  await pg?.close();
  rmSync(dir, { recursive: true, force: true });
});

const warden = (argv: string[], extra: Record<string, string> = {}) =>
  runCli(argv, { ...env, LOG_LEVEL: 'silent', ...extra });

/** Reads the database as a separate opener would, after the process under test has gone. */
async function withDatabase<T>(
  work: (db: Awaited<ReturnType<typeof createDb>>['db']) => Promise<T>,
): Promise<T> {
  const handle = await createDb(loadConfig(env));
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}
const openFindings = () =>
  withDatabase(async (db) => (await db.select().from(findings).where(eq(findings.status, 'open'))).length);
const lastScan = () =>
  withDatabase(async (db) => {
    const last = (await db.select().from(scans).orderBy(asc(scans.id))).at(-1)!;
    const events = await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `scan:${last.id}`))
      .orderBy(auditEvents.seq);
    return { scan: last, actions: events.map((e) => e.action) };
  });

/** A slow organization: the scan under test is still running when it is stopped. */
function slowly() {
  scenario.faults = { ...scenario.faults, latencyMs: 150 };
  return { WARDEN_SCAN_CONCURRENCY: '2' };
}
function quickly() {
  scenario.faults = { ...scenario.faults, latencyMs: 0 };
}

test('a scan killed with SIGKILL blocks the next one only until its lease lapses; it is closed as abandoned, nothing resolved', async () => {
  const open = await openFindings();
  const child = startWarden(['scan', '--full'], { ...env, ...slowly() });
  await child.waitForOutput(/"msg":"scan started"/);
  await new Promise((r) => setTimeout(r, 1000));
  child.child.kill('SIGKILL');
  const killedAt = (await child.exited).at;
  quickly();

  // The next scan: refused while the dead scan's lease may still be fresh, then it runs.
  let next = await warden(['scan', '--full']);
  while (next.code !== 0 && /is already running/.test(next.stderr)) {
    expect(Date.now() - killedAt).toBeLessThan(LEASE_SECONDS * 1000 + 15_000);
    await new Promise((r) => setTimeout(r, 250));
    next = await warden(['scan', '--full']);
  }
  expect(next.code).toBe(0);
  expect(Date.now() - killedAt).toBeLessThan(60_000);
  const killed = await withDatabase((db) => db.select().from(scans).where(eq(scans.status, 'abandoned')));
  expect(killed).toHaveLength(1);
  expect(killed[0]!.error).toMatch(/^abandoned: its process stopped renewing its lease/);
  const abandonedEvents = await withDatabase((db) =>
    db.select().from(auditEvents).where(eq(auditEvents.action, 'scan.abandoned')),
  );
  expect(abandonedEvents.map((e) => e.subject)).toEqual([`scan:${killed[0]!.id}`]);
  // The organization did not change: the scans in between resolved nothing.
  expect(await openFindings()).toBe(open);
}, 90_000);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`warden scan stops on ${signal}: in-flight calls aborted, the scan recorded cancelled, a non-zero exit within 10 s`, async () => {
    const open = await openFindings();
    const child = startWarden(['scan', '--full'], { ...env, ...slowly() });
    await child.waitForOutput(/"msg":"scan started"/);
    await new Promise((r) => setTimeout(r, 500));
    const sentAt = Date.now();
    child.child.kill(signal);
    const { code, at } = await child.exited;
    quickly();
    expect(at - sentAt).toBeLessThan(10_000);
    expect(code).toBe(1);
    expect(child.stderr()).toContain(
      `warden scan: cancelled: ${signal} received; what it stored stays, nothing was resolved`,
    );
    const { scan, actions } = await lastScan();
    expect(scan).toMatchObject({ status: 'cancelled', error: `cancelled: ${signal} received` });
    expect(actions).toEqual(['scan.started', 'scan.cancelled']);
    expect(await openFindings()).toBe(open);
    // Nothing waits for a lease: the next scan runs at once.
    expect(await warden(['scan'])).toMatchObject({ code: 0 });
  }, 60_000);
}

test(`warden serve on SIGTERM exits within 10 s; ${
  process.env.DATABASE_URL
    ? 'the scan started from Slack is durable jobs: it goes on in the next Warden process, and completes'
    : 'it cancels the scan started from Slack and records it'
}`, async () => {
  const open = await openFindings();
  const slack = await new FakeSlack().start();
  slack.users.set('U0ADMIN', 'admin@example.com');
  const port = await freePort();
  const policy = path.join(dir, 'policy.yaml');
  writeFileSync(policy, 'admins: [U0ADMIN]\n');
  const secret = '0123456789abcdef0123456789abcdef';
  const child = startWarden(['serve'], {
    ...env,
    ...slowly(),
    SLACK_BOT_TOKEN: 'xoxb-stop-test',
    SLACK_SIGNING_SECRET: secret,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port),
    WARDEN_POLICY_FILE: policy,
    WARDEN_CATCH_UP_DIGESTS: 'false',
  });
  try {
    await child.waitForOutput(/serving Slack/);
    const res = await postToSlackEndpoint(`http://127.0.0.1:${port}/slack/events`, secret, {
      command: '/warden',
      text: 'scan',
      user_id: 'U0ADMIN',
      channel_id: 'C0SEC',
      team_id: 'T0TEST',
      response_url: slack.responseUrl(),
      trigger_id: '9.9.9',
    });
    expect(res.status).toBe(200);
    await child.waitForOutput(/"msg":"scan started"/).catch((e) => {
      console.log(child.stderr(), child.stdout());
      throw e;
    });
    await new Promise((r) => setTimeout(r, 500));
    const sentAt = Date.now();
    child.child.kill('SIGTERM');
    const { code, at } = await child.exited;
    expect(at - sentAt).toBeLessThan(10_000);
    expect(code).toBe(0);
  } finally {
    quickly();
    child.child.kill('SIGKILL');
    await slack.stop();
  }
  const { scan, actions } = await lastScan();
  if (!pg) {
    expect(scan).toMatchObject({
      status: 'cancelled',
      trigger: 'slack',
      error: 'cancelled: SIGTERM received',
    });
    expect(actions).toEqual(['scan.started', 'scan.cancelled']);
    return;
  }
  // Every replica is gone and the scan is not over: the next Warden process takes it over.
  expect(scan).toMatchObject({ status: 'running', trigger: 'slack' });
  const worker = startWarden(['worker'], { ...env, PORT: String(await freePort()) });
  try {
    let resumed = await lastScan();
    for (let i = 0; i < 240 && resumed.scan.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      resumed = await lastScan();
    }
    expect(resumed.scan).toMatchObject({ id: scan.id, status: 'completed' });
    expect(resumed.actions).toEqual(['scan.started', 'scan.completed']);
    // The organization did not change: the resumed scan resolved nothing and found nothing new.
    expect(await openFindings()).toBe(open);
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
}, 120_000);
