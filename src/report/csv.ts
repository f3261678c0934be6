import { stringify } from 'csv-stringify/sync';
import type { EvidencePack } from './evidence.js';

export const EVIDENCE_COLUMNS = [
  'requirement',
  'requirement_title',
  'requirement_status',
  'account_id',
  'account_name',
  'account_status',
  'control',
  'control_status',
  'failing_evaluations',
  'passing_evaluations',
  'finding_id',
  'resource',
  'region',
  'severity',
  'first_seen',
  'resolved',
  'finding_status',
] as const;

/**
 * A spreadsheet opens a cell that starts with = + - @ (or a tab or carriage return) as a formula: such
 * a cell gets a leading apostrophe (OWASP's advice on CSV injection), since resource names and
 * titles come from AWS accounts Warden does not control.
 */
const inert = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/**
 * The evidence rows: for each requirement and account, one row per failing resource of the period,
 * or, with none, one per control or check evaluated there (its failing and passing counts), or one
 * row with the status alone.
 */
export function evidenceCsv(pack: EvidencePack): string {
  const name = new Map(pack.accounts.map((a) => [a.id, a.name]));
  const rows: string[][] = [];
  for (const r of pack.requirements) {
    for (const a of r.accounts) {
      const base = [
        r.id,
        r.title ?? '',
        r.status,
        a.accountId,
        name.get(a.accountId) ?? a.accountId,
        a.status,
      ];
      const evaluated = new Map(a.controls.map((c) => [c.id, c]));
      const control = (id: string) => {
        const c = evaluated.get(id);
        return c ? [id, c.status, String(c.failed), String(c.passed)] : [id, 'no-data', '0', '0'];
      };
      if (a.findings.length > 0) {
        for (const f of a.findings)
          rows.push([
            ...base,
            ...control(f.controlId),
            String(f.findingId),
            f.resourceId,
            f.region,
            f.severity,
            f.firstSeenAt.toISOString(),
            f.resolvedAt?.toISOString() ?? '',
            f.status,
          ]);
      } else if (a.controls.length > 0) {
        for (const c of a.controls) rows.push([...base, ...control(c.id), '', '', '', '', '', '', '']);
      } else {
        rows.push([...base, '', '', '', '', '', '', '', '', '', '', '']);
      }
    }
  }
  return stringify([[...EVIDENCE_COLUMNS], ...rows.map((row) => row.map(inert))]);
}
