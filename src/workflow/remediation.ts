import { and, eq, lte } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import type { Config, Policy } from '../config.js';
import type { Database } from '../db/client.js';
import {
  accounts,
  type Finding,
  type RemediationRequest,
  remediationDecisions,
  remediationRequests,
} from '../db/schema.js';
import { WardenError } from '../errors.js';
import type { PlannedCall, Playbook, Saved } from '../remediate/playbook.js';
import { PLAYBOOKS } from '../remediate/registry.js';
import { recordDenial } from './denials.js';
import { type Identity, isOwner, mayApprove } from './policy.js';

/**
 * Remediation requests and their approvals. Every change of a request and its audit event commit in
 * one transaction. Deciding locks the request's row first, so approvals of one request are counted
 * one after the other, and exactly one of them moves it to `executing` (across clicks delivered
 * twice, approvers racing, and replicas): only that caller runs it.
 */

/** A request still executing after this long was left by a crash: flagged for a person, never re-run. */
export const EXECUTION_STALE_MS = 15 * 60_000;
export const REASON_MAX = 1000;

export class RemediationRefused extends WardenError {
  constructor(message: string) {
    super('remediation-refused', message);
  }
}

/** How many approvals, from different people, a request needs under the policy. */
export function approvalsRequired(playbook: Playbook, finding: Finding, policy: Policy): number {
  const rules = policy.remediation.twoApprovalsFor;
  const second =
    (rules.includes('irreversible') && !playbook.reversible) ||
    (rules.includes('critical') && finding.severity === 'critical');
  return second ? 2 : 1;
}

export interface NewRequest {
  finding: Finding;
  playbook: Playbook;
  input: unknown;
  plan: PlannedCall[];
  reason: string;
  requestedBy: string;
  /** For a rollback: the request whose change it undoes. */
  rollbackOf?: number;
}

/**
 * Records a request (pending until enough people approve it, or until it expires) and audits it
 * with its plan. Refused without a reason, or while the same remediation is already open.
 */
export async function createRequest(
  db: Database,
  r: NewRequest,
  config: Config,
  now = new Date(),
): Promise<RemediationRequest> {
  const reason = r.reason.trim();
  if (!reason) throw new RemediationRefused('a reason is required');
  if (reason.length > REASON_MAX)
    throw new RemediationRefused(`the reason may be at most ${REASON_MAX} characters`);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(remediationRequests)
      .values({
        findingId: r.finding.id,
        accountId: r.finding.accountId,
        playbookId: r.playbook.id,
        input: r.input as Record<string, unknown>,
        plan: r.plan,
        reason,
        requestedBy: r.requestedBy,
        requestedAt: now,
        requiredApprovals: approvalsRequired(r.playbook, r.finding, config.policy),
        expiresAt: new Date(now.getTime() + config.aws.remediation.requestTtlMs),
        rollbackOf: r.rollbackOf ?? null,
        // Fixed now, shown to the approvers, and what runs: changing WARDEN_REMEDIATION_MODE later
        // never turns an approved dry run into a change.
        mode: config.aws.remediation.mode,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      throw new RemediationRefused(
        r.rollbackOf
          ? 'a rollback of it is already waiting'
          : 'the same remediation of this finding is already waiting',
      );
    }
    await appendAudit(tx, {
      actor: r.requestedBy,
      action: r.rollbackOf ? 'remediation.rollback-requested' : 'remediation.requested',
      subject: `remediation:${row.id}`,
      details: {
        finding: r.finding.id,
        account: r.finding.accountId,
        playbook: r.playbook.id,
        reversible: r.playbook.reversible,
        plan: r.plan,
        reason,
        requiredApprovals: row.requiredApprovals,
        mode: row.mode,
        expiresAt: row.expiresAt.toISOString(),
        ...(r.rollbackOf ? { rollbackOf: r.rollbackOf } : {}),
      },
      at: now,
    });
    return row;
  });
}

/** The calls that undo a completed request, from what its plan saved; refused unless it can be rolled back. */
export function rollbackPlan(original: RemediationRequest, playbook: Playbook): PlannedCall[] {
  if (!playbook.rollback) throw new RemediationRefused(`${playbook.title} cannot be undone`);
  if (original.status !== 'succeeded' && original.status !== 'unverified')
    throw new RemediationRefused(
      `only a change that was made can be rolled back; this request is ${original.status}`,
    );
  if (original.mode !== 'execute') throw new RemediationRefused('a dry run changed nothing to roll back');
  if (original.rollbackOf)
    throw new RemediationRefused('a rollback is not rolled back; request the remediation again');
  const saved = ((original.result ?? {}) as { saved?: Saved }).saved ?? {};
  return playbook.rollback.plan(playbook.input.parse(original.input), saved);
}

/** Why this request cannot be rolled back (undefined: it can), before anyone is asked why. */
export function rollbackRefusal(original: RemediationRequest): string | undefined {
  const playbook = PLAYBOOKS.get(original.playbookId);
  if (!playbook) return `there is no playbook ${original.playbookId}`;
  try {
    rollbackPlan(original, playbook);
    return undefined;
  } catch (err) {
    if (err instanceof RemediationRefused) return err.message;
    throw err;
  }
}

/**
 * Asks to undo a completed request: a new request (`rollbackOf` the original) whose plan restores
 * what the original saved, approved under the same policy. Refused unless the original can be
 * rolled back.
 */
export async function requestRollback(
  db: Database,
  r: { original: RemediationRequest; finding: Finding; reason: string; requestedBy: string },
  config: Config,
  now = new Date(),
): Promise<RemediationRequest> {
  const playbook = PLAYBOOKS.get(r.original.playbookId);
  if (!playbook) throw new RemediationRefused(`there is no playbook ${r.original.playbookId}`);
  return createRequest(
    db,
    {
      finding: r.finding,
      playbook,
      input: r.original.input,
      plan: rollbackPlan(r.original, playbook),
      reason: r.reason,
      requestedBy: r.requestedBy,
      rollbackOf: r.original.id,
    },
    config,
    now,
  );
}

export type Decision =
  | { outcome: 'refused'; reason: string }
  /** Approved, and more approvals are needed. */
  | { outcome: 'approved'; request: RemediationRequest; approvals: number }
  /** The approval that completed it: the request is now executing, and this caller must run it. */
  | { outcome: 'execute'; request: RemediationRequest }
  | { outcome: 'rejected'; request: RemediationRequest };

/**
 * One person's approval or rejection. Refused (the refusal audited, nothing else recorded) when the
 * request is not pending, has expired, is theirs, is in an account they may not approve for, or they
 * decided it already. A rejection needs a reason and ends the request; the last approval needed
 * starts its execution.
 */
export async function decide(
  db: Database,
  d: { requestId: number; who: Identity; decision: 'approve' | 'reject'; reason?: string; config: Config },
  now = new Date(),
): Promise<Decision> {
  const reason = d.reason?.trim() ?? '';
  const decision: Decision =
    d.decision === 'reject' && !reason
      ? { outcome: 'refused', reason: 'a rejection needs a reason' }
      : await record(db, d, reason, now);
  if (decision.outcome === 'refused') {
    await recordDenial(db, {
      actor: d.who.userId,
      attempted: `${d.decision} remediation`,
      subject: `remediation:${d.requestId}`,
      reason: decision.reason,
    });
  }
  return decision;
}

type RequestRow = { request: RemediationRequest; tags: Record<string, string> | null };

/** A request with its account's tags (whose owners may decide it), locked for the decision when asked. */
async function requestRow(db: Database, id: number, lock: boolean): Promise<RequestRow | undefined> {
  const query = db
    .select({ request: remediationRequests, tags: accounts.tags })
    .from(remediationRequests)
    .leftJoin(accounts, eq(accounts.id, remediationRequests.accountId))
    .where(eq(remediationRequests.id, id));
  const [row] = await (lock ? query.for('update', { of: remediationRequests }) : query);
  return row;
}

/**
 * Why this person may not decide this request now: there is none, it is not pending, it has expired
 * (`expired`: the caller records that), it is theirs, or the account is not theirs to approve for.
 */
function whyNotDecide(
  row: RequestRow | undefined,
  requestId: number,
  who: Identity,
  policy: Policy,
  now: Date,
): { reason: string; expired?: true } | undefined {
  if (!row) return { reason: `there is no remediation request ${requestId}` };
  const { request } = row;
  if (request.status !== 'pending') return { reason: `the request is ${request.status}` };
  if (request.expiresAt <= now) return { reason: 'the request has expired; ask for it again', expired: true };
  if (request.requestedBy === who.userId) return { reason: 'nobody decides their own request' };
  if (!mayApprove(who, { id: request.accountId, tags: row.tags ?? {} }, policy))
    return {
      reason: `only the owners of account ${request.accountId}, the approvers and the admins may decide`,
    };
  return undefined;
}

/**
 * Why this person may not decide this request now (before a form asks them why), as decide() would
 * refuse it. The refusal is audited; undefined: they may.
 */
export async function decisionRefusal(
  db: Database,
  d: { requestId: number; who: Identity; decision: 'approve' | 'reject'; config: Config },
  now = new Date(),
): Promise<string | undefined> {
  const refused = whyNotDecide(
    await requestRow(db, d.requestId, false),
    d.requestId,
    d.who,
    d.config.policy,
    now,
  );
  if (refused)
    await recordDenial(db, {
      actor: d.who.userId,
      attempted: `${d.decision} remediation`,
      subject: `remediation:${d.requestId}`,
      reason: refused.reason,
    });
  return refused?.reason;
}

async function record(
  db: Database,
  d: { requestId: number; who: Identity; decision: 'approve' | 'reject'; config: Config },
  reason: string,
  now: Date,
): Promise<Decision> {
  return db.transaction(async (tx): Promise<Decision> => {
    const row = await requestRow(tx, d.requestId, true);
    const refused = whyNotDecide(row, d.requestId, d.who, d.config.policy, now);
    if (refused?.expired) {
      const { request } = row!;
      await tx
        .update(remediationRequests)
        .set({ status: 'expired' })
        .where(eq(remediationRequests.id, request.id));
      await appendAudit(tx, {
        actor: 'warden:expiry',
        action: 'remediation.expired',
        subject: `remediation:${request.id}`,
        details: { expiresAt: request.expiresAt.toISOString() },
        at: now,
      });
    }
    if (refused) return { outcome: 'refused', reason: refused.reason };
    const { request } = row!;
    const account = { id: request.accountId, tags: row!.tags ?? {} };
    const byOwner = isOwner(d.who, account, d.config.policy);
    if (d.decision === 'approve' && !byOwner) {
      const missing = await ownerApprovalMissing(tx, request, d.config.policy);
      if (missing) return { outcome: 'refused', reason: missing };
    }
    const [recorded] = await tx
      .insert(remediationDecisions)
      .values({
        requestId: request.id,
        decidedBy: d.who.userId,
        decision: d.decision,
        reason: reason || null,
        decidedAt: now,
        byOwner,
      })
      .onConflictDoNothing()
      .returning();
    if (!recorded) return { outcome: 'refused', reason: 'you have already decided this request' };
    await appendAudit(tx, {
      actor: d.who.userId,
      action: d.decision === 'approve' ? 'remediation.approved' : 'remediation.rejected',
      subject: `remediation:${request.id}`,
      details: { ...(reason ? { reason } : {}), playbook: request.playbookId, account: request.accountId },
      at: now,
    });
    if (d.decision === 'reject') {
      const [rejected] = await tx
        .update(remediationRequests)
        .set({ status: 'rejected' })
        .where(eq(remediationRequests.id, request.id))
        .returning();
      return { outcome: 'rejected', request: rejected! };
    }
    const approvals = await tx.$count(
      remediationDecisions,
      and(eq(remediationDecisions.requestId, request.id), eq(remediationDecisions.decision, 'approve')),
    );
    if (approvals < request.requiredApprovals) return { outcome: 'approved', request, approvals };
    const [claimed] = await tx
      .update(remediationRequests)
      .set({ status: 'executing', executionStartedAt: now })
      .where(and(eq(remediationRequests.id, request.id), eq(remediationRequests.status, 'pending')))
      .returning();
    await appendAudit(tx, {
      actor: d.who.userId,
      action: 'remediation.execution-started',
      subject: `remediation:${request.id}`,
      details: { mode: claimed!.mode, approvals },
      at: now,
    });
    return { outcome: 'execute', request: claimed! };
  });
}

/**
 * Why a non-owner's approval may not be the one that completes a two-approval request: one of its
 * approvals must come from an owner of the account (policy `remediation.ownerAmongApprovers`, on by
 * default), so two admins or approvers cannot change an account nobody who owns it agreed to.
 */
async function ownerApprovalMissing(
  tx: Database,
  request: RemediationRequest,
  policy: Policy,
): Promise<string | undefined> {
  if (!policy.remediation.ownerAmongApprovers || request.requiredApprovals < 2) return undefined;
  const approvals = await tx
    .select({ byOwner: remediationDecisions.byOwner })
    .from(remediationDecisions)
    .where(and(eq(remediationDecisions.requestId, request.id), eq(remediationDecisions.decision, 'approve')));
  if (approvals.length + 1 < request.requiredApprovals || approvals.some((a) => a.byOwner)) return undefined;
  return `one of its ${request.requiredApprovals} approvals must come from an owner of account ${request.accountId}, and none has yet`;
}

/**
 * The scheduler's sweep: pending requests past their expiry become `expired`; requests left
 * `executing` longer than EXECUTION_STALE_MS (a crash) become `needs-attention`, for a person to look
 * at. Each change is audited. Returns the requests changed.
 */
export async function sweepRequests(
  db: Database,
  now = new Date(),
): Promise<{ expired: RemediationRequest[]; stuck: RemediationRequest[] }> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .update(remediationRequests)
      .set({ status: 'expired' })
      .where(and(eq(remediationRequests.status, 'pending'), lte(remediationRequests.expiresAt, now)))
      .returning();
    const stuck = await tx
      .update(remediationRequests)
      .set({
        status: 'needs-attention',
        error:
          'the process executing it stopped before recording the outcome: check the account, then request it again if needed',
      })
      .where(
        and(
          eq(remediationRequests.status, 'executing'),
          lte(remediationRequests.executionStartedAt, new Date(now.getTime() - EXECUTION_STALE_MS)),
        ),
      )
      .returning();
    for (const r of expired) {
      await appendAudit(tx, {
        actor: 'warden:expiry',
        action: 'remediation.expired',
        subject: `remediation:${r.id}`,
        details: { expiresAt: r.expiresAt.toISOString() },
        at: now,
      });
    }
    for (const r of stuck) {
      await appendAudit(tx, {
        actor: 'warden:expiry',
        action: 'remediation.needs-attention',
        subject: `remediation:${r.id}`,
        details: { executionStartedAt: r.executionStartedAt?.toISOString() ?? null, plan: r.plan },
        at: now,
      });
    }
    return { expired, stuck };
  });
}
