import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDb, rawRows } from '../../src/db/client.js';
import { accountId, generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';
import { freePort, runCli } from '../support/cli.js';
import { openEmptyDatabase, type TestDatabase } from '../support/database.js';
import { startWarden } from '../support/warden-process.js';

// Real `warden worker` processes reading the findings events' queue: one is killed with SIGKILL
// while it stores events; the messages it held come back after their visibility timeout, another
// process stores them, and every finding ends up stored once, with one alert.

const ADMIN = accountId(0);
const scenario = generateScenario({
  accounts: 6,
  regions: ['us-east-1'],
  failedPerAccountRegion: 5,
  passedPerAccountRegion: 0,
  usersPerAccount: 0,
});
scenario.securityHub = { adminAccountId: ADMIN, aggregationRegion: 'us-east-1', standards: ['fsbp'] };
scenario.events = { visibilityTimeoutSeconds: 2 };
let sim: Simulator;
let pg: TestDatabase;

beforeAll(async () => {
  sim = await startSimulator(scenario);
  // The scan below runs in this process: its SDK clients read the environment.
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  pg = await openEmptyDatabase();
});
afterAll(async () => {
  await sim.close();
  await pg.close();
});

test('a reader killed with SIGKILL while storing events loses nothing: another stores what it held, each finding once, each alerted once', async () => {
  const policy = path.join(tmpdir(), `warden-reader-killed-${process.pid}.json`);
  writeFileSync(policy, JSON.stringify({ alerts: { minSeverity: 'high', defaultChannel: 'C0ALERTS' } }));
  const env = {
    ...sim.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    DATABASE_URL: pg.url!,
    WARDEN_MIGRATION_DATABASE_URL: pg.url!,
    WARDEN_SECURITYHUB_MODE: 'aggregator',
    WARDEN_SECURITYHUB_ADMIN_ACCOUNT: ADMIN,
    WARDEN_AGGREGATION_REGION: 'us-east-1',
    WARDEN_SECURITYHUB_API: 'cspm',
    WARDEN_EVENTS_QUEUE_URL: sim.queueUrl!,
    WARDEN_EVENTS_VISIBILITY_SECONDS: '2',
    WARDEN_POLICY_FILE: policy,
    LOG_LEVEL: 'info',
  } as Record<string, string>;
  const scanned = await runCli(['scan', '--full'], { ...env, LOG_LEVEL: 'silent' });
  expect(scanned.stderr).toBe('');
  expect(scanned.code).toBe(0);

  const raised = Array.from({ length: 600 }, (_, i) =>
    sim.world.raiseFinding(accountId(1 + (i % 5)), {
      control: 'S3.1',
      region: 'us-east-1',
      severity: 'HIGH',
      resourceId: `arn:aws:s3:::bucket-${i}`,
      updatedDaysAgo: 0,
    }),
  );
  const handle = await createDb(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  const count = async () =>
    Number(
      (
        await rawRows<{ n: number }>(
          handle.db,
          sql`select count(*)::int as n from findings where resource_id like 'arn:aws:s3:::bucket-%'`,
        )
      )[0]!.n,
    );
  try {
    // Slow answers, so that the first reader is caught with messages in hand.
    scenario.faults = { latencyMs: 30 };
    const first = startWarden(['worker'], { ...env, PORT: String(await freePort()) });
    await first.waitForOutput(/reading findings events/);
    const queue = sim.world.queues.get('warden-findings-events')!;
    // Killed once it has stored some, at a moment it holds messages it has not deleted.
    while ((await count()) < 50 || queue.approximate().inFlight === 0)
      await new Promise((r) => setTimeout(r, 5));
    // What it holds is taken at the kill: on a loaded machine its 2 s of visibility may be over by
    // the time the process is reaped.
    const held = queue.messages.filter((m) => m.visibleAt > Date.now()).map((m) => m.id);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(held.length).toBeGreaterThan(0);
    expect(await count()).toBeLessThan(raised.length);

    scenario.faults = {};
    const second = startWarden(['worker'], { ...env, PORT: String(await freePort()) });
    const deadline = Date.now() + 30_000;
    while ((queue.messages.length > 0 || (await count()) < raised.length) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const rows = await rawRows<{ external_id: string; n: number; alerts: number }>(
      handle.db,
      sql`select f.external_id, count(distinct f.id)::int as n, count(a.id)::int as alerts
        from findings f left join alerts a on a.finding_id = f.id
        where f.resource_id like 'arn:aws:s3:::bucket-%' group by f.external_id`,
    );
    expect(rows).toHaveLength(raised.length);
    expect(rows.every((r) => Number(r.n) === 1 && Number(r.alerts) === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.external_id))).toEqual(new Set(raised.map((f) => f.id)));
    // What the killed process held was delivered again, and is gone now.
    expect(queue.messages).toHaveLength(0);
  } finally {
    scenario.faults = {};
    await handle.close();
  }
}, 120_000);
