import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Config } from '../config.js';
import { WardenError } from '../errors.js';
import { lockDataDir } from './folder-lock.js';
import { LOCKS } from './locks.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The database or a transaction on it: every repository function takes one of these first. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  db: Database;
  driver: 'postgres' | 'pglite';
  /** Applies every pending migration from drizzle/; safe to run from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** The folder holding drizzle-kit's migrations, found from this module both in src/ and in dist/src/. */
export const MIGRATIONS_FOLDER = findMigrationsFolder(path.dirname(fileURLToPath(import.meta.url)));

function findMigrationsFolder(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'drizzle');
    if (existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no drizzle/ migrations folder above ${from}`);
  }
}

/**
 * Opens the database the configuration names: PostgreSQL through postgres.js when DATABASE_URL is
 * set, otherwise an embedded PGlite kept in WARDEN_DATA_DIR, locked to this process until closed.
 * `create: false` refuses to make an embedded database that is not there.
 */
export async function createDb(config: Config, options: { create?: boolean } = {}): Promise<DbHandle> {
  const { url, dataDir } = config.database;
  if (url) return postgresHandle(url);
  if (options.create === false && !existsSync(path.join(dataDir, 'PG_VERSION')))
    throw new NoDatabase(
      `no embedded database in ${dataDir}: run \`warden migrate\` (or \`warden serve\`) first`,
    );
  mkdirSync(dataDir, { recursive: true });
  const release = await lockDataDir(dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const client = await PGlite.create(dataDir);
    const handle = await pgliteHandle(client);
    return {
      ...handle,
      close: async () => {
        try {
          await handle.close();
        } finally {
          await release();
        }
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

/** The database asked for is not there, and this command does not create one. */
export class NoDatabase extends WardenError {
  constructor(message: string) {
    super('no-database', message);
  }
}

/**
 * How long closing a PostgreSQL pool waits for its queries before dropping its connections. Without
 * a bound, postgres.js waits forever for a query whose server died under it (porsager/postgres#1097,
 * #1186), and a command that closes its pool on the way out never exits.
 */
export const DB_CLOSE_TIMEOUT_SECONDS = 5;

/**
 * Settings of every session Warden opens on PostgreSQL, sent when it connects. JIT is off: Warden's
 * statements are short, and a table a first scan fills from nothing has no statistics until
 * autovacuum analyzes it, so PostgreSQL estimates hundreds of thousands of rows and compiles
 * statements that read a few thousand with LLVM (15 ms each; 138 of the 168 s the regrouping took in
 * a 2,500-account scan, and 1.9 of the 5.1 s a 1,000-account scan spent concluding, measured).
 */
export const SESSION_SETTINGS = { jit: 'off' } as const;

export function postgresHandle(url: string, options: { max?: number } = {}): DbHandle {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: SESSION_SETTINGS,
  });
  return {
    db: drizzlePostgres(client, { schema }) as unknown as Database,
    driver: 'postgres',
    async migrate() {
      // A dedicated single connection holds a session advisory lock, so replicas starting together
      // apply the migrations one after the other (the second finds nothing left to do).
      const one = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await one`select pg_advisory_lock(${LOCKS.migrations}::bigint)`;
        await migratePostgres(drizzlePostgres(one), { migrationsFolder: MIGRATIONS_FOLDER });
        await one`select pg_advisory_unlock(${LOCKS.migrations}::bigint)`;
      } finally {
        await one.end({ timeout: DB_CLOSE_TIMEOUT_SECONDS });
      }
    },
    close: () => client.end({ timeout: DB_CLOSE_TIMEOUT_SECONDS }),
  };
}

/**
 * Wraps an open PGlite (a data folder, or in memory for tests). PGlite runs one query at a time.
 * Drizzle's PGlite driver is loaded here, only for the embedded database: importing it costs about
 * 0.7 s and 140 MB, which a command on PostgreSQL (or `--help`) should not pay.
 */
export async function pgliteHandle(client: PGlite): Promise<DbHandle> {
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
  const { migrate: migratePglite } = await import('drizzle-orm/pglite/migrator');
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    driver: 'pglite',
    migrate: async () => {
      await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_FOLDER });
    },
    close: () => client.close(),
  };
}

/**
 * Runs raw SQL and returns its rows on either driver (postgres.js returns an array, PGlite `{ rows }`).
 * Prefer the query builder; this is for what it cannot say (locks, catalog queries).
 */
export async function rawRows<T = Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
