import { asc, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createDb, rawRows } from '../../src/db/client.js';
import { findings, scans } from '../../src/db/schema.js';
import { accountId, generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';
import { freePort, runCli } from '../support/cli.js';
import { openEmptyDatabase, type TestDatabase } from '../support/database.js';
import { startWarden, type WardenProcess } from '../support/warden-process.js';

// On PostgreSQL a scan is durable jobs (pg-boss) that every Warden process takes. These tests run real
// `warden worker` processes beside a `warden scan`, kill one mid-scan with SIGKILL, and compare what
// was stored with what a scan nobody killed stores.

const scenario = generateScenario({
  accounts: 12,
  regions: ['us-east-1', 'eu-west-1'],
  failedPerAccountRegion: 40,
});
let sim: Simulator;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
});
afterAll(async () => {
  await sim.close();
  for (const d of databases) await d.close();
});

async function database(extra: Record<string, string> = {}) {
  const pg = await openEmptyDatabase();
  databases.push(pg);
  return {
    ...sim.env,
    DATABASE_URL: pg.url!,
    WARDEN_MIGRATION_DATABASE_URL: pg.url!,
    WARDEN_REGIONS: 'us-east-1,eu-west-1',
    LOG_LEVEL: 'silent',
    ...extra,
  } as Record<string, string>;
}

async function withDatabase<T>(
  env: Record<string, string>,
  work: (db: Awaited<ReturnType<typeof createDb>>['db']) => Promise<T>,
) {
  const handle = await createDb(loadConfig(env));
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

/** What a scan stored, in an order that does not depend on which process stored it. */
const stored = (env: Record<string, string>) =>
  withDatabase(env, (db) =>
    db
      .select({
        externalId: findings.externalId,
        accountId: findings.accountId,
        region: findings.region,
        source: findings.source,
        severity: findings.severity,
        status: findings.status,
      })
      .from(findings)
      .orderBy(asc(findings.source), asc(findings.productArn), asc(findings.externalId)),
  );

async function startWorkers(env: Record<string, string>, n: number): Promise<WardenProcess[]> {
  const workers: WardenProcess[] = [];
  for (let i = 0; i < n; i++) {
    const w = startWarden(['worker'], { ...env, LOG_LEVEL: 'info', PORT: String(await freePort()) });
    workers.push(w);
  }
  for (const w of workers) await w.waitForOutput(/working scan jobs/);
  return workers;
}

async function stopAll(workers: WardenProcess[]) {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

/** AWS calls a worker made so far, from its /metrics. */
async function awsCalls(w: WardenProcess): Promise<number> {
  const port = /"port":(\d+),"msg":"working scan jobs"/.exec(w.stderr())?.[1];
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  // Security Hub and IAM: a target's calls (discovery, which a coordination makes, reads Organizations).
  return [
    ...text.matchAll(/^warden_aws_calls_total\{[^}]*service="(?:securityhub|iam)"[^}]*\} (\d+)/gm),
  ].reduce((n, m) => n + Number(m[1]), 0);
}

/**
 * A full scan started by `warden scan` (one target at a time in that process) beside two workers, the
 * first of which is killed with SIGKILL once it is reading AWS. Returns when the scan ended.
 */
async function scanKillingAWorker(env: Record<string, string>) {
  scenario.faults = { ...scenario.faults, latencyMs: 60 };
  const workers = await startWorkers({ ...env, WARDEN_SCAN_CONCURRENCY: '2' }, 2);
  try {
    const scanning = runCli(['scan', '--full'], { ...env, WARDEN_SCAN_CONCURRENCY: '1' });
    while ((await awsCalls(workers[0]!)) < 5) await new Promise((r) => setTimeout(r, 50));
    workers[0]!.child.kill('SIGKILL');
    const killedAt = (await workers[0]!.exited).at;
    const result = await scanning;
    return { result, tookAfterKillMs: Date.now() - killedAt };
  } finally {
    scenario.faults = { ...scenario.faults, latencyMs: 0 };
    await stopAll(workers);
  }
}

test('a worker killed with SIGKILL mid-scan loses only its targets: another process retries them within a minute, and the scan stores exactly what a clean scan stores', async () => {
  const clean = await database();
  expect(await runCli(['scan', '--full'], clean)).toMatchObject({ code: 0, stderr: '' });
  const expected = await stored(clean);
  expect(expected.length).toBeGreaterThan(900);

  const killed = await database();
  const { result, tookAfterKillMs } = await scanKillingAWorker(killed);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(tookAfterKillMs).toBeLessThan(60_000);
  expect(await stored(killed)).toEqual(expected);
  // The killed worker's targets were taken again (pg-boss counts the retries).
  const retried = await withDatabase(killed, (db) =>
    rawRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from pgboss.job where name = 'warden-scan-target' and retry_count > 0`,
    ),
  );
  expect(retried[0]!.n).toBeGreaterThan(0);

  // Again, over what is stored: nothing changed in the organization, so nothing may be resolved.
  const again = await scanKillingAWorker(killed);
  expect(again.result).toMatchObject({ code: 0, stderr: '' });
  expect(await stored(killed)).toEqual(expected);
  const ended = await withDatabase(killed, (db) =>
    db.select().from(scans).where(eq(scans.status, 'completed')),
  );
  expect(ended.map((s) => (s.summary as { resolved: number }).resolved)).toEqual([0, 0]);
}, 240_000);

test('Security Hub rate limits hold across processes: three streams on one administrator account in three processes throttle no more than in one', async () => {
  const admin = accountId(1);
  const org = generateScenario({ accounts: 45, regions: ['us-east-1'], failedPerAccountRegion: 60 });
  org.securityHub = { adminAccountId: admin, aggregationRegion: 'us-east-1' };
  const aggregated = await startSimulator(org);
  // `warden scan` runs in this process, where the SDK finds its endpoint in the environment.
  Object.assign(process.env, aggregated.env);
  const env = {
    ...(await database({
      WARDEN_SECURITYHUB_MODE: 'aggregator',
      WARDEN_SECURITYHUB_ADMIN_ACCOUNT: admin,
      WARDEN_AGGREGATION_REGION: 'us-east-1',
      WARDEN_REGIONS: 'us-east-1',
    })),
    ...aggregated.env,
  };
  // Every account but one: no organization-wide stream but one per 20 accounts (3), each calling
  // GetFindings as the administrator in us-east-1, which allows 3 a second in bursts of 6.
  const some = org.accounts.slice(1).flatMap((a) => ['--account', a.id]);
  /** A scan of the streams alone (the credential reports are fresh), one target at a time per process. */
  const throttlesBeside = async (workers: number) => {
    const one = { ...env, WARDEN_SCAN_CONCURRENCY: '1' };
    const running = await startWorkers(one, workers);
    try {
      aggregated.world.resetCalls();
      expect(await runCli(['scan', ...some], one)).toMatchObject({ code: 0, stderr: '' });
      expect(aggregated.world.calls('GetFindings', admin)).toBeGreaterThan(20);
      expect(aggregated.world.calls('GetCredentialReport')).toBe(0);
      const [last] = await withDatabase(env, (db) =>
        db.select().from(scans).orderBy(desc(scans.id)).limit(1),
      );
      expect(last!.summary).toMatchObject({ failedTargets: 0, targets: 3 });
      return (last!.summary as { throttles: number }).throttles;
    } finally {
      await stopAll(running);
    }
  };
  try {
    expect(await runCli(['scan', '--full', ...some], env)).toMatchObject({ code: 0, stderr: '' });
    const alone = await throttlesBeside(0);
    // Beside two workers, each of the three processes runs one stream, at the same time.
    expect(await throttlesBeside(2)).toBeLessThanOrEqual(alone);
  } finally {
    Object.assign(process.env, sim.env);
    await aggregated.close();
  }
}, 120_000);
