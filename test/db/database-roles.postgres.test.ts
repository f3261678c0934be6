import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { appendAudit } from '../../src/audit/trail.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { postgresHandle } from '../../src/db/client.js';
import { JOB_SCHEMA } from '../../src/db/job-queues.js';
import { createLogger } from '../../src/log.js';
import { ScanJobs } from '../../src/workflow/scan-jobs.js';
import { runCli } from '../support/cli.js';
import { adminSql, dropDatabase, withDatabase } from '../support/postgres-admin.js';

// Two database roles: the owner migrates, Warden runs as a role that can add to the audit trail and
// read it, and nothing else. PostgreSQL only: the embedded database has one role.

const suffix = randomBytes(4).toString('hex');
const ownerRole = `warden_owner_${suffix}`;
const runtimeRole = `warden_app_${suffix}`;
const database = `warden_roles_${suffix}`;
const server = new URL(process.env.DATABASE_URL!);
const as = (role: string, password: string) => {
  const u = new URL(withDatabase(server.toString(), database));
  u.username = role;
  u.password = password;
  return u.toString();
};
const ownerUrl = as(ownerRole, 'owner-pw');
const runtimeUrl = as(runtimeRole, 'app-pw');
const admin = adminSql(server.toString());
let runtime: postgres.Sql;
const laterRoles: string[] = [];

beforeAll(async () => {
  await admin.unsafe(`create role ${ownerRole} login createrole password 'owner-pw'`);
  await admin.unsafe(`create database ${database} owner ${ownerRole}`);
  // The runtime role does not exist yet: `warden migrate` creates it from DATABASE_URL.
  const migrated = await runCli(['migrate'], {
    DATABASE_URL: runtimeUrl,
    WARDEN_MIGRATION_DATABASE_URL: ownerUrl,
  });
  expect(migrated).toMatchObject({
    code: 0,
    stdout: `migrations applied (postgres)\nruntime role ${runtimeRole}: SELECT and INSERT on audit_events, no UPDATE, DELETE or TRUNCATE, not the owner\n`,
  });
  runtime = postgres(runtimeUrl, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await runtime?.end();
  await dropDatabase(admin, database);
  for (const role of [runtimeRole, ...laterRoles, ownerRole])
    await admin.unsafe(`drop role if exists ${role}`);
  await admin.end();
});

test('the runtime role appends events and verifies the chain', async () => {
  const handle = postgresHandle(runtimeUrl, { max: 2 });
  try {
    for (let i = 0; i < 3; i++)
      await appendAudit(handle.db, { actor: 'U1', action: 'test.append', subject: `n:${i}` });
    expect(await verifyAuditChain(handle.db)).toMatchObject({ ok: true, count: 3 });
  } finally {
    await handle.close();
  }
  expect(await runCli(['audit', 'verify'], { DATABASE_URL: runtimeUrl })).toMatchObject({ code: 0 });
});

test.each([
  [
    'UPDATE',
    'update audit_events set actor = $$mallory$$ where seq = 2',
    /permission denied for table audit_events/,
  ],
  ['DELETE', 'delete from audit_events where seq = 3', /permission denied for table audit_events/],
  ['TRUNCATE', 'truncate audit_events', /permission denied for table audit_events/],
  [
    'disabling its trigger',
    'alter table audit_events disable trigger all',
    /must be owner of table audit_events/,
  ],
  ['dropping it', 'drop table audit_events', /must be owner of table audit_events/],
  [
    'switching triggers off for the session',
    "set session_replication_role = 'replica'",
    /permission denied to set parameter/,
  ],
  [
    'removing the chain’s head',
    'delete from audit_chain_head',
    /permission denied for table audit_chain_head/,
  ],
  [
    'taking ownership',
    `alter table audit_events owner to ${runtimeRole}`,
    /must be owner of table audit_events/,
  ],
])('the runtime role is refused %s on the audit trail', async (_what, statement, refusal) => {
  await expect(runtime.unsafe(statement)).rejects.toThrow(refusal);
  expect(await runtime.unsafe('select count(*)::int as n from audit_events')).toEqual([{ n: 3 }]);
});

test('the runtime role still writes Warden’s other state', async () => {
  await runtime.unsafe(`insert into accounts (id, name, state) values ('123456789012', 'prod', 'ACTIVE')`);
  await runtime.unsafe(`update accounts set name = 'prod-web' where id = '123456789012'`);
  await runtime.unsafe(`delete from accounts where id = '123456789012'`);
});

test('replicas migrating at the same moment take turns: the role is created and granted once, and all succeed', async () => {
  const role = `warden_app2_${suffix}`;
  const second = as(role, 'app2-pw');
  try {
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        runCli(['migrate'], { DATABASE_URL: second, WARDEN_MIGRATION_DATABASE_URL: ownerUrl }),
      ),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const other = postgres(second, { max: 1, onnotice: () => {} });
    try {
      await expect(other.unsafe('delete from audit_events')).rejects.toThrow(
        /permission denied for table audit_events/,
      );
    } finally {
      await other.end();
    }
  } finally {
    laterRoles.push(role); // dropped once the database that grants it is gone
  }
});

test('a command run as the runtime role refuses a schema that is behind instead of migrating it', async () => {
  const fresh = `warden_roles_fresh_${suffix}`;
  await admin.unsafe(`create database ${fresh} owner ${ownerRole}`);
  try {
    const url = withDatabase(runtimeUrl, fresh);
    const { code, stderr } = await runCli(['scan'], { DATABASE_URL: url });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'no migrations applied: run `warden migrate` as the schema’s owner (or set WARDEN_MIGRATION_DATABASE_URL)',
    );
  } finally {
    await dropDatabase(admin, fresh);
  }
});

test('the runtime role works the scan job queues (takes, touches and completes jobs) and cannot change their schema', async () => {
  const jobs = await ScanJobs.open(runtimeUrl, createLogger('silent'));
  try {
    const taken: number[] = [];
    await jobs.work(
      {
        coordinate: async (job) => {
          taken.push(job.scanId);
        },
        target: async () => {},
      },
      { targets: 1 },
    );
    await jobs.coordinate({ scanId: 42, full: false, trigger: 'cli' });
    for (let i = 0; i < 100 && taken.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(taken).toEqual([42]);
  } finally {
    await jobs.stop();
  }
  await expect(runtime.unsafe(`create table ${JOB_SCHEMA}.mine (id int)`)).rejects.toThrow(
    /permission denied for schema/,
  );
  await expect(runtime.unsafe(`drop table ${JOB_SCHEMA}.job cascade`)).rejects.toThrow(/must be owner/);
});
