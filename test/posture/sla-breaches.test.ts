import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { rawRows } from '../../src/db/client.js';
import { slaBreaches } from '../../src/posture/digest-figures.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

// SLA breaches are read per severity from the open findings' order index. On the same data they are
// the figures the old single query gave (open findings matching any severity's threshold, ORed):
// the counts per severity, the total, and the oldest findings in the same order, with and without
// an OU's accounts.

let t: TestDatabase;
const { slaDays } = loadConfig({}).policy;
const at = new Date('2026-11-20T09:00:00Z');

beforeAll(async () => {
  t = await openTestDatabase();
  // 600 findings first seen 0–240 days before `at`, in every state and severity, over 5 accounts.
  await t.db.execute(sql`
    insert into findings (source, product_arn, external_id, account_id, region, resource_id, title, severity,
      status, first_seen_at, last_seen_at)
    select 'securityhub', '', 'f-' || i, '10000000000' || (i % 5), 'us-east-1', 'r-' || i, 'Finding ' || i,
      (array['critical','high','medium','low','informational'])[1 + (i / 5) % 5],
      (array['open','acknowledged','open','resolved','suppressed'])[1 + (i / 3) % 5],
      ${at.toISOString()}::timestamptz - ((i * 37 % 240) || ' days')::interval - ((i % 4) || ' hours')::interval,
      now()
    from generate_series(1, 600) i`);
});
afterAll(async () => {
  await t.close();
});

async function oldQuery(accounts?: string[]) {
  const days = (s: keyof typeof slaDays) => new Date(at.getTime() - slaDays[s] * 86_400_000).toISOString();
  const where = sql`status not in ('resolved', 'suppressed') and (
      (severity = 'critical' and first_seen_at <= ${days('critical')}::timestamptz)
      or (severity = 'high' and first_seen_at <= ${days('high')}::timestamptz)
      or (severity = 'medium' and first_seen_at <= ${days('medium')}::timestamptz)
      or (severity = 'low' and first_seen_at <= ${days('low')}::timestamptz)
      or (severity = 'informational' and first_seen_at <= ${days('informational')}::timestamptz))
    ${
      accounts
        ? sql`and account_id in (${sql.join(
            accounts.map((a) => sql`${a}`),
            sql`, `,
          )})`
        : sql``
    }`;
  const counts = await rawRows<{ severity: string; n: number }>(
    t.db,
    sql`select severity, count(*)::int as n from findings where ${where} group by severity`,
  );
  const oldest = await rawRows<{ id: number }>(
    t.db,
    sql`select id from findings where ${where}
        order by case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2
          when 'low' then 3 else 4 end, first_seen_at, id limit 20`,
  );
  return { counts, oldest: oldest.map((r) => r.id) };
}

test.each([
  ['the organization', undefined],
  ['an OU of two accounts', ['100000000001', '100000000003']],
])('%s: the same breaches as the old query', async (_, accounts) => {
  const old = await oldQuery(accounts);
  const breaches = await slaBreaches(t.db, at, slaDays, accounts, 20);
  for (const [severity, n] of Object.entries(breaches.bySeverity))
    expect(n).toBe(old.counts.find((c) => c.severity === severity)?.n ?? 0);
  expect(breaches.total).toBe(old.counts.reduce((sum, c) => sum + c.n, 0));
  expect(breaches.total).toBeGreaterThan(accounts ? 10 : 20);
  expect(breaches.oldest.map((f) => f.id)).toEqual(old.oldest);
});
