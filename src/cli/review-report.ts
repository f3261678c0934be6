import { withRuntime } from '../runtime.js';
import { type ReviewReport, reviewReport, scopeText } from '../workflow/access-reviews.js';
import { type CommandModule, EXIT, UsageError } from './command.js';

/** `warden review report CAMPAIGN [--format text|json]`: the campaign's record, for an auditor. */
export const run: CommandModule['run'] = async (values, { config, io }) => {
  const id = Number(values.campaign);
  if (!values.campaign || !Number.isInteger(id) || id < 1)
    throw new UsageError('name the campaign by its number (warden review report 3)');
  const format = values.format as string;
  if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
  return withRuntime(config, {}, async ({ db, now }) => {
    const report = await reviewReport(db, id, now());
    if (!report) throw new UsageError(`access review #${id} does not exist`);
    io.stdout(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reportText(report));
    return EXIT.ok;
  });
};

/** The report as text: the campaign, its counts, each principal's line, then what is overdue. */
export function reportText({ review, counts, items }: ReviewReport): string {
  const lines = [
    `Access review #${review.id} of ${scopeText(review.scope)}`,
    `Started ${review.startedAt.toISOString()} by ${review.startedBy}; due ${review.dueAt.toISOString()}; ${review.status}${review.closedAt ? ` ${review.closedAt.toISOString()}` : ''}`,
    `${counts.total} principals: ${counts.keep} kept, ${counts.revoke} revoked, ${counts.gone} deleted meanwhile, ${counts.pending} undecided (${counts.overdue} overdue)`,
    '',
  ];
  for (const i of items) {
    const who = i.decidedBy ? ` by ${i.decidedBy} at ${i.decidedAt}` : ` (reviewer: ${i.reviewer})`;
    lines.push(
      `${i.account} ${i.accountName ?? ''} ${i.kind} ${i.principal}: ${i.overdue ? `OVERDUE${i.escalatedAt ? `, escalated ${i.escalatedAt}` : ''}` : i.decision}${who}${i.why ? `: ${i.why}` : ''}`,
    );
    for (const r of i.revocation)
      lines.push(
        `    finding #${r.finding}: ${r.request ? `remediation #${r.request} ${r.status}` : 'no remediation request'}`,
      );
  }
  const overdue = items.filter((i) => i.overdue);
  if (overdue.length) {
    lines.push('', `Overdue (${overdue.length}):`);
    for (const i of overdue) lines.push(`  ${i.account} ${i.kind} ${i.principal} (reviewer: ${i.reviewer})`);
  }
  return `${lines.join('\n')}\n`;
}
