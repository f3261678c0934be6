import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import type { Database } from '../db/client.js';
import { assignments, type Finding, findings, suppressions } from '../db/schema.js';
import type { FindingStatus } from '../domain.js';
import { WardenError } from '../errors.js';

/**
 * The finding lifecycle's human transitions. Each changes state and appends its audit event in one
 * transaction. The change is a conditional UPDATE (`… where status in (allowed states)`), so a double
 * click, a retried delivery or two replicas change the state once: the second finds nothing to change,
 * and writes no event. Permission is checked by the caller (Slack handlers) before any of these.
 */
export interface TriageResult {
  /** False when the finding was already in the target state (or gone): nothing happened. */
  changed: boolean;
  finding: Finding | undefined;
}

export class TriageError extends WardenError {
  constructor(message: string) {
    super('triage-refused', message);
  }
}

const DAY = 86_400_000;

async function transition(
  db: Database,
  input: { findingId: number; from: FindingStatus[]; to: FindingStatus; actor: string; now: Date },
  event: { action: string; details?: Record<string, unknown> },
  alsoInTransaction?: (tx: Database, finding: Finding) => Promise<void>,
): Promise<TriageResult> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(findings)
      .set({ status: input.to, statusChangedAt: input.now, statusChangedBy: input.actor })
      .where(and(eq(findings.id, input.findingId), inArray(findings.status, input.from)))
      .returning();
    if (!row) {
      const [current] = await tx.select().from(findings).where(eq(findings.id, input.findingId));
      return { changed: false, finding: current };
    }
    await alsoInTransaction?.(tx, row);
    await appendAudit(tx, {
      actor: input.actor,
      action: event.action,
      subject: `finding:${row.id}`,
      details: { account: row.accountId, title: row.title, ...event.details },
      at: input.now,
    });
    return { changed: true, finding: row };
  });
}

export function acknowledge(db: Database, findingId: number, actor: string, now = new Date()) {
  return transition(
    db,
    { findingId, from: ['open'], to: 'acknowledged', actor, now },
    { action: 'finding.acknowledged' },
  );
}

/** Reopens an acknowledged or resolved finding. */
export function reopen(db: Database, findingId: number, actor: string, now = new Date()) {
  return transition(
    db,
    { findingId, from: ['acknowledged', 'resolved'], to: 'open', actor, now },
    { action: 'finding.reopened' },
  );
}

/** Checks a suppression request: a reason, and an expiry in the future no further than the policy allows. */
export function validateSuppression(input: {
  reason: string;
  expiresAt: Date;
  maxDays: number;
  now: Date;
}): string[] {
  const problems: string[] = [];
  if (!input.reason.trim()) problems.push('a reason is required');
  if (Number.isNaN(input.expiresAt.getTime()) || input.expiresAt <= input.now)
    problems.push('the expiry must be in the future');
  else if (input.expiresAt.getTime() - input.now.getTime() > input.maxDays * DAY) {
    problems.push(`the expiry may be at most ${input.maxDays} days away`);
  }
  return problems;
}

export async function suppress(
  db: Database,
  input: { findingId: number; actor: string; reason: string; expiresAt: Date; maxDays: number; now?: Date },
): Promise<TriageResult> {
  const now = input.now ?? new Date();
  const problems = validateSuppression({ ...input, now });
  if (problems.length) throw new TriageError(problems.join('; '));
  return transition(
    db,
    { findingId: input.findingId, from: ['open', 'acknowledged'], to: 'suppressed', actor: input.actor, now },
    {
      action: 'finding.suppressed',
      details: { reason: input.reason.trim(), expiresAt: input.expiresAt.toISOString() },
    },
    async (tx, f) => {
      await tx.insert(suppressions).values({
        findingId: f.id,
        reason: input.reason.trim(),
        createdBy: input.actor,
        createdAt: now,
        expiresAt: input.expiresAt,
      });
    },
  );
}

const liftActive = (tx: Database, findingId: number, by: string, now: Date) =>
  tx
    .update(suppressions)
    .set({ liftedAt: now, liftedBy: by })
    .where(and(eq(suppressions.findingId, findingId), isNull(suppressions.liftedAt)));

export function unsuppress(db: Database, findingId: number, actor: string, now = new Date()) {
  return transition(
    db,
    { findingId, from: ['suppressed'], to: 'open', actor, now },
    { action: 'finding.unsuppressed' },
    (tx, f) => liftActive(tx, f.id, actor, now).then(() => {}),
  );
}

/** Assigns a finding that is not resolved; assigning the same person again changes nothing. */
export async function assign(
  db: Database,
  findingId: number,
  assignee: string,
  actor: string,
  now = new Date(),
) {
  return db.transaction(async (tx): Promise<TriageResult> => {
    const [row] = await tx
      .update(findings)
      .set({ assignee, statusChangedAt: now, statusChangedBy: actor })
      .where(
        and(
          eq(findings.id, findingId),
          inArray(findings.status, ['open', 'acknowledged', 'suppressed']),
          // Only when the assignee changes: a repeated click is a no-op.
          sql`${findings.assignee} is distinct from ${assignee}`,
        ),
      )
      .returning();
    if (!row) {
      const [current] = await tx.select().from(findings).where(eq(findings.id, findingId));
      return { changed: false, finding: current };
    }
    await tx
      .update(assignments)
      .set({ endedAt: now })
      .where(and(eq(assignments.findingId, findingId), isNull(assignments.endedAt)));
    await tx.insert(assignments).values({ findingId, assignee, assignedBy: actor, assignedAt: now });
    await appendAudit(tx, {
      actor,
      action: 'finding.assigned',
      subject: `finding:${findingId}`,
      details: { account: row.accountId, assignee },
      at: now,
    });
    return { changed: true, finding: row };
  });
}

/**
 * Reopens the findings whose suppression has expired (the scheduler runs this on a timer). Each one
 * is lifted, reopened and audited in its own transaction; returns the findings it reopened.
 */
export async function expireSuppressions(db: Database, now = new Date()): Promise<Finding[]> {
  const due = await db
    .select({ findingId: suppressions.findingId })
    .from(suppressions)
    .where(and(isNull(suppressions.liftedAt), lte(suppressions.expiresAt, now)));
  const reopened: Finding[] = [];
  for (const { findingId } of due) {
    const result = await transition(
      db,
      { findingId, from: ['suppressed'], to: 'open', actor: 'warden:expiry', now },
      { action: 'suppression.expired' },
      (tx, f) => liftActive(tx, f.id, 'warden:expiry', now).then(() => {}),
    );
    // A finding unsuppressed by hand meanwhile: just close its stale suppression row.
    if (!result.changed) await liftActive(db, findingId, 'warden:expiry', now);
    else if (result.finding) reopened.push(result.finding);
  }
  return reopened;
}
