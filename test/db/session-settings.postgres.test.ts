import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rawRows } from '../../src/db/client.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t.close();
});

test("Warden's sessions do not compile statements with JIT: a table without statistics looks big enough for it", async () => {
  const [jit] = await rawRows<{ setting: string; source: string }>(
    t.db,
    sql`select setting, source from pg_settings where name = 'jit'`,
  );
  // Set by Warden when it connects, whatever the server's configuration says.
  expect(jit).toEqual({ setting: 'off', source: 'client' });
});
