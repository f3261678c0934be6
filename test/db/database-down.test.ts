import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DB_CLOSE_TIMEOUT_SECONDS, postgresHandle } from '../../src/db/client.js';
import { findings, scans, scanTargets } from '../../src/db/schema.js';
import { REASON_MAX_CHARS } from '../../src/reasons.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';
import { runCli } from '../support/cli.js';
import { type PrivatePostgres, privatePostgres } from '../support/private-postgres.js';
import { startWarden } from '../support/warden-process.js';

// A database failure is named as one: where (host, port, database, user), never the SQL, its
// parameters or a password. A scan whose database goes away stops calling AWS at once, blames no
// account, resolves nothing, and exits non-zero saying the database failed.

let pg: PrivatePostgres;
let sim: Simulator;
const scenario = generateScenario({
  accounts: 12,
  regions: ['us-east-1', 'eu-west-1'],
  failedPerAccountRegion: 5,
});

beforeAll(async () => {
  pg = await privatePostgres();
  sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
}, 60_000);
afterAll(async () => {
  await sim.close();
  await pg.destroy();
});

const warden = (argv: string[], env: Record<string, string>) =>
  runCli(argv, { LOG_LEVEL: 'silent', WARDEN_REGIONS: scenario.regions.join(','), ...env });

test('a closed port, a missing database and a wrong password are each named as the database’s, in one line', async () => {
  const closed = `postgres://warden@127.0.0.1:1/warden`;
  for (const command of [['audit', 'verify'], ['migrate'], ['jobs']]) {
    const { code, stderr } = await warden(command, { DATABASE_URL: closed });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `warden ${command.join(' ')}: database unreachable at 127.0.0.1:1 (connection refused)\n`,
    );
  }
  expect(await warden(['health'], { DATABASE_URL: closed })).toMatchObject({
    code: 1,
    stdout: 'unhealthy: database unreachable at 127.0.0.1:1 (connection refused)\n',
  });

  const missing = pg.url.replace(/\/postgres$/, '/nowhere');
  expect(await warden(['audit', 'verify'], { DATABASE_URL: missing })).toMatchObject({
    code: 1,
    stderr: `warden audit verify: database "nowhere" does not exist at 127.0.0.1:${pg.port}\n`,
  });

  const wrong = pg.url.replace(pg.password, 'not-the-password');
  const refused = await warden(['audit', 'verify'], { DATABASE_URL: wrong });
  expect(refused).toMatchObject({
    code: 1,
    stderr: `warden audit verify: password authentication failed for user "warden" at 127.0.0.1:${pg.port}\n`,
  });
  expect(refused.stderr).not.toContain('not-the-password');
}, 60_000);

test('PostgreSQL killed mid-scan: the scan stops at once, says the database failed, blames no account, resolves nothing', async () => {
  const env = { DATABASE_URL: pg.url, WARDEN_SCAN_LEASE_SECONDS: '2' };
  expect(await warden(['migrate'], env)).toMatchObject({ code: 0 });
  expect(await warden(['scan', '--full'], env)).toMatchObject({ code: 0 });
  const handle = postgresHandle(pg.url, { max: 1 });
  const open = (await handle.db.select().from(findings).where(eq(findings.status, 'open'))).length;
  await handle.close();

  scenario.faults = { ...scenario.faults, latencyMs: 100 };
  const child = startWarden(['scan', '--full'], {
    ...sim.env,
    ...env,
    WARDEN_REGIONS: scenario.regions.join(','),
    WARDEN_SCAN_CONCURRENCY: '4',
    LOG_LEVEL: 'info',
  });
  await child.waitForOutput(/"msg":"scan started"/);
  await new Promise((r) => setTimeout(r, 800));
  await pg.kill();
  const killedAt = Date.now();
  const callsAtKill = sim.world.totalCalls();
  const { code, at } = await child.exited;
  scenario.faults = { ...scenario.faults, latencyMs: 0 };

  expect(code).toBe(1);
  expect(at - killedAt).toBeLessThan(10_000);
  // Only the calls in flight until the scan noticed (its next write, or its lease renewal within a
  // third of the lease) reached AWS after the database went away: not the rest of the organization.
  const remaining = scenario.accounts.length * (scenario.regions.length + 5);
  expect(sim.world.totalCalls() - callsAtKill).toBeLessThan(remaining / 2);
  const stderr = child.stderr();
  expect(stderr).toContain(
    `warden scan: the database failed: database unreachable at 127.0.0.1:${pg.port} (connection refused); the scan stopped, nothing was resolved`,
  );
  expect(stderr).not.toMatch(/Failed query|insert into|params:/);
  expect(stderr).not.toContain(pg.password);
  expect(stderr.length).toBeLessThan(4000);

  // The database comes back: nothing was resolved, no account was blamed, and the next scan runs.
  await pg.start();
  const after = postgresHandle(pg.url, { max: 1 });
  try {
    expect((await after.db.select().from(findings).where(eq(findings.status, 'open'))).length).toBe(open);
    const targets = await after.db.select().from(scanTargets);
    expect(targets.every((t) => (t.reason ?? '').length <= REASON_MAX_CHARS)).toBe(true);
    expect(targets.filter((t) => /database|Failed query/.test(t.reason ?? ''))).toEqual([]);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await warden(['scan', '--full'], env)).toMatchObject({ code: 0 });
    const rows = await after.db.select().from(scans);
    expect(rows.map((r) => r.status).sort()).toEqual(['abandoned', 'completed', 'completed']);
    expect((await after.db.select().from(findings).where(eq(findings.status, 'open'))).length).toBe(open);
  } finally {
    await after.close();
  }
}, 90_000);

test('PostgreSQL dying under a transaction fails the transaction, and the pool still closes at once (postgres.js alone crashed or waited forever: scripts/patch-postgres.mjs)', async () => {
  const handle = postgresHandle(pg.url, { max: 2 });
  await handle.db.execute(sql`select 1`);
  const inTransaction = handle.db.transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    await tx.execute(sql`select pg_sleep(30)`);
  });
  const failed = expect(inTransaction).rejects.toThrow(/CONNECTION_CLOSED/);
  await new Promise((r) => setTimeout(r, 300));
  await pg.kill();
  await failed;
  const t0 = Date.now();
  await handle.close();
  // Not the close timeout's doing: the closed connection has nothing left to wait for.
  expect(Date.now() - t0).toBeLessThan(DB_CLOSE_TIMEOUT_SECONDS * 1000);
  await pg.start();
}, 60_000);
