import type { JobRun, ScanTarget } from './db/schema.js';
import type { Digest } from './digest/sections.js';
import { type StandardScore, scorePercent } from './posture/compliance.js';
import type { RequirementStatus } from './posture/frameworks.js';
import type { AccountPosture, NotScanned, SeverityCounts } from './posture/summary.js';
import type { ScanProgress, ScanResult } from './workflow/scan.js';

/** Plain-text renderings for the terminal: the scan's progress bar, its summary table, the posture. */

export function progressLine(p: ScanProgress, width = 24): string {
  const share = p.accountsTotal === 0 ? 1 : p.accountsDone / p.accountsTotal;
  const filled = Math.round(share * width);
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.accountsDone}/${p.accountsTotal} accounts` +
    ` · ${p.findings} findings · ${p.failures} failed · ${p.throttles} throttled`
  );
}

export function table(
  header: string[],
  rows: Array<Array<string | number>>,
  rightAlign: number[] = [],
): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (rightAlign.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The scan's summary table: one row per account, from the targets the scan recorded. */
export function scanSummary(result: ScanResult, targets: ScanTarget[]): string {
  const zero = () => ({ new: 0, updated: 0, resolved: 0, reopened: 0, failed: 0, targets: 0 });
  const perAccount = new Map<string, ReturnType<typeof zero>>();
  for (const t of targets) {
    const a = perAccount.get(t.accountId) ?? zero();
    a.new += t.newCount;
    a.updated += t.updatedCount;
    a.resolved += t.resolvedCount;
    a.reopened += t.reopenedCount;
    a.targets += 1;
    if (t.status === 'failed') a.failed += 1;
    perAccount.set(t.accountId, a);
  }
  const rows = result.accounts.map((acc) => {
    const a = perAccount.get(acc.id) ?? zero();
    const status =
      a.failed === 0 ? 'ok' : a.failed === a.targets ? 'failed' : `partial (${a.failed}/${a.targets} failed)`;
    return [acc.id, acc.name, acc.ouPath, a.new, a.updated, a.resolved, a.reopened, status];
  });
  const lines = [
    `Scan ${result.scanId} (${result.kind}): ${result.accounts.length} accounts, ${result.targets.total} targets, ${result.targets.failed} failed`,
    '',
    table(['ACCOUNT', 'NAME', 'OU', 'NEW', 'UPDATED', 'RESOLVED', 'REOPENED', 'STATUS'], rows, [3, 4, 5, 6]),
    '',
    `Totals: ${result.totals.findings} findings read · ${result.totals.new} new · ${result.totals.updated} updated · ` +
      `${result.totals.resolved} resolved · ${result.totals.reopened} reopened · ${result.totals.apiCalls} API calls · ` +
      `${result.totals.throttles} throttled`,
  ];
  if (result.notScanned.length > 0) {
    lines.push('', 'Not scanned (their earlier findings stay open):');
    for (const n of result.notScanned)
      for (const r of n.reasons) lines.push(`  ${n.accountId} ${n.name}: ${r}`);
  }
  return `${lines.join('\n')}\n`;
}

const SEVERITY_HEADER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
const severityCells = (c: SeverityCounts) => [c.critical, c.high, c.medium, c.low];

export function postureReport(input: {
  open: SeverityCounts;
  worst: AccountPosture[];
  gaps: NotScanned[];
  lastScan: Date | null;
}): string {
  const total =
    input.open.critical + input.open.high + input.open.medium + input.open.low + input.open.informational;
  const lines = [
    `Organization posture${input.lastScan ? ` (last scan ${input.lastScan.toISOString()})` : ''}`,
    '',
    `Open findings: ${total}`,
    table(SEVERITY_HEADER, [severityCells(input.open)], [0, 1, 2, 3]),
    '',
    'Worst accounts:',
    table(
      ['ACCOUNT', 'NAME', 'OU', ...SEVERITY_HEADER],
      input.worst.map((a) => [a.accountId, a.name, a.ouPath ?? '', ...severityCells(a.open)]),
      [3, 4, 5, 6],
    ),
  ];
  lines.push('', input.gaps.length === 0 ? 'Every account was scanned.' : 'Not scanned, and why:');
  // One line per account and reason, naming every source and region it stopped.
  const grouped = new Map<string, { gap: NotScanned; where: string[] }>();
  for (const g of input.gaps) {
    const key = `${g.accountId}\u0000${g.reason}`;
    const entry = grouped.get(key) ?? { gap: g, where: [] };
    entry.where.push(g.source === 'securityhub' ? `securityhub ${g.region}` : g.source);
    grouped.set(key, entry);
  }
  for (const { gap, where } of grouped.values()) {
    lines.push(`  ${gap.accountId} ${gap.name} [${where.join(', ')}]: ${gap.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A digest for the terminal (`warden digest --print`): each section's title, its lines, what was left out. */
export function digestText(digest: Digest): string {
  const out = [digest.title, '='.repeat(digest.title.length), ''];
  for (const s of digest.sections) {
    out.push(s.title, ...s.lines.map((l) => `  ${l}`));
    if (s.more > 0) out.push(`  …and ${s.more} more`);
    out.push('');
  }
  out.push(digest.footer, '');
  return out.join('\n');
}

/** The latest scheduled runs as a table (`warden jobs`). */
export function jobRunsTable(runs: JobRun[]): string {
  if (runs.length === 0) return 'No scheduled run yet.\n';
  const rows = runs.map((r) => [
    r.slot.toISOString(),
    r.job,
    r.outcome,
    r.finishedAt ? `${Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000)} s` : '',
    r.claimedBy,
    r.error ?? '',
  ]);
  const head = ['slot', 'job', 'outcome', 'took', 'process', 'error'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()}\n`;
  return line(head) + rows.map(line).join('');
}

/** Each standard's score for the organization, and a framework's requirements, as the demo ends. */
export function complianceReport(input: {
  standards: Array<{ name: string; score: StandardScore }>;
  framework?: { name: string; counts: Record<RequirementStatus, number>; score: number | null };
}): string {
  const rows = input.standards.map(({ name, score: s }) => [
    name,
    scorePercent(s.score),
    String(s.passed),
    String(s.failed),
    String(s.unknown),
    String(s.noData),
    String(s.disabled),
  ]);
  let text = `Compliance of the organization (controls passing, as Security Hub scores them)\n${table(
    ['Standard', 'Score', 'Passed', 'Failed', 'Unknown', 'No data', 'Disabled'],
    rows,
  )}`;
  const f = input.framework;
  if (f) {
    const c = f.counts;
    text += `\n${f.name}: ${scorePercent(f.score)} of requirements passing (${c.passed} passed, ${c.failed} failed, ${c.unknown} unknown, ${c['no-data']} without data, ${c.manual} manual)\n`;
  }
  return text;
}
