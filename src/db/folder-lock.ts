import { statSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** The lock's name inside the data folder. */
export const LOCK_NAME = 'warden.lock';
/** A holder renews its lock this often… */
const UPDATE_MS = 2_000;
/** …and one not renewed for this long was left by a process that died (SIGKILL, OOM). */
const STALE_MS = 15_000;

/** Another process holds the embedded database's folder. */
export class DataDirLocked extends Error {
  readonly code = 'database-locked';
  override name = 'DataDirLocked';
  constructor(readonly dir: string) {
    super(
      `the embedded database in ${dir} is in use by another Warden process: it serves one process at a time (PostgreSQL, through DATABASE_URL, serves several)`,
    );
  }
}

/**
 * Takes the embedded database's folder for this process alone (PGlite is single-process: two openers
 * corrupt it). A live holder renews the lock every 2 s, so a second opener is refused at once. A lock
 * that stopped being renewed belongs to a process that died: the opener waits for it to go stale (at
 * most 15 s after the death) and takes it over. Returns the release.
 */
export async function lockDataDir(
  dir: string,
  options: { onLost?: (err: Error) => void } = {},
): Promise<() => Promise<void>> {
  const lockfilePath = path.join(dir, LOCK_NAME);
  const take = () =>
    lockfile.lock(dir, {
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
  try {
    return await take();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOCKED') throw err;
    const age = lockAge(lockfilePath);
    // Renewed recently: its holder is alive.
    if (age === undefined || age < 2 * UPDATE_MS) throw new DataDirLocked(dir);
    await new Promise((r) => setTimeout(r, Math.max(0, STALE_MS - age) + 250));
    try {
      return await take();
    } catch (again) {
      if ((again as { code?: string }).code === 'ELOCKED') throw new DataDirLocked(dir);
      throw again;
    }
  }
}

function lockAge(lockfilePath: string): number | undefined {
  try {
    return Date.now() - statSync(lockfilePath).mtimeMs;
  } catch {
    return undefined;
  }
}
