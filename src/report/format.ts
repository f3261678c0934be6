import type { RequirementStatus } from '../findings/frameworks.js';
import type { EvidencePack, EvidenceRequirement } from './evidence.js';

/** What every rendering of the pack writes the same way: dates, statuses, scores, the period. */

/** `2026-11-30 14:05 UTC`. */
export const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—');

/** `2026-11-30`. */
export const day = (d: Date) => d.toISOString().slice(0, 10);

/** The period as people read it: its first and last days (its end is exclusive). */
export const periodText = (p: EvidencePack['period']) =>
  `${day(p.from)} to ${day(new Date(p.to.getTime() - 1))}`;

export const STATUS_TEXT: Record<RequirementStatus, string> = {
  failed: 'Failed',
  unknown: 'Unknown',
  passed: 'Passed',
  'no-data': 'No data',
  manual: 'Manual',
};

/** Basis points as a percentage, or "no data". */
export const percent = (bp: number | null) => (bp === null ? 'no data' : `${Math.round(bp / 100)}%`);

/** How many findings each requirement lists per account in the HTML and PDF; the CSV has them all. */
export const FINDINGS_SHOWN = 50;

/** The lines that say where the statuses come from and what the period covers. */
export function methodNotes(pack: EvidencePack): string[] {
  return [
    `Requirement statuses are those of the last scan (${when(pack.statusesAt)}): Warden keeps each control's latest evaluations, not their history. The failing resources listed are those open at some time in the period, with when Warden first saw them and when they were resolved.`,
    'A requirement fails in an account when one of its controls or checks fails there; it is unknown when one could not decide, passed when those with data pass, no data when none was evaluated, manual when nothing automated maps to it. In an OU or the organization, the worst of its accounts.',
    'Score: passed over passed, failed and unknown, as Security Hub scores a standard.',
  ];
}

/** How many account names a requirement's summary line names before "and N more". */
const NAMES_SHOWN = 20;

/**
 * A requirement's accounts as the HTML and PDF show them: in detail those where it fails or cannot
 * be decided, or that had a failing resource in the period; the others in one line per status
 * (`Passed in 812 accounts: a, b, … and 792 more`), so a pack for a thousand accounts stays readable.
 * The CSV lists every account.
 */
export function accountsShown(
  requirement: EvidenceRequirement,
  name: (id: string) => string,
): { detailed: EvidenceRequirement['accounts']; summary: string[] } {
  const detailed = requirement.accounts.filter(
    (a) => a.status === 'failed' || a.status === 'unknown' || a.findings.length > 0,
  );
  const rest = requirement.accounts.filter((a) => !detailed.includes(a));
  const summary = (['passed', 'no-data'] as const).flatMap((status) => {
    const names = rest.filter((a) => a.status === status).map((a) => name(a.accountId));
    if (names.length === 0) return [];
    const more = names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : '';
    return [
      `${STATUS_TEXT[status]} in ${names.length} account${names.length === 1 ? '' : 's'}: ${names.slice(0, NAMES_SHOWN).join(', ')}${more}`,
    ];
  });
  return { detailed, summary };
}
