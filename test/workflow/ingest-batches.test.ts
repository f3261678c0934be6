import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import type { Finding } from '../../src/findings/finding.js';
import { IngestBatches } from '../../src/workflow/ingest.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { sourceFinding } from '../support/findings.js';

// A scan's targets hand their pages to one IngestBatches: pages are gathered into statements of
// about maxRows findings (or sent after maxWaitMs), each page's promise settles when its statement
// commits with that page's own counts, and a failed statement fails every page it held.

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t.close();
});

const finding = (account: string, i: number, fields: Partial<Finding> = {}): Finding =>
  sourceFinding({
    externalId: `${account}-finding-${i}`,
    accountId: account,
    resourceId: `arn:aws:s3:::bucket-${account}-${i}`,
    controlId: 'S3.1',
    generatorId: null,
    title: `Finding ${i}`,
    ...fields,
  });
const page = (account: string, from: number, n: number, fields: Partial<Finding> = {}) =>
  Array.from({ length: n }, (_, i) => finding(account, from + i, fields));

const statements = async () =>
  Number(
    (await rawRows<{ n: number }>(t.db, sql`select count(distinct last_seen_at)::int as n from findings`))[0]!
      .n,
  );

test('pages of several targets share statements, and each page gets its own counts', async () => {
  let clock = Date.parse('2026-11-02T09:00:00Z');
  const tick = () => {
    clock += 1000;
    return new Date(clock);
  };
  // Each statement is stamped with the time it is sent: distinct last_seen_at values count statements.
  const batches = new IngestBatches(t.db, 1, tick, {
    maxRows: 250,
    maxWaitMs: 50,
  });
  const stored = await Promise.all([
    batches.store(page('111111111111', 0, 100)),
    batches.store(page('222222222222', 0, 100)),
    batches.store(page('333333333333', 0, 100)), // 300 ≥ 250: sent with the two before it
    batches.store(page('444444444444', 0, 40)), // sent 50 ms later, on its own
  ]);
  expect(stored.map((c) => c.new)).toEqual([100, 100, 100, 40]);
  expect(await statements()).toBe(2);

  // Refreshed, resolved and new, in one statement again: the counts stay each page's own.
  const again = await Promise.all([
    batches.store(page('111111111111', 0, 10, { severity: 'critical' })),
    batches.store(page('222222222222', 0, 5, { failing: false })),
    batches.store(page('222222222222', 100, 3)),
  ]);
  expect(again).toEqual([
    { new: 0, updated: 10, reopened: 0, resolved: 0 },
    { new: 0, updated: 0, reopened: 0, resolved: 5 },
    { new: 3, updated: 0, reopened: 0, resolved: 0 },
  ]);
});

test('a statement that fails fails every page it held, and stores none of them', async () => {
  const batches = new IngestBatches(t.db, 2, () => new Date(), { maxRows: 1000, maxWaitMs: 10 });
  const before = Number(
    (await rawRows<{ n: number }>(t.db, sql`select count(*)::int as n from findings`))[0]!.n,
  );
  const results = await Promise.allSettled([
    batches.store(page('555555555555', 0, 5)),
    // A severity the schema refuses (its check constraint) fails the statement as a whole.
    batches.store(page('666666666666', 0, 1, { severity: 'catastrophic' as Finding['severity'] })),
  ]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  expect(
    Number((await rawRows<{ n: number }>(t.db, sql`select count(*)::int as n from findings`))[0]!.n),
  ).toBe(before);
});

test('text and evidence arrive exactly as the source sent them, whatever characters they hold', async () => {
  const awkward = 'say "NULL", {braces}, back\\slash, comma, quote\' and ünïcødé ✓';
  const evidence = { note: awkward, nested: [{ path: 'C:\\temp\\"x"' }, null, 1.5, true] };
  const batches = new IngestBatches(t.db, 3, () => new Date(), { maxRows: 1, maxWaitMs: 10 });
  await batches.store([
    finding('777777777777', 0, { title: awkward, description: 'NULL', generatorId: '', evidence }),
    finding('777777777777', 1, { title: 'plain', description: null, sourceUpdatedAt: null }),
  ]);
  const rows = await rawRows<{
    title: string;
    description: string | null;
    generator_id: string | null;
    evidence: unknown;
    source_updated_at: unknown;
  }>(
    t.db,
    sql`select title, description, generator_id, evidence, source_updated_at from findings
        where account_id = '777777777777' order by external_id`,
  );
  expect(rows[0]).toMatchObject({ title: awkward, description: 'NULL', generator_id: '', evidence });
  expect(rows[1]).toMatchObject({ title: 'plain', description: null, source_updated_at: null });
});
