import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { appendAudit } from '../../src/audit/trail.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { postgresHandle } from '../../src/db/client.js';
import { auditEvents } from '../../src/db/schema.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// PostgreSQL only (this file runs when DATABASE_URL is set): PGlite is one connection in one process.

let t: TestDatabase;
beforeEach(async () => {
  t = await openTestDatabase();
});
afterEach(async () => {
  await t.close();
});

test('8 connections appending 200 events each at the same time form one valid chain of 1,600 events', async () => {
  const connections = Array.from({ length: 8 }, () => postgresHandle(t.url!, { max: 1 }));
  try {
    await Promise.all(
      connections.map(async ({ db }, c) => {
        for (let i = 0; i < 200; i++) {
          await appendAudit(db, { actor: `conn-${c}`, action: 'test.append', subject: `n:${i}` });
        }
      }),
    );
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
  const result = await verifyAuditChain(t.db);
  expect(result).toMatchObject({ ok: true, count: 1600 });
  const perActor = await t.db.select({ actor: auditEvents.actor }).from(auditEvents);
  for (let c = 0; c < 8; c++) expect(perActor.filter((r) => r.actor === `conn-${c}`)).toHaveLength(200);
});

test('several processes appending at the same time form one valid chain', async () => {
  const run = promisify(execFile);
  const script = new URL('../support/append-events.ts', import.meta.url).pathname;
  await Promise.all(
    [0, 1, 2].map((p) =>
      run(process.execPath, ['--import', 'tsx', script, '100', `proc-${p}`], {
        env: { ...process.env, DATABASE_URL: t.url! },
      }),
    ),
  );
  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, count: 300 });
});
