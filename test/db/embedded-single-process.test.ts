import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { registerCommands } from '../../commands/index.js';
import { AwsClients } from '../../src/aws/clients.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/client.js';
import { DataDirLocked } from '../../src/db/folder-lock.js';
import { createLogger } from '../../src/log.js';
import { runtimeOn } from '../../src/runtime.js';
import { servicesOn } from '../../src/services.js';
import { createSlackApp, startSlackApp } from '../../src/slack/app.js';
import { freePort, runCli } from '../support/cli.js';
import { openEmptyDatabase } from '../support/database.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startWarden } from '../support/warden-process.js';

// The embedded database (PGlite) serves one process: a second opener of its folder is refused at once,
// naming the folder; `warden health` never creates a database; the container's health check asks the
// running server over HTTP, and /healthz says ok or not without telling strangers why.

let dir: string;
let slack: FakeSlack;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'warden-embedded-'));
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await slack.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `warden serve` on an embedded database, talking to the fake Slack, without the scheduler. */
const serveEnv = (dataDir: string, port: number) => ({
  WARDEN_DATA_DIR: dataDir,
  SLACK_BOT_TOKEN: 'xoxb-embedded',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  SLACK_API_URL: slack.apiUrl,
  PORT: String(port),
  LOG_LEVEL: 'warn',
  WARDEN_SCHEDULER: 'false',
});

async function warden(argv: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await runCli(argv, { LOG_LEVEL: 'silent', ...env });
  return { code, out: stdout + stderr };
}

test('a second opener of the same folder is refused at once, naming the folder; after close, it opens', async () => {
  const config = loadConfig({ WARDEN_DATA_DIR: path.join(dir, 'one') });
  const first = await createDb(config);
  const started = Date.now();
  const second = createDb(config);
  await expect(second).rejects.toBeInstanceOf(DataDirLocked);
  await expect(second).rejects.toThrow(
    `the embedded database in ${path.join(dir, 'one')} is in use by another Warden process: it serves one process at a time (PostgreSQL, through DATABASE_URL, serves several)`,
  );
  expect(Date.now() - started).toBeLessThan(1000);
  await first.close();
  const again = await createDb(config);
  await again.close();
});

test('beside a running warden serve, another warden process exits non-zero at once and the audit chain stays whole', async () => {
  const dataDir = path.join(dir, 'served');
  const port = await freePort();
  const serve = startWarden(['serve'], serveEnv(dataDir, port));
  try {
    await serve.waitForOutput(/serving Slack/);
    const second = startWarden(['audit', 'verify'], { WARDEN_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.stderr()).toContain(
      `the embedded database in ${dataDir} is in use by another Warden process`,
    );

    // The container's health check: the running server's /healthz, no second database.
    const healthcheck = await runHealthcheck(port);
    expect(healthcheck).toMatchObject({ code: 0, out: 'healthy: /healthz answered 200\n' });
  } finally {
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
  }
  expect(await warden(['audit', 'verify'], { WARDEN_DATA_DIR: dataDir })).toMatchObject({
    code: 0,
    out: expect.stringMatching(/^ok: \d+ events/),
  });
  expect(await runHealthcheck(port)).toMatchObject({
    code: 1,
    out: expect.stringMatching(/^unhealthy: no answer on port/),
  });
}, 60_000);

async function runHealthcheck(port: number) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/healthcheck.ts'], {
    env: { PATH: process.env.PATH, PORT: String(port) },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}

test('a holder killed with SIGKILL leaves its lock behind; the next opener on this host takes it over at once', async () => {
  const dataDir = path.join(dir, 'killed');
  const port = await freePort();
  const serve = startWarden(['serve'], serveEnv(dataDir, port));
  await serve.waitForOutput(/serving Slack/);
  serve.child.kill('SIGKILL');
  await serve.exited;
  const started = Date.now();
  const handle = await createDb(loadConfig({ WARDEN_DATA_DIR: dataDir }));
  expect(Date.now() - started).toBeLessThan(5000);
  await handle.close();
}, 60_000);

test('warden health on an empty folder says there is no database, and creates none', async () => {
  const empty = path.join(dir, 'empty');
  const { code, out } = await warden(['health'], { WARDEN_DATA_DIR: empty });
  expect(code).toBe(1);
  expect(out).toBe(
    `unhealthy: no embedded database in ${empty}: run \`warden migrate\` (or \`warden serve\`) first\n`,
  );
  expect(existsSync(path.join(empty, 'PG_VERSION'))).toBe(false);
});

test('/healthz answers unhealthy (503) without the database’s reason, which goes to the log', async () => {
  const db = await openEmptyDatabase();
  const lines: string[] = [];
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: 'xoxb-h',
      SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
      SLACK_API_URL: slack.apiUrl,
    },
    { requireSlack: true },
  );
  const clients = new AwsClients({ maxAttempts: 1, maxSockets: 1 });
  const log = createLogger('warn', { write: (l: string) => lines.push(l) });
  const { app } = createSlackApp(
    servicesOn(runtimeOn(config, db.db, { log }), { clients }),
    registerCommands,
  );
  try {
    const port = await startSlackApp(app, 0);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy' });
    expect(lines.join('')).toContain('no migrations applied');
  } finally {
    await app.stop();
    clients.destroy();
    await db.close();
  }
});
