import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { pgliteHandle, postgresHandle } from '../../src/db/client.js';
import { adminSql, dropDatabase, withDatabase } from './postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL: the migrated template database every test file clones. */
    pgTemplate: string | undefined;
    /** PGlite: a tarball of a migrated data directory every test file loads. */
    pgliteTemplate: string | undefined;
  }
}

/**
 * Migrates one template database per test run. With DATABASE_URL set the tests run on that
 * PostgreSQL server; without it, on embedded PGlite, as a new user would run them.
 */
export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  if (url) {
    const template = `warden_tmpl_${process.pid}`;
    const admin = adminSql(url);
    await dropDatabase(admin, template);
    await admin.unsafe(`create database "${template}"`);
    const handle = postgresHandle(withDatabase(url, template), { max: 1 });
    await handle.migrate();
    await handle.close();
    project.provide('pgTemplate', template);
    project.provide('pgliteTemplate', undefined);
    return async () => {
      await dropDatabase(admin, template);
      await admin.end();
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-test-'));
  const client = await PGlite.create();
  await (await pgliteHandle(client)).migrate();
  const dump = await client.dumpDataDir('none');
  await client.close();
  const file = path.join(dir, 'template.tar');
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgTemplate', undefined);
  project.provide('pgliteTemplate', file);
  return () => rmSync(dir, { recursive: true, force: true });
}
