import type { Database } from './client.js';
import { type NewPostureSnapshot, postureSnapshots } from './schema.js';

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters at 11 columns a row. */
const ROWS_PER_INSERT = 500;

/** Stores one scan's posture snapshots (one row per account). */
export async function insertPostureSnapshots(
  db: Database,
  rows: readonly NewPostureSnapshot[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
    await db.insert(postureSnapshots).values(rows.slice(i, i + ROWS_PER_INSERT));
}
