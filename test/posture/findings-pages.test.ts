import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import {
  countFindings,
  decodePageKey,
  encodePageKey,
  type FindingFilters,
  listFindings,
  type PageKey,
} from '../../src/posture/findings-list.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { seedAccounts } from '../support/seed.js';

// `/findings` pages by key (the last row's severity, first-seen time and id) instead of OFFSET. Walked
// page by page, forwards with Next and backwards with Previous, the pages hold exactly the rows the
// old OFFSET query listed, in its order, for every filter; and the totals equal counting the rows.

let t: TestDatabase;
const ACCOUNTS = ['111111111111', '222222222222', '333333333333', '444444444444'] as const;
const PAGE = 7;
/** Every row's key, as listFindings reads it. */
let keys: Map<number, PageKey>;

beforeAll(async () => {
  t = await openTestDatabase();
  await seedAccounts(
    t.db,
    ACCOUNTS.map((id, i) => ({ id, name: `account-${i}` })),
  );
  // 400 findings; first-seen times repeat (ties broken by id) and carry microseconds.
  await t.db.execute(sql`
    insert into findings (source, product_arn, external_id, account_id, region, resource_id, control_id,
      generator_id, title, severity, status, assignee, first_seen_at, last_seen_at)
    select case when i % 6 = 0 then 'credential-report' else 'securityhub' end, '', 'f-' || i,
      (array['111111111111','222222222222','333333333333','444444444444'])[1 + i % 4], 'us-east-1',
      'r-' || i, (array['IAM.4','S3.1','EC2.2'])[1 + i % 3],
      case when i % 6 = 0 then 'warden/' || (array['root-access-keys','password-policy-weak'])[1 + (i / 6) % 2] end,
      'Finding ' || i,
      (array['critical','high','high','medium','medium','low','informational'])[1 + (i * 5) % 7],
      (array['open','open','acknowledged','resolved','suppressed'])[1 + (i * 3) % 5],
      case when i % 9 = 0 then 'U0ALICE' end,
      timestamptz '2026-10-01 00:00:00.123456+00' + ((i % 37) || ' hours')::interval
        + ((i % 3) || ' microseconds')::interval,
      now()
    from generate_series(1, 400) i`);
  const every = await rawRows<{ id: number }>(t.db, sql`select id from findings`);
  const listed = await listFindings(t.db, { ids: every.map((r) => r.id) }, { limit: every.length });
  keys = new Map(listed.keys.map((k) => [k.id, k]));
});
afterAll(async () => {
  await t.close();
});

/** The old query: every matching row in the lists' order, as OFFSET pages read them. */
async function reference(where: string): Promise<number[]> {
  const rows = await rawRows<{ id: number }>(
    t.db,
    sql.raw(`select id from findings where ${where}
      order by case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2
        when 'low' then 3 else 4 end, first_seen_at desc, id desc`),
  );
  return rows.map((r) => r.id);
}

const cases: Array<[string, FindingFilters, string]> = [
  ['open work (the default)', {}, `status in ('open', 'acknowledged')`],
  ['one severity', { severity: 'high' }, `severity = 'high' and status in ('open', 'acknowledged')`],
  [
    'one account',
    { accountId: ACCOUNTS[2] },
    `account_id = '${ACCOUNTS[2]}' and status in ('open', 'acknowledged')`,
  ],
  [
    'the accounts an owner reads',
    { accountIds: [ACCOUNTS[0]!, ACCOUNTS[3]!] },
    `account_id in ('${ACCOUNTS[0]}', '${ACCOUNTS[3]}') and status in ('open', 'acknowledged')`,
  ],
  ['resolved', { status: 'resolved' }, `status = 'resolved'`],
  [
    'suppressed, one account',
    { status: 'suppressed', accountId: ACCOUNTS[1] },
    `status = 'suppressed' and account_id = '${ACCOUNTS[1]}'`,
  ],
  [
    'one source',
    { source: 'credential-report' },
    `source = 'credential-report' and status in ('open', 'acknowledged')`,
  ],
  ['an assignee', { assignee: 'U0ALICE' }, `assignee = 'U0ALICE' and status in ('open', 'acknowledged')`],
  [
    'a security control',
    { controls: ['S3.1'] },
    `control_id = 'S3.1' and status in ('open', 'acknowledged')`,
  ],
  [
    'a security control, resolved',
    { controls: ['S3.1'], status: 'resolved' },
    `control_id = 'S3.1' and status = 'resolved'`,
  ],
  [
    'a Warden check',
    { controls: ['root-access-keys'] },
    `generator_id = 'warden/root-access-keys' and status in ('open', 'acknowledged')`,
  ],
  [
    'a security control and a Warden check, one account',
    { controls: ['EC2.2', 'password-policy-weak'], accountId: ACCOUNTS[0] },
    `(control_id = 'EC2.2' or generator_id = 'warden/password-policy-weak') and account_id = '${ACCOUNTS[0]}'
      and status in ('open', 'acknowledged')`,
  ],
  [
    'a security control and the Warden check of the same issues',
    { controls: ['IAM.4', 'root-access-keys'] },
    `(control_id = 'IAM.4' or generator_id = 'warden/root-access-keys') and status in ('open', 'acknowledged')`,
  ],
  ['a security control with none', { controls: ['KMS.4'] }, 'false'],
  ['an account with nothing', { accountIds: [] }, 'false'],
];

test.each(cases)(
  '%s: Next and Previous walk the same rows as OFFSET, in order',
  async (_, filters, where) => {
    const expected = await reference(where);
    expect(await countFindings(t.db, filters)).toBe(expected.length);

    const forward: number[][] = [];
    let after: PageKey | undefined;
    for (;;) {
      const page = await listFindings(t.db, filters, { limit: PAGE, ...(after ? { at: { after } } : {}) });
      expect(page.total).toBe(expected.length);
      if (page.rows.length === 0) break;
      expect(page.rows.map((r) => r.id)).toEqual(page.keys.map((k) => k.id));
      forward.push(page.rows.map((r) => r.id));
      // The key travels through a button as text and comes back the same.
      after = decodePageKey(encodePageKey(page.keys.at(-1)!));
    }
    expect(forward.flat()).toEqual(expected);
    expect(forward.slice(0, -1).every((p) => p.length === PAGE)).toBe(true);

    // Backwards from the last page, each page is the one before it.
    const last = await listFindings(t.db, filters, { limit: PAGE, ...(after ? { at: { after } } : {}) });
    expect(last.rows).toEqual([]);
    for (let i = forward.length - 1; i > 0; i--) {
      const shown = await listFindings(t.db, filters, {
        limit: PAGE,
        at: { from: keys.get(forward[i]![0]!)! },
      });
      expect(shown.rows.map((r) => r.id)).toEqual(forward[i]);
      const previous = await listFindings(t.db, filters, { limit: PAGE, at: { before: shown.keys[0]! } });
      expect(previous.rows.map((r) => r.id)).toEqual(forward[i - 1]);
    }
  },
);

test('a key that is not one Warden wrote is refused', async () => {
  for (const text of ['', '5.abc.1', '1.abc', '1.abc.1.2', '1.ABC.1', "1.a.1'; drop table findings"])
    expect(decodePageKey(text)).toBeUndefined();
  expect(decodePageKey('1.k3.z')).toEqual({ rank: 1, micros: 20 * 36 + 3, id: 35 });
  await expect(listFindings(t.db, { ids: [] }, { limit: 1 })).resolves.toMatchObject({ rows: [], total: 0 });
});
