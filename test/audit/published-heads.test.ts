import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { exportAudit } from '../../src/audit/export.js';
import { appendAudit } from '../../src/audit/trail.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { loadConfig } from '../../src/config.js';
import { createDb, type Database } from '../../src/db/client.js';
import { auditEvents } from '../../src/db/schema.js';
import { runCli } from '../support/cli.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { asOwner, chainEvents, rechainFromEvent2 } from '../support/tamper.js';

// Whoever owns the table can rewrite history and recompute every hash after it, or cut events off
// the end: the chain then verifies on its own. A head published earlier (an anchor, a line a person
// kept) still catches both, in the database and in an export checked offline.

let t: TestDatabase;
beforeEach(async () => {
  t = await openTestDatabase();
  for (let i = 1; i <= 5; i++)
    await appendAudit(t.db, { actor: 'U0ALICE', action: 'finding.acknowledged', subject: `finding:${i}` });
});
afterEach(async () => {
  await t.close();
});

const events = (db: Database = t.db) => chainEvents(db);

test('a chain re-hashed after a rewrite verifies on its own, but not against the head published before', async () => {
  const head = (await events())[4]!;
  await rechainFromEvent2(t.db);
  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, count: 5 });
  const result = await verifyAuditChain(t.db, [{ seq: 5, hash: head.hash }]);
  expect(result).toMatchObject({ ok: false, brokenSeq: 5 });
  expect(!result.ok && result.reason).toMatch(/not the [0-9a-f]{64} published for it/);
});

test('events cut off the end are found missing against the head published before', async () => {
  const head = (await events())[4]!;
  await asOwner(t.db, sql`delete from audit_events where seq > 3`);
  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, count: 3 });
  const result = await verifyAuditChain(t.db, [{ seq: 5, hash: head.hash }]);
  expect(result).toMatchObject({ ok: false, brokenSeq: 5 });
  expect(!result.ok && result.reason).toBe(
    'event 5 is missing: the chain ends at event 3 (events were cut off the end)',
  );
});

test('warden audit verify --expect takes the head it printed, and fails once the chain was rewritten', async () => {
  // The command opens the database itself: on PostgreSQL this test's, else an embedded one in a folder.
  const env = t.url
    ? { DATABASE_URL: t.url, LOG_LEVEL: 'silent' }
    : { WARDEN_DATA_DIR: await mkdtemp(path.join(tmpdir(), 'warden-heads-')), LOG_LEVEL: 'silent' };
  if (!t.url) {
    const handle = await createDb(loadConfig(env));
    try {
      await handle.migrate();
      for (const e of await events()) await handle.db.insert(auditEvents).values(e);
    } finally {
      await handle.close();
    }
  }
  const printed = await runCli(['audit', 'verify'], env);
  const head = /head (\d+:[0-9a-f]{64})/.exec(printed.stdout)![1]!;
  expect(await runCli(['audit', 'verify', '--expect', head], env)).toMatchObject({
    code: 0,
    stdout: `ok: 5 events, head ${head}; 1 expected event present\n`,
  });
  if (t.url) await rechainFromEvent2(t.db);
  else {
    const handle = await createDb(loadConfig(env));
    await rechainFromEvent2(handle.db).finally(() => handle.close());
  }
  expect(await runCli(['audit', 'verify', '--expect', head], env)).toMatchObject({
    code: 1,
    stdout: expect.stringMatching(/^broken: event 5: its hash is [0-9a-f]{64}, not the/),
  });
  expect(await runCli(['audit', 'verify', '--expect', '5:abc'], env)).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--expect takes SEQ:HASH'),
  });
});

test('an export verifies offline, from its first event, and an edited line in it is named', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'warden-export-'));
  const file = path.join(dir, 'audit.jsonl');
  // Written by the real exporter: the format an auditor receives.
  let exported = '';
  await exportAudit(t.db, { format: 'jsonl' }, (chunk) => {
    exported += chunk;
  });
  const lines = exported.trim().split('\n');
  const head = `5:${(await events())[4]!.hash}`;
  writeFileSync(file, `${lines.join('\n')}\n`);
  const verify = (...args: string[]) =>
    runCli(['audit', 'verify', '--file', file, ...args], { LOG_LEVEL: 'silent' });
  expect(await verify('--expect', head)).toMatchObject({
    code: 0,
    stdout: `ok: 5 events, head ${head}; 1 expected event present\n`,
  });

  // An export --since a date starts mid-chain: its first prev_hash is taken as given.
  writeFileSync(file, `${lines.slice(2).join('\n')}\n`);
  expect(await verify()).toMatchObject({
    code: 0,
    stdout: `ok: 3 events (from event 3, its prev_hash taken as given), head ${head}\n`,
  });

  writeFileSync(file, readFileSync(file, 'utf8').replace('"finding:4"', '"finding:40"'));
  expect(await verify()).toMatchObject({
    code: 1,
    stdout:
      'broken: event 4: its content does not match its hash (the event was altered) (1 events before it verified)\n',
  });
  writeFileSync(file, '{"seq":1}\n');
  expect(await verify()).toMatchObject({
    code: 2,
    stderr: expect.stringContaining(`${file}, line 1: "details" is missing or not an object`),
  });
});
