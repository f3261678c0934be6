import type { Job } from '../src/schedule/job.js';
import { accessReviewJob } from './access-review.js';
import { accessReviewFollowUpJob } from './access-review-follow-up.js';
import { auditAnchorJob } from './audit-anchor.js';
import { dailyDigestJob } from './daily-digest.js';
import { fullScanJob } from './full-scan.js';
import { remediationExpiryJob } from './remediation-expiry.js';
import { scanJob } from './scan.js';
import { snapshotRetentionJob } from './snapshot-retention.js';
import { suppressionExpiryJob } from './suppression-expiry.js';
import { weeklyDigestJob } from './weekly-digest.js';

/** Every scheduled job, in one list; their schedules come from the configuration (WARDEN_*_CRON). */
export const JOBS: readonly Job[] = [
  scanJob,
  fullScanJob,
  dailyDigestJob,
  weeklyDigestJob,
  suppressionExpiryJob,
  remediationExpiryJob,
  auditAnchorJob,
  snapshotRetentionJob,
  accessReviewJob,
  accessReviewFollowUpJob,
];
