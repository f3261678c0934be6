// What the PostgreSQL benchmarks share: the server from DATABASE_URL, a scratch database of their
// own (migrated, dropped however the run ends), and how figures are summarised.
import { migrateAsOwner } from '../src/db/roles.js';
import { adminSql, dropDatabase, withDatabase } from '../test/support/postgres-admin.js';

/** Runs `work` on a fresh, migrated database on the DATABASE_URL server; exits 2 without one. */
export async function withScratchDatabase(
  bench: string,
  work: (url: string) => Promise<void>,
): Promise<void> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    console.error(
      `${bench} needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)`,
    );
    process.exit(2);
  }
  const name = `warden_${bench.replace(/\W/g, '_')}_${process.pid}`;
  const admin = adminSql(server);
  await admin.unsafe(`create database "${name}"`);
  try {
    const url = withDatabase(server, name);
    await migrateAsOwner(url, url);
    await work(url);
  } finally {
    await dropDatabase(admin, name);
    await admin.end();
  }
}

/** The value at fraction `p` of the sorted samples (NaN when there are none). */
export const percentile = (xs: number[], p: number): number =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]! : Number.NaN;
