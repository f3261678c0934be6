import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './cli.js';

/**
 * A PostgreSQL server of a test's own, on its own port, that the test may stop or kill (never the
 * shared one on 5432). Uses the machine's PostgreSQL binaries; as root it runs them as `postgres`,
 * since PostgreSQL refuses to run as root. Password authentication (scram) for `warden`.
 */
export interface PrivatePostgres {
  port: number;
  /** postgres://warden:PASSWORD@127.0.0.1:PORT/warden */
  url: string;
  password: string;
  start(): Promise<void>;
  /** Immediate shutdown (SIGQUIT to the postmaster): connections drop as in a crash. */
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

const PASSWORD = 'pr1vate-secret-do-not-print';

function binaries(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL under ${root}`);
  return path.join(root, version, 'bin');
}

export async function privatePostgres(): Promise<PrivatePostgres> {
  const bin = binaries();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-pg-'));
  const data = path.join(dir, 'data');
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${PASSWORD}\n`);
  // As root, the server's processes run as the postgres user (spawn's uid and gid).
  const owner = asRoot
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
      }
    : {};
  if (owner.uid !== undefined) {
    chownSync(dir, owner.uid, owner.gid!);
    chownSync(pwfile, owner.uid, owner.gid!);
  }
  chmodSync(dir, 0o700);
  execFileSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'warden', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8'],
    { stdio: 'ignore', ...owner },
  );
  const port = await freePort();
  let server: ChildProcess | undefined;
  const ready = async () => {
    for (let i = 0; i < 100; i++) {
      try {
        execFileSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q']);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`the private PostgreSQL on port ${port} did not start`);
  };
  const pg: PrivatePostgres = {
    port,
    password: PASSWORD,
    url: `postgres://warden:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async start() {
      server = spawn(
        path.join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
        { stdio: 'ignore', ...owner },
      );
      await ready();
    },
    async kill() {
      if (!server || server.exitCode !== null) return;
      const exited = new Promise((resolve) => server!.on('exit', resolve));
      server.kill('SIGQUIT');
      await exited;
    },
    async destroy() {
      await pg.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}
