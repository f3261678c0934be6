// What the PostgreSQL benchmarks share: the server from DATABASE_URL, a scratch database of their
// own (migrated, dropped however the run ends), and how figures are summarised.
import { migrateAsOwner } from '../src/db/roles.js';
import { adminSql, dropDatabase, withDatabase } from '../test/support/postgres-admin.js';

/**
 * Runs `work` on a fresh, migrated database on the DATABASE_URL server; exits 2 without one. With
 * BENCH_KEEP_DATABASE=<name> the database is that one, created when missing and kept afterwards, so a
 * dataset that takes minutes to build is built once (`work` is told whether it was there already).
 */
export async function withScratchDatabase(
  bench: string,
  work: (url: string, kept: boolean) => Promise<void>,
): Promise<void> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    console.error(
      `${bench} needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)`,
    );
    process.exit(2);
  }
  const admin = adminSql(server);
  const keep = process.env.BENCH_KEEP_DATABASE;
  if (keep) {
    const [found] = await admin`select 1 from pg_database where datname = ${keep}`;
    if (!found) await admin.unsafe(`create database "${keep}"`);
    await admin.end();
    const url = withDatabase(server, keep);
    await migrateAsOwner(url, url);
    return work(url, Boolean(found));
  }
  const name = `warden_${bench.replace(/\W/g, '_')}_${process.pid}`;
  await admin.unsafe(`create database "${name}"`);
  try {
    const url = withDatabase(server, name);
    await migrateAsOwner(url, url);
    await work(url, false);
  } finally {
    await dropDatabase(admin, name);
    await admin.end();
  }
}

/** The value at fraction `p` of the sorted samples (NaN when there are none). */
export const percentile = (xs: number[], p: number): number =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]! : Number.NaN;
