import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { type DbHandle, pgliteHandle, postgresHandle } from '../../src/db/client.js';
import { adminSql, dropDatabase, withDatabase } from './postgres-admin.js';

export interface TestDatabase extends DbHandle {
  /** Set on PostgreSQL: the URL of this test's own database (for code that opens its own connections). */
  url: string | undefined;
}

/** True when the tests run against PostgreSQL (DATABASE_URL set), false on embedded PGlite. */
export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * A database of its own for one test file (or test), already migrated: cloned from the run's
 * template, on PostgreSQL or PGlite, whichever the run uses. Closing it drops it.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  const pgTemplate = inject('pgTemplate');
  if (pgTemplate) return createPostgresDatabase(`template "${pgTemplate}"`);
  const tarball = readFileSync(inject('pgliteTemplate')!);
  const client = await PGlite.create({ loadDataDir: new Blob([tarball]) });
  return { ...(await pgliteHandle(client)), url: undefined };
}

/** A database with nothing in it, not even migrations. */
export async function openEmptyDatabase(): Promise<TestDatabase> {
  if (onPostgres) return createPostgresDatabase('template template0');
  return { ...(await pgliteHandle(await PGlite.create())), url: undefined };
}

async function createPostgresDatabase(template: string): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL!;
  const name = `warden_test_${randomBytes(6).toString('hex')}`;
  const admin = adminSql(serverUrl);
  await admin.unsafe(`create database "${name}" ${template}`);
  const url = withDatabase(serverUrl, name);
  const handle = postgresHandle(url);
  return {
    ...handle,
    url,
    async close() {
      await handle.close();
      await dropDatabase(admin, name);
      await admin.end();
    },
  };
}
