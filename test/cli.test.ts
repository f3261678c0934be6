import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendAudit } from '../src/audit/trail.js';
import { loadConfig } from '../src/config.js';
import { createDb, type Database } from '../src/db/client.js';
import { jobRuns } from '../src/db/schema.js';
import { runCli } from './support/cli.js';
import { openEmptyDatabase, type TestDatabase } from './support/database.js';

/** Runs the CLI in-process and captures what it prints. */
const warden = (argv: string[], env: Record<string, string | undefined>) => runCli(argv, env);

/** The environment for one CLI database: this run's PostgreSQL, or an embedded one in a fresh folder. */
let env: Record<string, string | undefined>;
let pg: TestDatabase | undefined;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'warden-cli-'));
  if (process.env.DATABASE_URL) {
    pg = await openEmptyDatabase();
    env = { DATABASE_URL: pg.url, LOG_LEVEL: 'silent' };
  } else {
    env = { WARDEN_DATA_DIR: path.join(dataDir, 'db'), LOG_LEVEL: 'silent' };
  }
});
afterAll(async () => {
  await pg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Works on the CLI's database directly, between CLI runs (PGlite allows one opener at a time). */
async function withCliDb<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const handle = await createDb(loadConfig(env));
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

describe('warden CLI', () => {
  test('--help lists the commands that work', async () => {
    const { code, stdout } = await warden(['--help'], {});
    expect(code).toBe(0);
    for (const c of [
      'warden migrate',
      'warden audit verify',
      'warden audit export',
      'warden scan',
      'warden demo',
      'warden health',
    ]) {
      expect(stdout).toContain(c);
    }
    expect(stdout).toContain('warden serve');
    expect(stdout).toContain('warden digest --kind daily|weekly');
    expect(stdout).toContain('warden jobs');
  });

  test('an unknown command or a bad option prints usage and exits 2', async () => {
    expect(await warden(['frobnicate'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown command/),
    });
    const badFormat = await warden(['audit', 'export', '--format', 'xml'], env);
    expect(badFormat).toMatchObject({ code: 2, stdout: '' });
    expect(badFormat.stderr).toMatch(/--format must be one of jsonl, csv\nusage: warden audit export/);
    expect((await warden(['audit', 'export', '--since', 'last tuesday'], env)).stderr).toMatch(
      /--since must be a date/,
    );
    expect((await warden(['migrate', '--force'], env)).code).toBe(2);
  });

  test('a broken configuration stops the command with every problem named', async () => {
    const { code, stderr } = await warden(['migrate'], { ...env, PORT: '0', LOG_LEVEL: 'chatty' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORT: must be between 1 and 65535/);
    expect(stderr).toMatch(/LOG_LEVEL: must be one of/);
  });

  test('before migrate, health is unhealthy and audit verify says to migrate', async () => {
    expect(await warden(['health'], env)).toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/^unhealthy: .*warden migrate/),
    });
    expect(await warden(['audit', 'verify'], env)).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/run `warden migrate` first/),
    });
  });

  test('migrate, append, verify, export, tamper, verify again', async () => {
    expect(await warden(['migrate'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^migrations applied/),
    });
    expect(await warden(['migrate'], env)).toMatchObject({ code: 0 });
    expect(await warden(['health'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^healthy/),
    });

    const events = await withCliDb(async (db) => [
      await appendAudit(db, {
        actor: 'U0ALICE',
        action: 'finding.acknowledged',
        subject: 'finding:1',
        at: new Date('2026-11-01T10:00:00Z'),
      }),
      await appendAudit(db, {
        actor: 'U0BOB',
        action: 'finding.suppressed',
        subject: 'finding:2',
        details: { reason: 'accepted, "quoted"' },
        at: new Date('2026-11-10T10:00:00Z'),
      }),
      await appendAudit(db, {
        actor: 'U0BOB',
        action: 'finding.reopened',
        subject: 'finding:2',
        at: new Date('2026-11-20T10:00:00Z'),
      }),
    ]);

    expect(await warden(['audit', 'verify'], env)).toEqual({
      code: 0,
      stdout: `ok: 3 events, head 3:${events[2]!.hash}\n`,
      stderr: '',
    });

    const jsonl = await warden(['audit', 'export'], env);
    const lines = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(lines[1]).toMatchObject({
      actor: 'U0BOB',
      details: { reason: 'accepted, "quoted"' },
      hash: events[1]!.hash,
    });

    const csv = await warden(['audit', 'export', '--format', 'csv', '--since', '2026-11-05'], env);
    const rows = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.seq)).toEqual(['2', '3']);
    expect(JSON.parse(rows[0]!.details!)).toEqual({ reason: 'accepted, "quoted"' });
    expect(rows[0]!.prev_hash).toBe(events[0]!.hash);

    const file = path.join(dataDir, 'audit.jsonl');
    expect(await warden(['audit', 'export', '--output', file], env)).toMatchObject({
      code: 0,
      stderr: `exported 3 events to ${file}\n`,
    });
    expect(readFileSync(file, 'utf8')).toBe(jsonl.stdout);

    await withCliDb(async (db) => {
      await db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
      await db.execute(sql`update audit_events set actor = 'U0MALLORY' where seq = 2`);
      await db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    });
    const broken = await warden(['audit', 'verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^broken: event 2: its content does not match its hash/);
  });

  test('warden digest --print builds a digest on demand, and writes the weekly chart to a PNG file; bad options get the usage', async () => {
    const chart = path.join(dataDir, 'weekly.png');
    const weekly = await warden(['digest', '--kind', 'weekly', '--print', '--chart', chart], env);
    expect(weekly.code).toBe(0);
    expect(weekly.stdout).toMatch(/^Weekly compliance digest, \d{4}-W\d{2}\n=+\n/);
    expect(weekly.stdout).toContain('Mean time to remediate');
    expect(weekly.stdout).toContain(`Chart: ${chart}`);
    expect(readFileSync(chart).subarray(1, 4).toString()).toBe('PNG');
    const daily = await warden(['digest', '--kind', 'daily', '--print'], env);
    expect(daily.stdout).toMatch(/^Daily security digest, /);
    expect(daily.stdout).toContain('New critical and high findings (0)');

    expect((await warden(['digest', '--kind', 'hourly', '--print'], env)).stderr).toMatch(
      /--kind must be daily or weekly\nusage: warden digest/,
    );
    expect(await warden(['digest', '--kind', 'daily'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/SLACK_BOT_TOKEN: missing \(required to talk to Slack\)/),
    });
  });

  test('warden jobs lists the scheduled runs', async () => {
    await withCliDb(async (db) => {
      await db.insert(jobRuns).values({
        job: 'weekly-digest',
        slot: new Date('2026-11-23T09:00:00Z'),
        claimedBy: 'host:1:abc',
        startedAt: new Date('2026-11-23T09:00:00Z'),
        finishedAt: new Date('2026-11-23T09:00:04Z'),
        outcome: 'failed',
        error: 'not delivered to #gone: channel_not_found',
      });
    });
    const { code, stdout } = await warden(['jobs'], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^slot +job +outcome +took +process +error\n/);
    expect(stdout).toMatch(
      /2026-11-23T09:00:00.000Z +weekly-digest +failed +4 s +host:1:abc +not delivered to #gone/,
    );
  });
});
