import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import pMap from 'p-map';
import { appendAudit } from '../audit/trail.js';
import type { AwsClients, IamCalls } from '../aws/clients.js';
import type { AssumedRoles } from '../aws/credentials.js';
import { explainAwsError } from '../aws/errors.js';
import { type ReviewedRole, type ReviewedUser, reviewRoles, reviewUsers } from '../collect/principals.js';
import type { TrustContext } from '../collect/trust-policy.js';
import type { Config } from '../config.js';
import { currentAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { ingestFindings } from '../db/findings.js';
import {
  type AccessReview,
  type AccessReviewItem,
  type Account,
  accessReviewItems,
  accessReviewMessages,
  accessReviews,
  accounts as accountsTable,
  type Finding,
  findings,
  type RemediationRequest,
  type ReviewScope,
} from '../db/schema.js';
import { WardenError } from '../errors.js';
import { REVOKED_CHECK, WARDEN_GENERATOR } from '../findings/checks.js';
import { fingerprint, type Finding as SourceFinding } from '../findings/finding.js';
import { scopeText } from '../posture/access-reviews.js';
import { playbooksFor } from '../remediate/registry.js';
import { type Identity, isAdmin, mayChange, names, ownersOf } from './policy.js';
import { createRequest } from './remediation.js';
import { preparePlan } from './remediation-run.js';

/**
 * Access reviews (issue 16): a campaign asks each account's owners, by a due date, to decide on every
 * IAM user and every role trusted from outside the organization: keep it, revoke it, or hand it to
 * its real owner. Principals are read with the audit role; decisions are stored and audited.
 */

export { type ReviewReport, reviewReport, scopeText } from '../posture/access-reviews.js';
export type { ReviewScope };

/** What a refused decision says (not the reviewer, decided already, …): shown to the person, changes nothing. */
export class ReviewRefused extends WardenError {
  constructor(message: string) {
    super('review-refused', message);
  }
}

/** How many accounts are read at once when a campaign starts or catches up. */
const READ_CONCURRENCY = 4;

export interface ReviewDeps {
  db: Database;
  config: Config;
  clients: AwsClients;
  auditRoles: AssumedRoles;
}

/** The words of a scope (`organization`, an OU path or id, account ids) as stored; undefined if unreadable. */
export function parseScope(words: string[]): ReviewScope | undefined {
  if (words.length === 0 || (words.length === 1 && words[0] === 'organization')) return {};
  if (words.every((w) => /^\d{12}$/.test(w))) return { accounts: [...new Set(words)] };
  if (words.length === 1 && /^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|Root(\/[^/]+)*)$/.test(words[0]!))
    return { ou: words[0]! };
  return undefined;
}

/** The accounts a scope covers now (discovery's accounts; an OU includes its sub-OUs). */
function accountsIn(all: Account[], scope: ReviewScope): Account[] {
  if (scope.accounts) return all.filter((a) => scope.accounts!.includes(a.id));
  if (scope.ou) {
    const ou = scope.ou;
    return all.filter((a) => a.ouId === ou || a.ouPath === ou || (a.ouPath ?? '').startsWith(`${ou}/`));
  }
  return all;
}

/** Who decides on an item: whoever "Not mine" named, else the account's owners. */
export const reviewersOf = (item: Pick<AccessReviewItem, 'reviewer'>, account: Account, config: Config) =>
  item.reviewer ? [item.reviewer] : ownersOf(account, config.policy);

/**
 * Whether this person is the principal under review: a user named by their email or its local part,
 * or with a tag whose value is their email (case aside). Nobody reviews their own access.
 */
function isSelf(item: Pick<AccessReviewItem, 'kind' | 'name' | 'details'>, who: Identity): boolean {
  if (item.kind !== 'user' || !who.email) return false;
  const name = item.name.toLowerCase();
  const email = who.email.toLowerCase();
  const tags = Object.values((item.details as { tags?: Record<string, string> }).tags ?? {});
  return name === email || name === email.split('@')[0] || tags.some((t) => t.trim().toLowerCase() === email);
}

/** Why this person may not decide on this item now, or undefined when they may. */
export function decisionRefusal(
  item: AccessReviewItem,
  review: AccessReview,
  account: Account | undefined,
  who: Identity,
  config: Config,
): string | undefined {
  if (review.status !== 'open') return `access review #${review.id} is closed`;
  if (item.decision !== 'pending')
    return item.decision === 'gone'
      ? `${item.name} was deleted from the account meanwhile`
      : `${item.name} was decided already (${item.decision}, by ${item.decidedBy})`;
  if (isSelf(item, who)) return `you cannot review your own access (${item.name})`;
  const allowed = item.reviewer
    ? names(item.reviewer, who) || isAdmin(who, config.policy)
    : account !== undefined && mayChange(who, account, config.policy);
  return allowed ? undefined : `only the reviewers of ${item.name} (or an admin) may decide on it`;
}

/** One account's principals, read with the audit role; an AWS error names the account and the call. */
async function readPrincipals(
  deps: ReviewDeps,
  account: string,
  context: TrustContext,
): Promise<Array<ReviewedUser | ReviewedRole>> {
  let call = 'AssumeRole';
  try {
    const iam = deps.clients.iam(await deps.auditRoles.credentialsFor(account));
    const tracked: IamCalls = {
      send: ((command: { constructor: { name: string } }) => {
        call = command.constructor.name.replace(/Command$/, '');
        return iam.send(command as never);
      }) as IamCalls['send'],
    };
    const out: Array<ReviewedUser | ReviewedRole> = [];
    for await (const u of reviewUsers(tracked)) out.push(u);
    for await (const r of reviewRoles(tracked, context)) out.push(r);
    return out;
  } catch (err) {
    throw explainAwsError(err, { account, region: 'global', call: `iam:${call}` });
  }
}

/** The organization's id (its conditions in trust policies) and accounts, asked as discovery asks. */
async function trustContext(deps: ReviewDeps, all: Account[]): Promise<TrustContext> {
  try {
    const { Organization } = await deps.clients.organizations().send(new DescribeOrganizationCommand({}));
    return { organizationId: Organization?.Id ?? '', accountIds: new Set(all.map((a) => a.id)) };
  } catch (err) {
    throw explainAwsError(err, {
      account: 'management',
      region: 'global',
      call: 'organizations:DescribeOrganization',
    });
  }
}

/** One account's principals, or why AWS would not give them (a database error is thrown, not named as the account's). */
async function readAccount(
  deps: ReviewDeps,
  account: string,
  context: TrustContext,
): Promise<Array<ReviewedUser | ReviewedRole> | { error: string }> {
  try {
    return await readPrincipals(deps, account, context);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const itemOf = (reviewId: number, accountId: string, p: ReviewedUser | ReviewedRole, now: Date) => ({
  reviewId,
  accountId,
  kind: p.kind,
  name: p.name,
  arn: p.arn,
  details: JSON.parse(JSON.stringify(p)) as Record<string, unknown>,
  addedAt: now,
});

export interface AccountRead {
  account: string;
  principals: number;
  /** Why the account could not be read (its items wait for the next catch-up). */
  error?: string;
}

/**
 * Starts a campaign: its scope's accounts are read (users; roles trusted from outside), each principal
 * becomes an item for the account's owners, and the start is audited. An account that cannot be read
 * is named with its error; `catchUp` reads it again.
 */
export async function startReview(
  deps: ReviewDeps,
  input: { scope: ReviewScope; dueAt: Date; by: string; now: Date },
): Promise<{ review: AccessReview; accounts: AccountRead[] }> {
  if (input.dueAt <= input.now) throw new ReviewRefused('the due date must be in the future');
  const all = await currentAccounts(deps.db);
  const covered = accountsIn(all, input.scope);
  if (covered.length === 0) throw new ReviewRefused(`no account is in ${scopeText(input.scope)}`);
  const [review] = await deps.db
    .insert(accessReviews)
    .values({ scope: input.scope, dueAt: input.dueAt, startedBy: input.by, startedAt: input.now })
    .returning();
  const reads = await readInto(deps, review!, covered, all, input.now);
  await appendAudit(deps.db, {
    actor: input.by,
    action: 'access-review.started',
    subject: `access-review:${review!.id}`,
    details: {
      scope: input.scope,
      due: input.dueAt.toISOString(),
      accounts: reads.map((r) => ({
        account: r.account,
        principals: r.principals,
        ...(r.error ? { error: r.error } : {}),
      })),
    },
    at: input.now,
  });
  return { review: review!, accounts: reads };
}

async function readInto(
  deps: ReviewDeps,
  review: AccessReview,
  covered: Account[],
  all: Account[],
  now: Date,
): Promise<AccountRead[]> {
  const context = await trustContext(deps, all);
  return pMap(
    covered,
    async (a): Promise<AccountRead> => {
      const principals = await readAccount(deps, a.id, context);
      if ('error' in principals) return { account: a.id, principals: 0, error: principals.error };
      if (principals.length)
        await deps.db
          .insert(accessReviewItems)
          .values(principals.map((p) => itemOf(review.id, a.id, p, now)))
          .onConflictDoNothing();
      return { account: a.id, principals: principals.length };
    },
    { concurrency: READ_CONCURRENCY },
  );
}

/**
 * Brings an open campaign up to date with its accounts: principals created since it started join it;
 * pending items whose principal was deleted are closed as `gone`. Audited when anything changed.
 */
export async function catchUp(
  deps: ReviewDeps,
  review: AccessReview,
  now: Date,
): Promise<{ joined: number; gone: number; resolved: number; failed: AccountRead[] }> {
  const all = await currentAccounts(deps.db);
  const covered = accountsIn(all, review.scope);
  const context = await trustContext(deps, all);
  let joined = 0;
  let gone = 0;
  const resolved: number[] = [];
  const failed: AccountRead[] = [];
  await pMap(
    covered,
    async (a) => {
      const principals = await readAccount(deps, a.id, context);
      if ('error' in principals) {
        failed.push({ account: a.id, principals: 0, error: principals.error });
        return;
      }
      if (principals.length) {
        const added = await deps.db
          .insert(accessReviewItems)
          .values(principals.map((p) => itemOf(review.id, a.id, p, now)))
          .onConflictDoNothing()
          .returning({ id: accessReviewItems.id });
        joined += added.length;
      }
      const present = new Set(principals.map((p) => p.arn));
      resolved.push(...(await resolveRevoked(deps.db, review.id, a.id, principals, now)));
      const pending = await deps.db
        .select({ id: accessReviewItems.id, arn: accessReviewItems.arn })
        .from(accessReviewItems)
        .where(
          and(
            eq(accessReviewItems.reviewId, review.id),
            eq(accessReviewItems.accountId, a.id),
            eq(accessReviewItems.decision, 'pending'),
          ),
        );
      const missing = pending.filter((p) => !present.has(p.arn)).map((p) => p.id);
      if (missing.length) {
        await deps.db
          .update(accessReviewItems)
          .set({ decision: 'gone', decidedBy: 'warden:access-review', decidedAt: now })
          .where(and(inArray(accessReviewItems.id, missing), eq(accessReviewItems.decision, 'pending')));
        gone += missing.length;
      }
    },
    { concurrency: READ_CONCURRENCY },
  );
  if (joined || gone || resolved.length)
    await appendAudit(deps.db, {
      actor: 'warden:access-review',
      action: 'access-review.updated',
      subject: `access-review:${review.id}`,
      details: { joined, gone, resolvedFindings: resolved.sort((x, y) => x - y) },
      at: now,
    });
  return { joined, gone, resolved: resolved.length, failed };
}

/** Whether what a revocation's finding asks to take away is gone, judged from the account as read now. */
function revoked(finding: Finding, now: Map<string, ReviewedUser | ReviewedRole>): boolean {
  const principal = now.get(finding.resourceId);
  if (!principal) return true;
  const e = finding.evidence as { credential?: string; accessKeyId?: string };
  if (principal.kind === 'role') return false;
  if (e.credential === 'password') return !principal.console;
  if (e.accessKeyId) return !principal.keys.some((k) => k.id === e.accessKeyId && k.active);
  return false;
}

/**
 * Resolves the open findings of an account's revocations whose credential is gone (the remediation
 * ran, or someone removed it by hand); a role's finding resolves once its trust is no longer external
 * or the role is deleted. Returns the findings resolved.
 */
async function resolveRevoked(
  db: Database,
  reviewId: number,
  accountId: string,
  principals: Array<ReviewedUser | ReviewedRole>,
  now: Date,
): Promise<number[]> {
  const ids = (
    await db
      .select({ ids: accessReviewItems.findingIds })
      .from(accessReviewItems)
      .where(
        and(
          eq(accessReviewItems.reviewId, reviewId),
          eq(accessReviewItems.accountId, accountId),
          eq(accessReviewItems.decision, 'revoke'),
        ),
      )
  ).flatMap((r) => r.ids);
  if (ids.length === 0) return [];
  const open = await db
    .select()
    .from(findings)
    .where(and(inArray(findings.id, ids), sql`${findings.status} <> 'resolved'`));
  const byArn = new Map(principals.map((p) => [p.arn, p]));
  const done = open.filter((f) => revoked(f, byArn)).map((f) => f.id);
  if (done.length)
    await db
      .update(findings)
      .set({
        status: 'resolved',
        resolvedAt: now,
        statusChangedAt: now,
        statusChangedBy: 'warden:access-review',
      })
      .where(and(inArray(findings.id, done), sql`${findings.status} <> 'resolved'`));
  return done;
}

export async function reviewById(db: Database, id: number): Promise<AccessReview | undefined> {
  const [row] = await db.select().from(accessReviews).where(eq(accessReviews.id, id));
  return row;
}

export const openReviews = (db: Database) =>
  db.select().from(accessReviews).where(eq(accessReviews.status, 'open')).orderBy(asc(accessReviews.id));

export const itemsOf = (db: Database, reviewId: number) =>
  db
    .select()
    .from(accessReviewItems)
    .where(eq(accessReviewItems.reviewId, reviewId))
    .orderBy(asc(accessReviewItems.accountId), asc(accessReviewItems.kind), asc(accessReviewItems.name));

async function itemAndReview(db: Database, itemId: number) {
  const [item] = await db.select().from(accessReviewItems).where(eq(accessReviewItems.id, itemId));
  if (!item) throw new ReviewRefused(`access review item ${itemId} does not exist`);
  const review = (await reviewById(db, item.reviewId))!;
  const [account] = (await currentAccounts(db)).filter((a) => a.id === item.accountId);
  return { item, review, account };
}

/** Loads an item and checks that this person may decide on it now; throws ReviewRefused otherwise. */
export async function itemToDecide(db: Database, config: Config, itemId: number, who: Identity) {
  const found = await itemAndReview(db, itemId);
  const refused = decisionRefusal(found.item, found.review, found.account, who, config);
  if (refused) throw new ReviewRefused(refused);
  return found;
}

/** Changes a pending item (only while pending: two clicks at once change it once), audited in the same transaction. */
async function record(
  db: Database,
  item: AccessReviewItem,
  set: Partial<typeof accessReviewItems.$inferInsert>,
  audit: { actor: string; action: string; details: Record<string, unknown>; at: Date },
): Promise<AccessReviewItem> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessReviewItems)
      .set(set)
      .where(and(eq(accessReviewItems.id, item.id), eq(accessReviewItems.decision, 'pending')))
      .returning();
    if (!row) throw new ReviewRefused(`${item.name} was decided meanwhile`);
    await appendAudit(tx, {
      actor: audit.actor,
      action: audit.action,
      subject: `access-review:${item.reviewId}`,
      details: { item: item.id, account: item.accountId, principal: item.arn, ...audit.details },
      at: audit.at,
    });
    return row;
  });
}

/** Keep: the principal keeps its access; the note, if any, says why. */
export async function keep(
  deps: Pick<ReviewDeps, 'db' | 'config'>,
  input: { itemId: number; who: Identity; actor: string; note?: string | undefined; now: Date },
): Promise<AccessReviewItem> {
  const { item } = await itemToDecide(deps.db, deps.config, input.itemId, input.who);
  const note = input.note?.trim() || null;
  return record(
    deps.db,
    item,
    { decision: 'keep', note, decidedBy: input.actor, decidedAt: input.now },
    { actor: input.actor, action: 'access-review.kept', details: note ? { note } : {}, at: input.now },
  );
}

/** Not mine: the item moves to the person named, who decides on it instead; audited with the reason. */
export async function reassign(
  deps: Pick<ReviewDeps, 'db' | 'config'>,
  input: { itemId: number; who: Identity; actor: string; to: string; note?: string | undefined; now: Date },
): Promise<AccessReviewItem> {
  const { item } = await itemToDecide(deps.db, deps.config, input.itemId, input.who);
  if (names(input.to, input.who) || input.to === input.actor)
    throw new ReviewRefused('name someone else: the item is already yours');
  const note = input.note?.trim();
  return record(
    deps.db,
    item,
    { reviewer: input.to, remindedAt: null },
    {
      actor: input.actor,
      action: 'access-review.reassigned',
      details: { from: item.reviewer ?? 'owners', to: input.to, ...(note ? { note } : {}) },
      at: input.now,
    },
  );
}

/**
 * The findings a revocation opens, one per credential to take away: the console password and each
 * active access key of a user (the playbooks that remove them apply), or the role itself (no
 * playbook: an open finding for its owners to act on). Source `access-review`: no scan resolves them.
 */
function revocationFindings(item: AccessReviewItem, now: Date): SourceFinding[] {
  const base = (resource: string, title: string, evidence: Record<string, unknown>): SourceFinding => ({
    source: 'access-review',
    productArn: 'warden',
    externalId: fingerprint(item.accountId, REVOKED_CHECK, `${item.reviewId}/${resource}`),
    accountId: item.accountId,
    region: 'global',
    resourceType: item.kind === 'user' ? 'AwsIamUser' : 'AwsIamRole',
    resourceId: item.arn,
    controlId: null,
    generatorId: `${WARDEN_GENERATOR}${REVOKED_CHECK}`,
    title,
    description: `Access review #${item.reviewId} decided to revoke this access.`,
    severity: 'high',
    compliance: 'FAILED',
    awsWorkflowStatus: null,
    firstObservedAt: now,
    sourceUpdatedAt: now,
    remediationText: null,
    remediationUrl: null,
    evidence: { review: item.reviewId, item: item.id, user: item.name, ...evidence },
    failing: true,
  });
  if (item.kind === 'role')
    return [base(item.arn, `Revoke the external trust of role ${item.name}`, { role: item.name })];
  const details = item.details as unknown as ReviewedUser;
  const out: SourceFinding[] = [];
  if (details.console)
    out.push(
      base(`${item.arn}/password`, `Remove the console password of ${item.name}`, { credential: 'password' }),
    );
  for (const key of details.keys.filter((k) => k.active))
    out.push(
      base(`${item.arn}/${key.id}`, `Deactivate access key ${key.id} of ${item.name}`, {
        credential: 'access_key',
        accessKeyId: key.id,
      }),
    );
  return out;
}

/**
 * Revoke: the decision is recorded with its reason and the revocation's findings opened (in one
 * transaction). The remediation requests for them are made by the caller, under the usual approvals.
 */
export async function revoke(
  deps: Pick<ReviewDeps, 'db' | 'config'>,
  input: { itemId: number; who: Identity; actor: string; reason: string; now: Date },
): Promise<{ item: AccessReviewItem; opened: Finding[] }> {
  const { item } = await itemToDecide(deps.db, deps.config, input.itemId, input.who);
  const reason = input.reason.trim();
  if (!reason) throw new ReviewRefused('a reason is required');
  const opened = revocationFindings(item, input.now);
  await ingestFindings(deps.db, [opened], null, input.now);
  const rows = opened.length
    ? await deps.db
        .select()
        .from(findings)
        .where(
          and(
            eq(findings.source, 'access-review'),
            inArray(
              findings.externalId,
              opened.map((f) => f.externalId),
            ),
          ),
        )
    : [];
  const findingIds = rows.map((r) => r.id).sort((a, b) => a - b);
  const decided = await record(
    deps.db,
    item,
    { decision: 'revoke', note: reason, decidedBy: input.actor, decidedAt: input.now, findingIds },
    {
      actor: input.actor,
      action: 'access-review.revoked',
      details: { reason, findings: findingIds },
      at: input.now,
    },
  );
  return { item: decided, opened: rows.sort((a, b) => a.id - b.id) };
}

/** Closes a campaign (its pending items stay in the report as overdue), audited. */
export async function closeReview(db: Database, review: AccessReview, by: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessReviews)
      .set({ status: 'closed', closedAt: now })
      .where(and(eq(accessReviews.id, review.id), eq(accessReviews.status, 'open')))
      .returning();
    if (!row) throw new ReviewRefused(`access review #${review.id} is closed already`);
    await appendAudit(tx, {
      actor: by,
      action: 'access-review.closed',
      subject: `access-review:${review.id}`,
      details: {},
      at: now,
    });
  });
}

/** Pending items last recalled (or added) before `before`: their reviewers are reminded. */
export const remindable = (db: Database, reviewId: number, before: Date) =>
  db
    .select()
    .from(accessReviewItems)
    .where(
      and(
        eq(accessReviewItems.reviewId, reviewId),
        eq(accessReviewItems.decision, 'pending'),
        sql`coalesce(${accessReviewItems.remindedAt}, ${accessReviewItems.addedAt}) <= ${before.toISOString()}::timestamptz`,
      ),
    );

export async function markReminded(db: Database, ids: number[], now: Date): Promise<void> {
  if (ids.length)
    await db.update(accessReviewItems).set({ remindedAt: now }).where(inArray(accessReviewItems.id, ids));
}

/** Pending items of a campaign past its due date that were not escalated yet. */
export async function unescalatedOverdue(
  db: Database,
  review: AccessReview,
  now: Date,
): Promise<AccessReviewItem[]> {
  if (now <= review.dueAt) return [];
  return db
    .select()
    .from(accessReviewItems)
    .where(
      and(
        eq(accessReviewItems.reviewId, review.id),
        eq(accessReviewItems.decision, 'pending'),
        isNull(accessReviewItems.escalatedAt),
      ),
    );
}

/** Records that these overdue items were escalated, to whom, audited (once per item). */
export async function markEscalated(
  db: Database,
  review: AccessReview,
  items: AccessReviewItem[],
  to: string[],
  now: Date,
): Promise<void> {
  if (items.length === 0) return;
  await db.transaction(async (tx) => {
    await tx
      .update(accessReviewItems)
      .set({ escalatedAt: now })
      .where(
        inArray(
          accessReviewItems.id,
          items.map((i) => i.id),
        ),
      );
    await appendAudit(tx, {
      actor: 'warden:access-review',
      action: 'access-review.escalated',
      subject: `access-review:${review.id}`,
      details: { items: items.map((i) => i.id), accounts: [...new Set(items.map((i) => i.accountId))], to },
      at: now,
    });
  });
}

/** Who hears of overdue items: the managers and the approvers (who may act on any account). */
export const escalationRecipients = (config: Config) => [
  ...new Set([...config.policy.managers, ...config.policy.approvers]),
];

/** The messages reviewers hold for one account of a campaign. */
export const reviewMessagesOf = (db: Database, reviewId: number, accountId: string) =>
  db
    .select()
    .from(accessReviewMessages)
    .where(and(eq(accessReviewMessages.reviewId, reviewId), eq(accessReviewMessages.accountId, accountId)));

/** Where a reviewer's message for an account landed and what it shows, kept to redraw it in place. */
export async function recordReviewMessage(
  db: Database,
  row: typeof accessReviewMessages.$inferInsert,
): Promise<void> {
  await db
    .insert(accessReviewMessages)
    .values(row)
    .onConflictDoUpdate({
      target: [accessReviewMessages.reviewId, accessReviewMessages.accountId, accessReviewMessages.reviewer],
      set: { channel: row.channel, ts: row.ts, drawnHash: row.drawnHash ?? null },
    });
}

/** An account's items of a campaign: those pending by reviewer, and how many are decided. */
export async function accountItems(
  db: Database,
  config: Config,
  reviewId: number,
  account: Account,
): Promise<{ pending: Map<string, AccessReviewItem[]>; decided: number }> {
  const rows = await db
    .select()
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.reviewId, reviewId), eq(accessReviewItems.accountId, account.id)))
    .orderBy(asc(accessReviewItems.kind), asc(accessReviewItems.name));
  const pending = new Map<string, AccessReviewItem[]>();
  for (const item of rows.filter((r) => r.decision === 'pending'))
    for (const reviewer of reviewersOf(item, account, config))
      pending.set(reviewer, [...(pending.get(reviewer) ?? []), item]);
  return { pending, decided: rows.filter((r) => r.decision !== 'pending').length };
}

/** The accounts a campaign has items in. */
export async function reviewAccounts(db: Database, reviewId: number): Promise<Account[]> {
  const ids = await db
    .selectDistinct({ id: accessReviewItems.accountId })
    .from(accessReviewItems)
    .where(eq(accessReviewItems.reviewId, reviewId));
  const wanted = new Set(ids.map((r) => r.id));
  return (await currentAccounts(db)).filter((a) => wanted.has(a.id));
}

/**
 * The same rule as `isSelf`, in SQL over `access_review_items`: the item is this email's own user
 * (by name, its local part, or a tag whose value is the email).
 */
function selfSql(email: string) {
  const i = accessReviewItems;
  const tags = sql`case when jsonb_typeof(${i.details} -> 'tags') = 'object' then ${i.details} -> 'tags' else '{}'::jsonb end`;
  return sql`(${i.kind} = 'user' and (lower(${i.name}) = ${email} or lower(${i.name}) = ${email.split('@')[0]!}
    or exists (select 1 from jsonb_each_text(${tags}) t where lower(btrim(t.value, E' \t\r\n')) = ${email})))`;
}

/**
 * How many undecided principals of open campaigns this person reviews, the campaigns, the earliest
 * due date, and the first `shown` of them (oldest campaign, then account and name). Read on every
 * App Home: the person's owned accounts are found in memory (owners come from tags and the policy
 * file), then the database counts and pages only their items, never every pending item.
 */
export async function waitingForReviewer(
  db: Database,
  config: Config,
  who: Identity,
  /** How many of them to return in `first` (the oldest campaign's first). */
  shown = 0,
): Promise<{
  items: number;
  reviews: number[];
  firstDue: Date | null;
  first: Array<AccessReviewItem & { accountName: string }>;
}> {
  const owned = (await currentAccounts(db))
    .filter((a) => ownersOf(a, config.policy).some((p) => names(p, who)))
    .map((a) => a.id);
  const email = who.email?.toLowerCase();
  const i = accessReviewItems;
  const theirs = and(
    eq(accessReviews.status, 'open'),
    eq(i.decision, 'pending'),
    or(
      owned.length ? and(isNull(i.reviewer), inArray(i.accountId, owned)) : undefined,
      eq(i.reviewer, who.userId),
      email ? sql`lower(${i.reviewer}) = ${email}` : undefined,
    ),
    // Their own user waits for someone else.
    email ? sql`not ${selfSql(email)}` : undefined,
  );
  const joined = and(eq(accountsTable.id, i.accountId), isNull(accountsTable.goneAt));
  const [totals] = await db
    .select({
      items: sql<number>`count(*)::int`,
      reviews: sql<number[] | null>`array_agg(distinct ${i.reviewId} order by ${i.reviewId})`,
      firstDue: sql<string | null>`min(${accessReviews.dueAt})`,
    })
    .from(i)
    .innerJoin(accessReviews, eq(accessReviews.id, i.reviewId))
    .innerJoin(accountsTable, joined)
    .where(theirs);
  const first = shown
    ? await db
        .select({ item: i, accountName: accountsTable.name })
        .from(i)
        .innerJoin(accessReviews, eq(accessReviews.id, i.reviewId))
        .innerJoin(accountsTable, joined)
        .where(theirs)
        .orderBy(asc(i.reviewId), asc(i.accountId), asc(i.name))
        .limit(shown)
    : [];
  return {
    items: Number(totals?.items ?? 0),
    reviews: (totals?.reviews ?? []).map(Number),
    firstDue: totals?.firstDue ? new Date(totals.firstDue) : null,
    first: first.map((r) => ({ ...r.item, accountName: r.accountName })),
  };
}

/**
 * The remediation requests of a revocation: one for each opened finding a playbook can fix, its plan
 * read now with the audit role, under the usual approvals; recorded on the item. A credential a
 * playbook cannot take away now (already gone) is named in `notes`.
 */
export async function requestRevocations(
  deps: ReviewDeps,
  input: { item: AccessReviewItem; opened: Finding[]; requester: string; actor: string; reason: string },
): Promise<{ requests: RemediationRequest[]; notes: string[] }> {
  const requests: RemediationRequest[] = [];
  const notes: string[] = [];
  for (const finding of input.opened) {
    const playbook = playbooksFor(finding)[0];
    if (!playbook) continue;
    try {
      const { input: planInput, plan } = await preparePlan(deps, playbook, {
        finding,
        requester: input.requester,
        reason: input.reason,
      });
      requests.push(
        await createRequest(
          deps.db,
          { finding, playbook, input: planInput, plan, reason: input.reason, requestedBy: input.actor },
          deps.config,
        ),
      );
    } catch (err) {
      notes.push(`${finding.title}: ${(err as Error).message}`);
    }
  }
  // Added to what is there: the follow-up and a person's Revoke may both be making requests.
  if (requests.length)
    await deps.db
      .update(accessReviewItems)
      .set({
        requestIds: sql`array(select distinct unnest(${accessReviewItems.requestIds} || ${`{${requests.map((r) => r.id).join(',')}}`}::int[]) order by 1)`,
      })
      .where(eq(accessReviewItems.id, input.item.id));
  return { requests, notes };
}

/**
 * Revocations recorded without their remediation requests (the process stopped between the two):
 * the follow-up makes them, as the person who decided, with their reason. Open findings only: a
 * credential already gone needs nothing.
 */
export async function resumeRevocations(deps: ReviewDeps, reviewId: number): Promise<RemediationRequest[]> {
  const waiting = await deps.db
    .select()
    .from(accessReviewItems)
    .where(
      and(
        eq(accessReviewItems.reviewId, reviewId),
        eq(accessReviewItems.decision, 'revoke'),
        eq(accessReviewItems.kind, 'user'),
        sql`cardinality(${accessReviewItems.requestIds}) = 0 and cardinality(${accessReviewItems.findingIds}) > 0`,
      ),
    );
  const made: RemediationRequest[] = [];
  for (const item of waiting) {
    const opened = await deps.db
      .select()
      .from(findings)
      .where(and(inArray(findings.id, item.findingIds), eq(findings.status, 'open')));
    if (opened.length === 0) continue;
    const by = item.decidedBy ?? 'warden:access-review';
    const { requests } = await requestRevocations(deps, {
      item,
      opened,
      requester: by,
      actor: by,
      reason: item.note ?? 'access review',
    });
    made.push(...requests);
  }
  return made;
}
