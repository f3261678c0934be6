import { and, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import { type Database, rawRows } from '../db/client.js';
import { retryOnDeadlock } from '../db/errors.js';
import { assignments, type Finding, findings, suppressions } from '../db/schema.js';
import type { FindingStatus } from '../domain.js';
import { WardenError } from '../errors.js';

/**
 * The finding lifecycle's human transitions. Each applies to the finding's whole issue (every finding
 * of the same problem: `findings.issue_key`), changes state and appends one audit event in one
 * transaction. The change is a conditional UPDATE (`… where status in (allowed states)`), so a double
 * click, a retried delivery or two replicas change the state once: the second finds nothing to change,
 * and writes no event. Permission is checked by the caller (Slack handlers) before any of these.
 */
export interface TriageResult {
  /** False when the finding was already in the target state (or gone): nothing happened. */
  changed: boolean;
  finding: Finding | undefined;
  /** Every finding of the issue the change applied to, the one asked about first (empty when none). */
  sources: Finding[];
}

export class TriageError extends WardenError {
  constructor(message: string) {
    super('triage-refused', message);
  }
}

const DAY = 86_400_000;

/**
 * The ids of every finding of this finding's issue, locked in id order (as regrouping locks them, so
 * the two wait for each other rather than deadlock); empty when there is no such finding.
 */
async function lockIssue(tx: Database, findingId: number): Promise<number[]> {
  const rows = await rawRows<{ id: number }>(
    tx,
    sql`select id from findings where issue_key = (select issue_key from findings where id = ${findingId})
      order by id for update`,
  );
  return rows.map((r) => Number(r.id));
}

/** The changed findings, the one asked about first. */
const askedFirst = (rows: Finding[], findingId: number) =>
  rows.sort((a, b) => Number(b.id === findingId) - Number(a.id === findingId) || a.id - b.id);

/** What an event about an issue says of its findings, when it has more than the one asked about. */
const sourcesDetail = (rows: Finding[]) => (rows.length > 1 ? { findings: rows.map((r) => r.id) } : {});

/** Moves the issue's findings in one of the `from` states to `to`, with its event, in one transaction. */
async function transition(
  db: Database,
  input: { findingId: number; from: FindingStatus[]; to: FindingStatus; actor: string; now: Date },
  event: { action: string; details?: Record<string, unknown> },
  alsoInTransaction?: (tx: Database, changed: Finding[]) => Promise<void>,
): Promise<TriageResult> {
  return retryOnDeadlock(() => transitionOnce(db, input, event, alsoInTransaction));
}

async function transitionOnce(
  db: Database,
  input: { findingId: number; from: FindingStatus[]; to: FindingStatus; actor: string; now: Date },
  event: { action: string; details?: Record<string, unknown> },
  alsoInTransaction?: (tx: Database, changed: Finding[]) => Promise<void>,
): Promise<TriageResult> {
  return db.transaction(async (tx) => {
    const issue = await lockIssue(tx, input.findingId);
    const rows = askedFirst(
      await tx
        .update(findings)
        .set({ status: input.to, statusChangedAt: input.now, statusChangedBy: input.actor })
        .where(and(inArray(findings.id, issue.length ? issue : [-1]), inArray(findings.status, input.from)))
        .returning(),
      input.findingId,
    );
    const [row] = rows;
    if (!row) {
      const [current] = await tx.select().from(findings).where(eq(findings.id, input.findingId));
      return { changed: false, finding: current, sources: [] };
    }
    await alsoInTransaction?.(tx, rows);
    await appendAudit(tx, {
      actor: input.actor,
      action: event.action,
      subject: `finding:${input.findingId}`,
      details: { account: row.accountId, title: row.title, ...event.details, ...sourcesDetail(rows) },
      at: input.now,
    });
    return { changed: true, finding: rows.find((r) => r.id === input.findingId) ?? row, sources: rows };
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
    async (tx, changed) => {
      // On each finding of the issue: each one's suppression ends (and is lifted) with the others'.
      await tx.insert(suppressions).values(
        changed.map((f) => ({
          findingId: f.id,
          reason: input.reason.trim(),
          createdBy: input.actor,
          createdAt: now,
          expiresAt: input.expiresAt,
        })),
      );
    },
  );
}

const liftActive = (tx: Database, findingIds: number[], by: string, now: Date) =>
  tx
    .update(suppressions)
    .set({ liftedAt: now, liftedBy: by })
    .where(and(inArray(suppressions.findingId, findingIds), isNull(suppressions.liftedAt)))
    .then(() => {});

const ids = (rows: Finding[]) => rows.map((f) => f.id);

export function unsuppress(db: Database, findingId: number, actor: string, now = new Date()) {
  return transition(
    db,
    { findingId, from: ['suppressed'], to: 'open', actor, now },
    { action: 'finding.unsuppressed' },
    (tx, changed) => liftActive(tx, ids(changed), actor, now),
  );
}

/** Assigns an issue that is not resolved (each of its findings); the same person again changes nothing. */
export async function assign(
  db: Database,
  findingId: number,
  assignee: string,
  actor: string,
  now = new Date(),
) {
  return retryOnDeadlock(() => assignOnce(db, findingId, assignee, actor, now));
}

function assignOnce(db: Database, findingId: number, assignee: string, actor: string, now: Date) {
  return db.transaction(async (tx): Promise<TriageResult> => {
    const issue = await lockIssue(tx, findingId);
    const rows = askedFirst(
      await tx
        .update(findings)
        .set({ assignee, statusChangedAt: now, statusChangedBy: actor })
        .where(
          and(
            inArray(findings.id, issue.length ? issue : [-1]),
            inArray(findings.status, ['open', 'acknowledged', 'suppressed']),
            // Only when the assignee changes: a repeated click is a no-op.
            sql`${findings.assignee} is distinct from ${assignee}`,
          ),
        )
        .returning(),
      findingId,
    );
    const [row] = rows;
    if (!row) {
      const [current] = await tx.select().from(findings).where(eq(findings.id, findingId));
      return { changed: false, finding: current, sources: [] };
    }
    await tx
      .update(assignments)
      .set({ endedAt: now })
      .where(and(inArray(assignments.findingId, ids(rows)), isNull(assignments.endedAt)));
    await tx
      .insert(assignments)
      .values(rows.map((f) => ({ findingId: f.id, assignee, assignedBy: actor, assignedAt: now })));
    await appendAudit(tx, {
      actor,
      action: 'finding.assigned',
      subject: `finding:${findingId}`,
      details: { account: row.accountId, assignee, ...sourcesDetail(rows) },
      at: now,
    });
    return { changed: true, finding: rows.find((r) => r.id === findingId) ?? row, sources: rows };
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
      (tx, changed) => liftActive(tx, ids(changed), 'warden:expiry', now),
    );
    // A finding unsuppressed by hand meanwhile, or with its issue just before: close its stale row.
    if (!result.changed) await liftActive(db, [findingId], 'warden:expiry', now);
    else reopened.push(...result.sources);
  }
  return reopened;
}
