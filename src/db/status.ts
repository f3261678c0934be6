import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { type Database, MIGRATIONS_FOLDER, rawRows } from './client.js';
import { describeDatabaseError } from './errors.js';

/** How many migrations drizzle/ holds (from drizzle-kit's journal). */
export function migrationCount(): number {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

/** Whether the database answers and has every migration applied (drizzle records them in drizzle.__drizzle_migrations). */
export async function checkSchema(db: Database): Promise<{
  ok: boolean;
  detail: string /** The database answers, but migrations are missing. */;
  behind?: true;
}> {
  const expected = migrationCount();
  let applied: number;
  try {
    const [row] = await rawRows<{ n: number | string }>(
      db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    applied = Number(row?.n ?? 0);
  } catch (err) {
    const code =
      (err as { code?: string; cause?: { code?: string } }).code ??
      (err as { cause?: { code?: string } }).cause?.code;
    if (code === '42P01' || code === '3F000')
      return { ok: false, behind: true, detail: 'no migrations applied: run `warden migrate`' };
    return {
      ok: false,
      detail: describeDatabaseError(err) ?? `database unreachable: ${(err as Error).message}`,
    };
  }
  if (applied < expected)
    return {
      ok: false,
      behind: true,
      detail: `${expected - applied} migration(s) pending: run \`warden migrate\``,
    };
  return { ok: true, detail: `database up, ${applied} migrations applied` };
}
