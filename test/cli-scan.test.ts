import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateScenario } from '../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../src/sim/server.js';
import { runCli } from './support/cli.js';
import { openEmptyDatabase, type TestDatabase } from './support/database.js';
import { startWarden } from './support/warden-process.js';

const warden = (argv: string[], env: Record<string, string | undefined>, isTTY = false) =>
  runCli(argv, env, { isTTY });

let sim: Simulator;
let pg: TestDatabase | undefined;
let dir: string;
let env: Record<string, string | undefined>;
beforeAll(async () => {
  const scenario = generateScenario({ accounts: 3, regions: ['us-east-1'], failedPerAccountRegion: 4 });
  scenario.accounts[2]!.roles = { audit: false };
  sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  dir = mkdtempSync(path.join(tmpdir(), 'warden-cli-scan-'));
  pg = process.env.DATABASE_URL ? await openEmptyDatabase() : undefined;
  env = {
    ...(pg
      ? { DATABASE_URL: pg.url!, WARDEN_MIGRATION_DATABASE_URL: pg.url! }
      : { WARDEN_DATA_DIR: path.join(dir, 'db') }),
    WARDEN_REGIONS: 'us-east-1',
    LOG_LEVEL: 'silent',
  };
});
afterAll(async () => {
  await sim.close();
  await pg?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('warden scan', () => {
  test('scans, draws a progress bar on a terminal, prints the summary, and exits 0 although one account failed', async () => {
    const { code, stdout, stderr } = await warden(['scan', '--full'], env, true);
    expect(code).toBe(0);
    expect(stderr).toMatch(/\r\[#+\] 3\/3 accounts · \d+ findings · 2 failed · \d+ throttled/);
    expect(stdout).toMatch(/^Scan \d+ \(full\): 3 accounts, 6 targets, 2 failed/);
    expect(stdout).toMatch(/100000000002 +account-2 .* failed/);
    expect(stdout).toContain('Not scanned (their earlier findings stay open):');
    expect(stdout).toContain('arn:aws:iam::100000000002:role/WardenAudit');
  });

  test('--account limits the scan to the accounts named; an incremental scan skips a credential report read within 4 hours', async () => {
    const full = await warden(['scan', '--account', '100000000001', '--full'], env);
    expect(full.code).toBe(0);
    expect(full.stdout).toMatch(/: 1 accounts, 2 targets, 0 failed/);
    const incremental = await warden(['scan', '--account', '100000000001'], env);
    expect(incremental.stdout).toMatch(/\(incremental\): 1 accounts, 1 targets, 0 failed/);
  });

  test('a malformed or unknown account id is refused before anything runs', async () => {
    const bad = await warden(['scan', '--account', '12345'], env);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/--account takes 12-digit account ids/);
    const unknown = await warden(['scan', '--account', '999999999999'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/could not run: not ACTIVE accounts of the organization: 999999999999/);
  });

  test('exits non-zero when the organization cannot be listed at all', async () => {
    const saved = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAUNKNOWNCALLER000';
    try {
      const { code, stderr } = await warden(['scan'], env);
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /could not run: cannot list the organization's accounts: organizations:ListRoots .*UnrecognizedClientException/,
      );
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved;
    }
  });
});

test('warden demo builds weeks of history in a fresh embedded database, then prints the posture, the weekly digest with its chart, the standards’ scores and an evidence pack', async () => {
  // As a person runs it, piped (stdout not a terminal), at the default log level: the output is for
  // people, and Warden's log lines go to a file.
  const demo = startWarden(['demo'], { WARDEN_DATA_DIR: path.join(dir, 'demo-home') });
  const { code } = await demo.exited;
  const stdout = demo.stdout();
  expect(demo.stderr()).not.toMatch(/"level":/);
  // It runs on the project's Node 24: the AWS SDK has nothing to warn about.
  expect(demo.stderr()).not.toMatch(/NodeVersionSupportWarning/);
  expect(stdout).not.toMatch(/"level":/);
  const logFile = path.join(dir, 'demo-home', 'demo', 'warden.log');
  expect(stdout).toContain(`Warden's log in ${logFile}`);
  expect(readFileSync(logFile, 'utf8')).toMatch(
    /"level":40,.*cannot assume arn:aws:iam::100000000011:role\/WardenAudit/,
  );
  expect(code).toBe(0);
  expect(stdout).toMatch(/12 accounts in 3 OUs, 3 regions/);
  expect(stdout).toMatch(/Open findings: \d+\nCRITICAL +HIGH +MEDIUM +LOW/);
  expect(stdout).toContain('Worst accounts:');
  expect(stdout).toMatch(
    /100000000011 legacy-batch \[credential-report, securityhub .*\]: .*cannot assume arn:aws:iam::100000000011:role\/WardenAudit/,
  );
  expect(stdout).toMatch(
    /100000000007 dev-api \[securityhub ap-southeast-2\]: .*Security Hub is not enabled in ap-southeast-2/,
  );
  // Four weekly scans of history, then the weekly digest: a trend of five scores, MTTR, a chart.
  expect(stdout.match(/^ {2}\d{4}-\d{2}-\d{2}: \d+ findings read/gm)).toHaveLength(4);
  expect(stdout).toMatch(/Weekly compliance digest, \d{4}-W\d{2}/);
  expect(stdout).toMatch(/Trend: (\d{4}-\d{2}-\d{2} \d+\.\d( → )?){5}\n/);
  expect(stdout).toMatch(/Mean time to remediate: critical: \d+(\.\d)? days/);
  expect(stdout).not.toMatch(/legacy-batch 100000000011: 100\.0/);
  const chart = /Chart: (.+\.png)/.exec(stdout)![1]!;
  expect(readFileSync(chart).subarray(1, 4).toString()).toBe('PNG');
  // It ends with the standards' scores, CIS v3.0.0's requirements and its evidence pack, next to the chart.
  expect(stdout).toMatch(/Compliance of the organization \(controls passing, as Security Hub scores them\)/);
  expect(stdout).toMatch(/\nCIS AWS Foundations Benchmark v3\.0\.0 +\d+% +\d+ +\d+/);
  expect(stdout).toMatch(/\nAWS Foundational Security Best Practices v1\.0\.0 +\d+% +\d+ +\d+/);
  expect(stdout).toMatch(
    /CIS AWS Foundations Benchmark 3\.0\.0: \d+% of requirements passing \(\d+ passed, \d+ failed/,
  );
  const pack = [
    ...stdout.matchAll(
      /^ {2}(\/.+\/evidence\/evidence-cis-aws-3\.0-[\d-]+\.(html|pdf|csv|manifest\.json))$/gm,
    ),
  ].map((m) => m[1]!);
  expect(pack.map((f) => path.extname(f)).sort()).toEqual(['.csv', '.html', '.json', '.pdf']);
  expect(path.dirname(pack[0]!)).toBe(path.join(path.dirname(chart), 'evidence'));
  expect(readFileSync(pack.find((f) => f.endsWith('.html'))!, 'utf8')).toContain(
    '<h1>Evidence pack: CIS AWS',
  );
}, 60_000);

describe('warden review', () => {
  // Discovery's accounts are what a campaign covers.
  beforeAll(async () => {
    expect((await warden(['scan'], env)).code).toBe(0);
  });

  test('start reads every account’s principals, names the one it could not read and exits 1; report prints the record', async () => {
    const started = await warden(['review', 'start', '--due', '2099-01-31', '--by', 'cli-test'], env);
    expect(started.stdout).toMatch(
      /^access review #1 of the organization: [1-9]\d* principals in 3 accounts, due 2099-01-31\nSlack is not configured: nobody was told\n$/,
    );
    expect(started.stderr).toMatch(/^account 100000000002 not read: .*WardenAudit.*\n$/);
    expect(started.code).toBe(1);

    const report = await warden(['review', 'report', '1'], env);
    expect(report).toMatchObject({ code: 0, stderr: '' });
    expect(report.stdout).toMatch(
      /^Access review #1 of the organization\nStarted .* by cli-test; due 2099-01-31T23:59:59.999Z; open\n/,
    );
    expect(report.stdout).toMatch(
      /\d+ principals: 0 kept, 0 revoked, 0 deleted meanwhile, \d+ undecided \(0 overdue\)/,
    );
    const json = JSON.parse((await warden(['review', 'report', '1', '--format', 'json'], env)).stdout);
    expect(json.items.every((i: { decision: string }) => i.decision === 'pending')).toBe(true);

    // Closed: the record stays, and closing twice says so.
    expect(await warden(['review', 'close', '1', '--by', 'cli-test'], env)).toMatchObject({
      code: 0,
      stdout: 'access review #1 closed\n',
    });
    expect((await warden(['review', 'report', '1'], env)).stdout).toMatch(/; closed \d{4}-/);
    expect(await warden(['review', 'close', '1'], env)).toMatchObject({
      code: 1,
      stderr: 'warden review close: access review #1 is closed already\n',
    });
  });

  test('a campaign that does not exist, or a scope that names nothing, is a usage error and starts nothing', async () => {
    expect(await warden(['review', 'report', '7'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('access review #7 does not exist'),
    });
    expect(await warden(['review', 'report'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('name the campaign by its number'),
    });
    expect(await warden(['review', 'start', '--account', '12345'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--account a 12-digit account id'),
    });
    expect(await warden(['review', 'start', '--ou', 'Root/Nowhere'], env)).toMatchObject({
      code: 1,
      stderr: 'warden review start: no account is in OU Root/Nowhere\n',
    });
    expect((await warden(['review', 'report', '2'], env)).code).toBe(2);
  });
});
