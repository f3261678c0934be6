import { readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { WardenError } from '../errors.js';

/** The lock's name inside the data folder. */
export const LOCK_NAME = 'warden.lock';
/** A holder renews its lock this often… */
const UPDATE_MS = 2_000;
/** …and one not renewed for this long was left by a process that died (SIGKILL, OOM). */
const STALE_MS = 15_000;

/** Another process holds the embedded database's folder. */
export class DataDirLocked extends WardenError {
  constructor(readonly dir: string) {
    super(
      'database-locked',
      `the embedded database in ${dir} is in use by another Warden process: it serves one process at a time (PostgreSQL, through DATABASE_URL, serves several)`,
    );
  }
}

/** Folders this process holds. */
const held = new Set<string>();

/** Who holds a lock: written beside it, read by the next opener to tell a dead holder from a live one. */
interface Owner {
  pid: number;
  host: string;
  /** The PID namespace (Linux): a pid means something only inside its own namespace. */
  pidNamespace: string | undefined;
}

function me(): Owner {
  let pidNamespace: string | undefined;
  try {
    pidNamespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidNamespace = undefined;
  }
  return { pid: process.pid, host: hostname(), pidNamespace };
}

/** The holder ran beside this process: same host, same PID namespace, so its pid can be looked up. */
const besideMe = (owner: Owner | undefined, self: Owner) =>
  owner !== undefined && owner.host === self.host && owner.pidNamespace === self.pidNamespace;
const ownerFile = (dir: string) => path.join(dir, `${LOCK_NAME}.owner`);

/**
 * Takes the embedded database's folder for this process alone (PGlite is single-process: two openers
 * corrupt it). A live holder is refused at once. A holder that died (SIGKILL, OOM) is recognised at
 * once when it ran on this host (its process is gone); one from another host or container stops
 * renewing its lock (every 2 s) and is taken over once the lock is stale (15 s). Returns the release.
 */
export async function lockDataDir(
  dir: string,
  options: { onLost?: (err: Error) => void } = {},
): Promise<() => Promise<void>> {
  const lockfilePath = path.join(dir, LOCK_NAME);
  const take = async () => {
    const release = await lockfile.lock(dir, {
      lockfilePath,
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: 0,
      onCompromised:
        options.onLost ??
        ((err) => {
          throw new Error(`lost the lock on the embedded database in ${dir}: ${err.message}`);
        }),
    });
    held.add(dir);
    writeFileSync(ownerFile(dir), JSON.stringify(me()));
    return async () => {
      held.delete(dir);
      rmSync(ownerFile(dir), { force: true });
      await release();
    };
  };
  try {
    return await take();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOCKED') throw err;
    if (held.has(dir)) throw new DataDirLocked(dir);
    const owner = readOwner(dir);
    const self = me();
    if (besideMe(owner, self) && !alive(owner!.pid)) {
      // Its process is gone: the lock is left over. Check it is still the dead one's, then take it.
      if (readOwner(dir)?.pid === owner!.pid) rmSync(lockfilePath, { recursive: true, force: true });
      return retake(take, dir);
    }
    const age = lockAge(lockfilePath);
    // Renewed recently (or a live process on this host): its holder is alive.
    if (besideMe(owner, self) || age === undefined || age < 2 * UPDATE_MS) throw new DataDirLocked(dir);
    await new Promise((r) => setTimeout(r, Math.max(0, STALE_MS - age) + 250));
    return retake(take, dir);
  }
}

async function retake(take: () => Promise<() => Promise<void>>, dir: string) {
  try {
    return await take();
  } catch (again) {
    if ((again as { code?: string }).code === 'ELOCKED') throw new DataDirLocked(dir);
    throw again;
  }
}

function readOwner(dir: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(ownerFile(dir), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/** Whether a process of this host (and PID namespace) is running; our own pid is not a holder we know of. */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function lockAge(lockfilePath: string): number | undefined {
  try {
    return Date.now() - statSync(lockfilePath).mtimeMs;
  } catch {
    return undefined;
  }
}
