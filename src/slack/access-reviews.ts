import { createHash } from 'node:crypto';
import type { AccessReview, AccessReviewItem, Account } from '../db/schema.js';
import {
  accountItems,
  catchUp,
  escalationRecipients,
  markEscalated,
  markReminded,
  openReviews,
  type ReviewDeps,
  recordReviewMessage,
  remindable,
  resumeRevocations,
  reviewAccounts,
  reviewById,
  reviewersOf,
  reviewMessagesOf,
  unescalatedOverdue,
} from '../workflow/access-reviews.js';
import type { HandlerDeps } from './app.js';
import { reviewMessage } from './blocks/access-review.js';
import { clip } from './blocks/text.js';
import { announceRequest } from './remediation-messages.js';

type Deps = Pick<HandlerDeps, 'db' | 'config' | 'web' | 'directory' | 'log' | 'now'>;

export interface Delivery {
  posted: number;
  updated: number;
  /** Messages that already showed what they would be redrawn with: no Slack call. */
  unchanged: number;
  /** Reviewers Slack does not know (no member with that email or id): told nothing. */
  unreachable: string[];
}

/**
 * Brings one account's review messages up to date: each reviewer with pending items gets one message
 * (posted the first time, redrawn in place after), and a reviewer with none left sees it closed. A
 * message already showing what it would be redrawn with (the same SHA-256) costs no Slack call, so
 * the hourly follow-up touches only the messages whose items changed (or whose due-date wording did).
 */
export async function deliverAccount(
  deps: Deps,
  reviewId: number,
  account: Account,
  out: Delivery = { posted: 0, updated: 0, unchanged: 0, unreachable: [] },
): Promise<Delivery> {
  const review = await reviewById(deps.db, reviewId);
  if (!review) return out;
  const { pending, decided } = await accountItems(deps.db, deps.config, reviewId, account);
  const held = new Map((await reviewMessagesOf(deps.db, reviewId, account.id)).map((m) => [m.reviewer, m]));
  for (const reviewer of new Set([...pending.keys(), ...held.keys()])) {
    const message = reviewMessage({
      reviewId,
      account,
      dueAt: review.dueAt,
      pending: pending.get(reviewer) ?? [],
      decided,
      now: deps.now(),
    });
    const drawnHash = createHash('sha256').update(JSON.stringify(message)).digest('hex');
    const existing = held.get(reviewer);
    if (existing?.drawnHash === drawnHash) {
      out.unchanged++;
      continue;
    }
    if (existing) {
      await deps.web.chat.update({ channel: existing.channel, ts: existing.ts, ...message });
      await recordReviewMessage(deps.db, { ...existing, drawnHash });
      out.updated++;
      continue;
    }
    const user = await deps.directory.userIdFor(reviewer);
    if (!user) {
      out.unreachable.push(reviewer);
      continue;
    }
    const posted = await deps.web.chat.postMessage({ channel: user, ...message });
    await recordReviewMessage(deps.db, {
      reviewId,
      accountId: account.id,
      reviewer,
      channel: posted.channel!,
      ts: posted.ts!,
      drawnHash,
    });
    out.posted++;
  }
  return out;
}

/** Every account's messages of a campaign (its start, and each catch-up). */
export async function deliverReview(deps: Deps, reviewId: number): Promise<Delivery> {
  const out: Delivery = { posted: 0, updated: 0, unchanged: 0, unreachable: [] };
  for (const account of await reviewAccounts(deps.db, reviewId))
    await deliverAccount(deps, reviewId, account, out);
  if (out.unreachable.length)
    deps.log.warn(
      { review: reviewId, reviewers: [...new Set(out.unreachable)] },
      'access review: reviewers Slack does not know were not told',
    );
  return out;
}

export interface FollowUp {
  reviews: number;
  joined: number;
  gone: number;
  /** Revocations' findings whose credential is gone now. */
  resolved: number;
  reminded: number;
  escalated: number;
  /** Accounts that could not be read again, with why. */
  failed: string[];
}

const DAY = 86_400_000;

/**
 * The follow-up of every open campaign (a scheduled job): principals created meanwhile join and
 * deleted ones close; revocations whose credential is gone resolve their findings; reviewers'
 * messages are brought up to date; an item undecided for the policy's `remindEveryDays` is recalled
 * to its reviewer (a reply under their message); past the due date, undecided items are escalated
 * once to the managers and approvers. Overdue items stay open.
 */
export async function followUpReviews(deps: Deps & ReviewDeps, now: Date): Promise<FollowUp> {
  const out: FollowUp = {
    reviews: 0,
    joined: 0,
    gone: 0,
    resolved: 0,
    reminded: 0,
    escalated: 0,
    failed: [],
  };
  for (const review of await openReviews(deps.db)) {
    out.reviews++;
    const caught = await catchUp(deps, review, now);
    out.joined += caught.joined;
    out.gone += caught.gone;
    out.resolved += caught.resolved;
    out.failed.push(...caught.failed.map((f) => `${f.account}: ${f.error}`));
    for (const request of await resumeRevocations(deps, review.id)) await announceRequest(deps, request.id);
    await deliverReview(deps, review.id);

    const due = new Set(
      (
        await remindable(
          deps.db,
          review.id,
          new Date(now.getTime() - deps.config.policy.accessReviews.remindEveryDays * DAY),
        )
      ).map((i) => i.id),
    );
    const reminded: number[] = [];
    const accounts = await reviewAccounts(deps.db, review.id);
    for (const account of accounts) {
      const { pending } = await accountItems(deps.db, deps.config, review.id, account);
      const held = new Map(
        (await reviewMessagesOf(deps.db, review.id, account.id)).map((m) => [m.reviewer, m]),
      );
      for (const [reviewer, items] of pending) {
        const waiting = items.filter((i) => due.has(i.id));
        const message = held.get(reviewer);
        if (waiting.length === 0 || !message) continue;
        await deps.web.chat.postMessage({
          channel: message.channel,
          thread_ts: message.ts,
          text: reminderText(review, account, items.length, now),
        });
        reminded.push(...waiting.map((i) => i.id));
      }
    }
    await markReminded(deps.db, reminded, now);
    out.reminded += new Set(reminded).size;

    const overdue = await unescalatedOverdue(deps.db, review, now);
    if (overdue.length) {
      const to = escalationRecipients(deps.config);
      const text = escalationText(review, overdue, new Map(accounts.map((a) => [a.id, a])), deps.config);
      const told: string[] = [];
      for (const principal of to) {
        const user = await deps.directory.userIdFor(principal);
        if (!user) continue;
        await deps.web.chat.postMessage({ channel: user, text });
        told.push(principal);
      }
      await markEscalated(deps.db, review, overdue, told, now);
      out.escalated += overdue.length;
    }
  }
  return out;
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

function reminderText(review: AccessReview, account: Account, waiting: number, now: Date): string {
  const late = now > review.dueAt;
  return `:alarm_clock: Reminder: ${waiting} principals of ${account.name} (${account.id}) still wait for your decision in access review #${review.id}, ${late ? `overdue since ${dayOf(review.dueAt)}` : `due ${dayOf(review.dueAt)}`}.`;
}

function escalationText(
  review: AccessReview,
  overdue: AccessReviewItem[],
  accounts: Map<string, Account>,
  config: Deps['config'],
): string {
  const byAccount = new Map<string, AccessReviewItem[]>();
  for (const i of overdue) byAccount.set(i.accountId, [...(byAccount.get(i.accountId) ?? []), i]);
  const lines = [...byAccount].map(([id, items]) => {
    const account = accounts.get(id);
    const reviewers = account
      ? [...new Set(items.flatMap((i) => reviewersOf(i, account, config)))].join(', ')
      : 'unknown';
    return `• ${account?.name ?? id} (${id}): ${items.length} undecided (${items
      .slice(0, 5)
      .map((i) => i.name)
      .join(', ')}${items.length > 5 ? ', …' : ''}); reviewers: ${reviewers || 'none'}`;
  });
  return clip(
    `:rotating_light: Access review #${review.id} was due ${dayOf(review.dueAt)}; ${overdue.length} principals are still undecided. They stay open until decided.\n${lines.join('\n')}`,
    3000,
  );
}
