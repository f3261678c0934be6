import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Policy } from '../config.js';
import type { Database } from '../db/client.js';
import {
  type Account,
  accounts,
  findings,
  type RemediationRequest,
  remediationDecisions,
  remediationRequests,
  type SlackMessageRef,
} from '../db/schema.js';
import { type Identity, mayApprove } from './policy.js';

/** A remediation request that waits for someone's approval, as the App Home lists it. */
export interface PendingRequest {
  id: number;
  playbookId: string;
  findingId: number;
  findingTitle: string;
  severity: string;
  accountId: string;
  accountName: string | null;
  requestedBy: string;
  requestedAt: Date;
  expiresAt: Date;
  approvals: number;
  requiredApprovals: number;
}

/**
 * The pending, unexpired requests this person may approve and has not decided yet: requests in
 * accounts they own (or any, for admins and approvers), never their own. Soonest to expire first.
 */
export async function waitingForApproval(
  db: Database,
  who: Identity,
  policy: Policy,
  now = new Date(),
): Promise<PendingRequest[]> {
  const approvals = sql<number>`(select count(*) from ${remediationDecisions} d
    where d.request_id = ${remediationRequests.id} and d.decision = 'approve')::int`;
  const decidedByMe = sql<boolean>`exists (select 1 from ${remediationDecisions} d
    where d.request_id = ${remediationRequests.id} and d.decided_by = ${who.userId})`;
  const rows = await db
    .select({
      id: remediationRequests.id,
      playbookId: remediationRequests.playbookId,
      findingId: remediationRequests.findingId,
      findingTitle: findings.title,
      severity: findings.severity,
      accountId: remediationRequests.accountId,
      accountName: accounts.name,
      tags: accounts.tags,
      requestedBy: remediationRequests.requestedBy,
      requestedAt: remediationRequests.requestedAt,
      expiresAt: remediationRequests.expiresAt,
      approvals,
      requiredApprovals: remediationRequests.requiredApprovals,
      decidedByMe,
    })
    .from(remediationRequests)
    .innerJoin(findings, eq(findings.id, remediationRequests.findingId))
    .leftJoin(accounts, eq(accounts.id, remediationRequests.accountId))
    .where(and(eq(remediationRequests.status, 'pending'), gt(remediationRequests.expiresAt, now)))
    .orderBy(asc(remediationRequests.expiresAt), asc(remediationRequests.id));
  return rows
    .filter(
      (r) =>
        r.requestedBy !== who.userId &&
        !r.decidedByMe &&
        mayApprove(who, { id: r.accountId, tags: r.tags ?? {} }, policy),
    )
    .map(({ tags: _tags, decidedByMe: _d, ...r }) => ({ ...r, approvals: Number(r.approvals) }));
}

/** A request as its messages show it: the request, its finding, who decided what, and any rollback of it. */
export interface RequestDetails {
  request: RemediationRequest;
  finding: { id: number; title: string; severity: string; accountId: string; accountName: string | null };
  decisions: Array<{ by: string; decision: string; reason: string | null; at: Date }>;
  /** The latest rollback requested of it, if any. */
  rollback: { id: number; status: string } | undefined;
}

export async function requestDetails(db: Database, requestId: number): Promise<RequestDetails | undefined> {
  const [row] = await db
    .select({
      request: remediationRequests,
      finding: {
        id: findings.id,
        title: findings.title,
        severity: findings.severity,
        accountId: findings.accountId,
        accountName: accounts.name,
      },
    })
    .from(remediationRequests)
    .innerJoin(findings, eq(findings.id, remediationRequests.findingId))
    .leftJoin(accounts, eq(accounts.id, remediationRequests.accountId))
    .where(eq(remediationRequests.id, requestId));
  if (!row) return undefined;
  const decisions = await db
    .select({
      by: remediationDecisions.decidedBy,
      decision: remediationDecisions.decision,
      reason: remediationDecisions.reason,
      at: remediationDecisions.decidedAt,
    })
    .from(remediationDecisions)
    .where(eq(remediationDecisions.requestId, requestId))
    .orderBy(remediationDecisions.decidedAt);
  const [rollback] = await db
    .select({ id: remediationRequests.id, status: remediationRequests.status })
    .from(remediationRequests)
    .where(eq(remediationRequests.rollbackOf, requestId))
    .orderBy(desc(remediationRequests.id))
    .limit(1);
  return { ...row, decisions, rollback };
}

/** A remediation request by id (the rollback of a finished one starts from it). */
export async function requestById(db: Database, id: number): Promise<RemediationRequest | undefined> {
  const [row] = await db.select().from(remediationRequests).where(eq(remediationRequests.id, id));
  return row;
}

/** The account a request is about: its owners (tags) and where its messages go (its OU). */
export async function accountOfRequest(db: Database, accountId: string): Promise<Account | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, accountId));
  return row;
}

/** Records where a request's Slack messages are, so that they can be updated in place. */
export async function recordRequestMessages(
  db: Database,
  requestId: number,
  refs: SlackMessageRef[],
): Promise<void> {
  await db.update(remediationRequests).set({ messages: refs }).where(eq(remediationRequests.id, requestId));
}
