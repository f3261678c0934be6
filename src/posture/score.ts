import type { SeverityCounts } from './summary.js';

/**
 * Warden's compliance score, in one place.
 *
 * An account's score is 100 × H / (H + P), where P is its open findings weighted by severity
 * (critical 10, high 5, medium 2, low 0.5, informational 0) and H = 50, the weight at which an
 * account scores 50. No open finding scores 100; every open finding lowers the score, the more
 * severe the more; it never reaches 0, so a bad account still shows progress. The organization's
 * score (and an OU's) is the mean of its accounts' scores, so a large account does not drown the
 * others. Scores are kept in basis points (0–10000) in posture snapshots.
 *
 * The weights and H are constants, not settings: changing them would rewrite history, and a trend
 * is only worth reading if every point was scored the same way.
 */
export const SCORE_WEIGHTS = { critical: 10, high: 5, medium: 2, low: 0.5, informational: 0 } as const;
export const SCORE_HALF_WEIGHT = 50;

/** Open findings weighted by severity. */
export const weightedOpen = (open: SeverityCounts) =>
  (Object.keys(SCORE_WEIGHTS) as Array<keyof SeverityCounts>).reduce(
    (sum, s) => sum + SCORE_WEIGHTS[s] * open[s],
    0,
  );

/** An account's score in basis points (10000 = 100.00). */
export const accountScore = (open: SeverityCounts): number =>
  Math.round((10_000 * SCORE_HALF_WEIGHT) / (SCORE_HALF_WEIGHT + weightedOpen(open)));

/** The mean of account scores (basis points), or null for no account. */
export const meanScore = (scores: number[]): number | null =>
  scores.length === 0 ? null : Math.round(scores.reduce((a, b) => a + b, 0) / scores.length);

/** A score as people read it: `87.5`. */
export const scoreText = (basisPoints: number | null) =>
  basisPoints === null ? 'n/a' : (basisPoints / 100).toFixed(1);

/** The score's definition in one sentence, for the people who read it. */
export const SCORE_EXPLAINED = `Score: 100 × ${SCORE_HALF_WEIGHT} / (${SCORE_HALF_WEIGHT} + open findings weighted ${SCORE_WEIGHTS.critical} critical, ${SCORE_WEIGHTS.high} high, ${SCORE_WEIGHTS.medium} medium, ${SCORE_WEIGHTS.low} low), averaged over accounts.`;
