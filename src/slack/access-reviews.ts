import type { Account } from '../db/schema.js';
import {
  accountItems,
  recordReviewMessage,
  reviewAccounts,
  reviewById,
  reviewMessagesOf,
} from '../workflow/access-reviews.js';
import type { HandlerDeps } from './app.js';
import { reviewMessage } from './blocks/access-review.js';

type Deps = Pick<HandlerDeps, 'db' | 'config' | 'web' | 'directory' | 'log' | 'now'>;

export interface Delivery {
  posted: number;
  updated: number;
  /** Reviewers Slack does not know (no member with that email or id): told nothing. */
  unreachable: string[];
}

/**
 * Brings one account's review messages up to date: each reviewer with pending items gets one message
 * (posted the first time, redrawn in place after), and a reviewer with none left sees it closed.
 */
export async function deliverAccount(
  deps: Deps,
  reviewId: number,
  account: Account,
  out: Delivery = { posted: 0, updated: 0, unreachable: [] },
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
    const existing = held.get(reviewer);
    if (existing) {
      await deps.web.chat.update({ channel: existing.channel, ts: existing.ts, ...message });
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
    });
    out.posted++;
  }
  return out;
}

/** Every account's messages of a campaign (its start, and each catch-up). */
export async function deliverReview(deps: Deps, reviewId: number): Promise<Delivery> {
  const out: Delivery = { posted: 0, updated: 0, unreachable: [] };
  for (const account of await reviewAccounts(deps.db, reviewId))
    await deliverAccount(deps, reviewId, account, out);
  if (out.unreachable.length)
    deps.log.warn(
      { review: reviewId, reviewers: [...new Set(out.unreachable)] },
      'access review: reviewers Slack does not know were not told',
    );
  return out;
}
