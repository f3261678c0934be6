import { type SQL, sql } from 'drizzle-orm';
import { WardenError } from '../errors.js';
import { type Database, postgresHandle, rawRows } from './client.js';
import { databaseTarget } from './errors.js';
import { installJobQueues, JOB_SCHEMA } from './job-queues.js';
import { LOCKS } from './locks.js';

/**
 * Two PostgreSQL roles. The owner (WARDEN_MIGRATION_DATABASE_URL, or `warden migrate` run with the
 * owner's credentials) creates and alters the schema. The runtime role (DATABASE_URL) reads and
 * writes Warden's state, and on the audit trail may only add and read: it does not own the table, so
 * it cannot disable its triggers, and it holds no UPDATE, DELETE or TRUNCATE on it.
 */

/** What the runtime role may do on the audit trail: its privileges, and why it could rewrite history. */
export interface TrailGuard {
  role: string;
  /** Empty when the role can only add and read events. */
  problems: string[];
}

/** The role a database URL logs in as. */
export function roleOf(url: string): string {
  return databaseTarget(url)?.user ?? 'postgres';
}

/**
 * Grants the runtime role what it needs, on the schema as it is now (run after every migration, so a
 * new table is covered): all of Warden's tables, except that on `audit_events` it gets SELECT and
 * INSERT only, and the chain's head row it may move but not add or remove; the sequences; reading
 * which migrations ran. Creates the role (LOGIN, with the URL's
 * password) when it does not exist, which needs CREATEROLE.
 */
export function grantRuntimeRole(db: Database, runtimeUrl: string): Promise<TrailGuard> {
  // Replicas starting together take turns (the migrations' lock): two would race on CREATE ROLE, and
  // PostgreSQL refuses concurrent GRANTs on one table ("tuple concurrently updated").
  return db.transaction(async (owner) => {
    await rawRows(owner, sql`select pg_advisory_xact_lock(${LOCKS.migrations}::bigint)`);
    return grantTo(owner, runtimeUrl);
  });
}

async function grantTo(owner: Database, runtimeUrl: string): Promise<TrailGuard> {
  const role = roleOf(runtimeUrl);
  const [exists] = await rawRows(owner, sql`select 1 from pg_roles where rolname = ${role}`);
  if (!exists) {
    const password = new URL(runtimeUrl).password;
    await runFormatted(
      owner,
      password
        ? sql`select format('create role %I login password %L', ${role}::text, ${decodeURIComponent(password)}::text) as statement`
        : sql`select format('create role %I login', ${role}::text) as statement`,
    ).catch((err: unknown) => {
      throw new WardenError(
        'database',
        `cannot create the runtime role ${role}: ${(err as Error).message} (the migration role needs CREATEROLE, or create it yourself: see README "Database roles")`,
        { cause: err },
      );
    });
  }
  const r = sql.identifier(role);
  for (const statement of [
    sql`grant usage on schema public, drizzle to ${r}`,
    sql`grant select, insert, update, delete on all tables in schema public to ${r}`,
    sql`revoke all on audit_events from ${r}`,
    sql`revoke update, delete, truncate on audit_events from public`,
    sql`grant select, insert on audit_events to ${r}`,
    // The head is moved forward, never created or removed (which would stop every append).
    sql`revoke insert, delete, truncate on audit_chain_head from ${r}`,
    sql`grant usage, select on all sequences in schema public to ${r}`,
    sql`grant select on drizzle.__drizzle_migrations to ${r}`,
    // The scan job queues (pg-boss): taking, touching, completing and retrying jobs; no DDL.
    sql`grant usage on schema ${sql.identifier(JOB_SCHEMA)} to ${r}`,
    sql`grant select, insert, update, delete on all tables in schema ${sql.identifier(JOB_SCHEMA)} to ${r}`,
    sql`grant usage, select on all sequences in schema ${sql.identifier(JOB_SCHEMA)} to ${r}`,
  ])
    await rawRows(owner, statement);
  return trailGuard(owner, role);
}

/**
 * Whether `role` (default: the connection's own) could rewrite the audit trail: as a superuser, as
 * the table's owner (or a member of the owner's role), or through UPDATE, DELETE or TRUNCATE.
 */
export async function trailGuard(db: Database, role?: string): Promise<TrailGuard> {
  const [row] = await rawRows<{
    role: string;
    superuser: boolean;
    owner: string;
    owns: boolean;
    update: boolean;
    delete: boolean;
    truncate: boolean;
  }>(
    db,
    sql`select r.rolname as role, r.rolsuper as superuser, pg_get_userbyid(c.relowner) as owner,
          pg_has_role(r.oid, c.relowner, 'MEMBER') as owns,
          has_table_privilege(r.oid, c.oid, 'UPDATE') as update,
          has_table_privilege(r.oid, c.oid, 'DELETE') as delete,
          has_table_privilege(r.oid, c.oid, 'TRUNCATE') as truncate
        from pg_roles r, pg_class c
        where r.rolname = ${role ?? sql`current_user`} and c.oid = 'public.audit_events'::regclass`,
  );
  if (!row) throw new WardenError('database', `no role ${role} in the database`);
  const problems = row.superuser
    ? ['is a superuser']
    : [
        ...(row.owns ? [`owns audit_events (as ${row.owner})`] : []),
        ...(['update', 'delete', 'truncate'] as const)
          .filter((p) => row[p])
          .map((p) => `holds ${p.toUpperCase()} on audit_events`),
      ];
  return { role: row.role, problems };
}

/** One line for a person: what the role may do to the audit trail. */
export function describeGuard(guard: TrailGuard): string {
  return guard.problems.length === 0
    ? `runtime role ${guard.role}: SELECT and INSERT on audit_events, no UPDATE, DELETE or TRUNCATE, not the owner`
    : `runtime role ${guard.role} ${guard.problems.join(', ')}: it could rewrite the audit trail (see README "Database roles")`;
}

/** Runs the statement a query built with format() (PostgreSQL quotes identifiers and literals itself). */
async function runFormatted(db: Database, build: SQL): Promise<void> {
  const [row] = await rawRows<{ statement: string }>(db, build);
  await rawRows(db, sql.raw(row!.statement));
}

/** Applies pending migrations as the owner, then grants the runtime role (when it is another role). */
export async function migrateAsOwner(ownerUrl: string, runtimeUrl: string): Promise<void> {
  const [owner, runtime] = [databaseTarget(ownerUrl), databaseTarget(runtimeUrl)];
  if (
    owner &&
    runtime &&
    (owner.host !== runtime.host || owner.port !== runtime.port || owner.database !== runtime.database)
  )
    throw new WardenError(
      'config',
      `WARDEN_MIGRATION_DATABASE_URL (${owner.host}:${owner.port}/${owner.database}) and DATABASE_URL (${runtime.host}:${runtime.port}/${runtime.database}) name different databases`,
    );
  const handle = postgresHandle(ownerUrl, { max: 1 });
  try {
    await handle.migrate();
    await installJobQueues(ownerUrl);
    if (roleOf(ownerUrl) !== roleOf(runtimeUrl)) await grantRuntimeRole(handle.db, runtimeUrl);
  } finally {
    await handle.close();
  }
}
