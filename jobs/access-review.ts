import type { Job } from '../src/schedule/job.js';
import { deliverReview } from '../src/slack/access-reviews.js';
import { startReview } from '../src/workflow/access-reviews.js';

const DAY = 86_400_000;

/**
 * An access review of the whole organization on a schedule (WARDEN_ACCESS_REVIEW_CRON, e.g.
 * quarterly; unset: never), due after the policy's `accessReviews.dueDays`; owners are told at once.
 */
export const accessReviewJob: Job = {
  name: 'access-review',
  cron: (s) => s.cron.accessReview,
  catchUp: false,
  async run(deps, slot) {
    const dueAt = new Date(slot.getTime() + deps.config.policy.accessReviews.dueDays * DAY);
    const { review, accounts } = await startReview(deps, {
      scope: {},
      dueAt,
      by: 'warden:schedule',
      now: slot,
    });
    const failed = accounts.filter((a) => a.error);
    if (failed.length) deps.log.warn({ review: review.id, failed }, 'access review: accounts not read');
    if (deps.slack) await deliverReview({ ...deps, ...deps.slack }, review.id);
    return undefined;
  },
};
