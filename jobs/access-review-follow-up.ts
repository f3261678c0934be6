import type { Job } from '../src/schedule/job.js';
import { followUpReviews } from '../src/slack/access-reviews.js';

/**
 * Open access reviews, followed up: new and deleted principals, reviewers' messages, reminders at the
 * policy's cadence, and the escalation of overdue items (src/slack/access-reviews.ts).
 */
export const accessReviewFollowUpJob: Job = {
  name: 'access-review-follow-up',
  cron: (s) => s.cron.accessReviewFollowUp,
  catchUp: false,
  async run(deps, slot) {
    if (!deps.slack) return { skipped: 'Slack is not configured: reviewers cannot be told' };
    const done = await followUpReviews({ ...deps, ...deps.slack }, slot);
    if (done.reviews === 0) return { skipped: 'no access review is open' };
    if (done.failed.length) deps.log.warn({ failed: done.failed }, 'access review: accounts not read again');
    return undefined;
  },
};
