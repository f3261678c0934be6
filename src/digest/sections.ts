import type { ReviewProgress } from '../posture/access-reviews.js';
import { scorePercent, standardName } from '../posture/compliance.js';
import type { DailyFigures, FindingLine, WeeklyFigures } from '../posture/digest-figures.js';
import { SCORE_EXPLAINED, scoreText } from '../posture/score.js';
import type { SeverityCounts } from '../posture/summary.js';

/**
 * A digest as titled sections of lines, before any formatting: the Slack renderer and the terminal
 * both draw these, so the two say the same thing. `more` counts the lines left out of `lines`.
 */
export interface DigestSection {
  title: string;
  lines: string[];
  more: number;
}

export interface Digest {
  title: string;
  sections: DigestSection[];
  footer: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const finding = (f: FindingLine) =>
  `#${f.id} ${f.severity}: ${f.title} (${f.accountName ?? f.accountId} ${f.accountId}), ${f.ageDays} days old`;
const severities = (c: SeverityCounts) =>
  `${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low`;
const list = <T>(
  title: string,
  items: { total: number; items: T[] },
  line: (t: T) => string,
  none: string,
) => ({
  title: `${title} (${items.total})`,
  lines: items.total === 0 ? [none] : items.items.map(line),
  more: Math.max(0, items.total - items.items.length),
});

function notScannedSection(gaps: DailyFigures['notScanned']): DigestSection {
  return {
    title: `Accounts not scanned (${new Set(gaps.map((g) => g.accountId)).size})`,
    lines:
      gaps.length === 0
        ? ['Every account was scanned.']
        : gaps.map((g) => `${g.name} ${g.accountId} (${g.source} ${g.region}): ${g.reason ?? 'failed'}`),
    more: 0,
  };
}

function slaSection(sla: DailyFigures['sla']): DigestSection {
  return {
    title: `SLA breaches (${sla.total}): ${severities(sla.bySeverity)}`,
    lines:
      sla.total === 0
        ? ['Nothing is past its SLA.']
        : sla.oldest.map((f) => `${finding(f)}, SLA ${f.slaDays} days`),
    more: Math.max(0, sla.total - sla.oldest.length),
  };
}

function suppressionsSection(s: DailyFigures['suppressions']): DigestSection {
  return {
    ...list(
      'Suppressions ending within 7 days',
      s.expiringSoon,
      (x) => `#${x.findingId} ${x.title} (${x.accountId}) until ${day(x.expiresAt)}: ${x.reason}`,
      'None ends this week.',
    ),
    title: `Suppressions: ${s.active} active, ${s.expiringSoon.total} ending within 7 days`,
  };
}

/**
 * Open access reviews: per campaign and OU, how many principals are decided and how many are overdue
 * (undecided past the due date; they stay open until decided). Empty when no campaign is open.
 */
function accessReviewsSection(progress: ReviewProgress[], title: string): DigestSection[] {
  if (progress.length === 0) return [];
  return [
    {
      title,
      lines: progress.map(
        (p) =>
          `#${p.review} (due ${day(p.dueAt)}), ${p.ouPath}: ${p.decided} of ${p.total} decided${p.overdue ? `, ${p.overdue} overdue` : ''}`,
      ),
      more: 0,
    },
  ];
}

/** The daily digest: what is new, what came back, what is late, what could not be read, what ends, what waits. */
export function dailyDigest(f: DailyFigures, scope: string): Digest {
  return {
    title: `Daily security digest, ${day(f.window.to)}${scope ? ` · ${scope}` : ''}`,
    sections: [
      list('New critical and high findings', f.newFindings, finding, 'None since the last digest.'),
      list('Regressions: resolved findings that came back', f.regressions, finding, 'None.'),
      slaSection(f.sla),
      notScannedSection(f.notScanned),
      suppressionsSection(f.suppressions),
      list(
        'Remediations waiting for approval',
        f.waiting,
        (r) => `#${r.id} ${r.playbookId} on ${r.findingTitle} (${r.accountId}), expires ${day(r.expiresAt)}`,
        'None.',
      ),
      ...accessReviewsSection(f.accessReviews, 'Access reviews'),
    ],
    footer: `Since ${f.window.from.toISOString()}. Findings and their actions: /findings.`,
  };
}

const change = (now: number | null, then: number | null) =>
  now === null || then === null ? 'n/a' : `${now >= then ? '+' : ''}${((now - then) / 100).toFixed(1)}`;

/** How many accounts the weekly digest names before "and N more". */
export const WEEKLY_ACCOUNTS_SHOWN = 15;

/**
 * The organization's standards, first in the weekly digest: each one's score as Security Hub computes
 * it, its change over the week and the 4 weeks, and what the controls are.
 */
function standardsSection(standards: WeeklyFigures['standards']): DigestSection {
  return {
    title: 'Compliance by standard (organization)',
    lines:
      standards.length === 0
        ? ['No Security Hub standard is enabled in any account scanned.']
        : [...standards]
            .sort((a, b) => standardName(a.standardId).localeCompare(standardName(b.standardId)))
            .map(({ standardId, now, trend }) => {
              const lastWeek = trend.at(-2) ?? null;
              const first = trend.find((p) => p !== null) ?? null;
              return (
                `${standardName(standardId)}: ${scorePercent(now.score)} of controls passing ` +
                `(${now.passed} passed, ${now.failed} failed, ${now.unknown} unknown; ` +
                `${now.noData} without data, ${now.disabled} disabled), ` +
                `${change(now.score, lastWeek)} since last week, ${change(now.score, first)} over 4 weeks`
              );
            }),
    more: 0,
  };
}

/** The weekly compliance digest, for managers. */
export function weeklyDigest(f: WeeklyFigures, period: string): Digest {
  const first = f.trend.find((p) => p.score !== null)?.score ?? null;
  const lastWeek = f.trend.at(-2)?.score ?? null;
  const mttr = (Object.entries(f.mttrDays) as Array<[string, { days: number | null; resolved: number }]>)
    .filter(([, m]) => m.resolved > 0)
    .map(([s, m]) => `${s}: ${m.days} days (${m.resolved} resolved)`);
  const r = f.remediations;
  return {
    title: `Weekly compliance digest, ${period}`,
    sections: [
      standardsSection(f.standards),
      {
        title: `Posture score ${scoreText(f.score)} / 100`,
        lines: [
          `${change(f.score, lastWeek)} since last week, ${change(f.score, first)} over 4 weeks`,
          `Trend: ${f.trend.map((p) => `${day(p.at)} ${scoreText(p.score)}`).join(' → ')}`,
        ],
        more: 0,
      },
      {
        title: 'Findings this week',
        lines: [
          `${f.opened} opened, ${f.resolved} resolved`,
          `Mean time to remediate: ${mttr.length ? mttr.join('; ') : 'nothing was resolved'}`,
        ],
        more: 0,
      },
      slaSection(f.sla),
      {
        title: 'Score by OU, worst first',
        lines: f.byOu.map(
          (o) => `${o.ouPath}: ${scoreText(o.score)} (${o.accounts} account${o.accounts === 1 ? '' : 's'})`,
        ),
        more: 0,
      },
      {
        title: 'Score by account, worst first',
        lines: f.byAccount
          .slice(0, WEEKLY_ACCOUNTS_SHOWN)
          .map((a) => `${a.name} ${a.accountId}: ${scoreText(a.score)} (${severities(a.open)} open)`),
        more: Math.max(0, f.byAccount.length - WEEKLY_ACCOUNTS_SHOWN),
      },
      suppressionsSection(f.suppressions),
      {
        title: 'Remediations this week',
        lines: [
          `${r.requested} requested, ${r.approved} approved, ${r.executed} executed, ${r.failed} failed, ${r.rejected} rejected`,
        ],
        more: 0,
      },
      ...accessReviewsSection(f.accessReviews, 'Access reviews by OU'),
      notScannedSection(f.notScanned),
    ],
    footer: SCORE_EXPLAINED,
  };
}
