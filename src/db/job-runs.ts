import { and, desc, eq, lt } from 'drizzle-orm';
import type { Database } from './client.js';
import { type JobRun, jobRuns } from './schema.js';

/**
 * Claims one job's scheduled slot: the row (job, slot) is unique, so however many replicas fire the
 * same slot, one insert wins and only its caller runs the job. Returns the run, or undefined when
 * another process has it.
 */
export async function claimSlot(
  db: Database,
  claim: { job: string; slot: Date; claimedBy: string; now: Date },
): Promise<JobRun | undefined> {
  const [run] = await db
    .insert(jobRuns)
    .values({ job: claim.job, slot: claim.slot, claimedBy: claim.claimedBy, startedAt: claim.now })
    .onConflictDoNothing()
    .returning();
  return run;
}

export async function finishRun(
  db: Database,
  id: number,
  outcome: { outcome: 'succeeded' | 'failed' | 'skipped' | 'cancelled'; error?: string; now: Date },
): Promise<void> {
  await db
    .update(jobRuns)
    .set({ outcome: outcome.outcome, error: outcome.error ?? null, finishedAt: outcome.now })
    .where(eq(jobRuns.id, id));
}

/** Whether some process already claimed this slot (whatever came of it). */
export async function slotClaimed(db: Database, job: string, slot: Date): Promise<boolean> {
  return (await db.$count(jobRuns, and(eq(jobRuns.job, job), eq(jobRuns.slot, slot)))) > 0;
}

/**
 * Runs left `running` longer than `staleMs` were cut short by a crash: they are marked `abandoned`
 * (kept, for anyone looking), and their job's next slot runs as usual.
 */
export async function abandonStaleRuns(db: Database, now: Date, staleMs: number): Promise<JobRun[]> {
  return db
    .update(jobRuns)
    .set({
      outcome: 'abandoned',
      error: 'the process running it stopped before it finished',
      finishedAt: now,
    })
    .where(and(eq(jobRuns.outcome, 'running'), lt(jobRuns.startedAt, new Date(now.getTime() - staleMs))))
    .returning();
}

/** The latest runs, newest first. */
export async function recentRuns(db: Database, limit: number): Promise<JobRun[]> {
  return db.select().from(jobRuns).orderBy(desc(jobRuns.slot), desc(jobRuns.id)).limit(limit);
}
