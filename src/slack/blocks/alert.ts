import { BLOCK_KIT } from '../limits.js';
import { findingBlocks, type ShownFinding } from './finding.js';

type Severity = ShownFinding['severity'];

import { type Block, clip, context, escapeMrkdwn, section } from './text.js';

/**
 * Findings one message names with their actions (two blocks each): ten, with the heading and the
 * closing line, stay well within a message's 50 blocks. The rest are counted.
 */
export const ALERT_FINDINGS_SHOWN = 10;

/** Accounts a burst summary names one line each; the rest are counted. */
const SUMMARY_ACCOUNTS_SHOWN = 15;

const ICON = ':rotating_light:';

/** What an account's alert message is about: `in *prod-api* \`111122223333\``. */
export const aboutAccount = (accountId: string, name: string | null) =>
  `in ${name ? `*${escapeMrkdwn(name)}* ` : ''}\`${accountId}\``;

/** What an owner's DM is about. */
export const ABOUT_OWNED = 'in accounts you own';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `2 critical, 5 high`: counts by severity, most severe first. */
function bySeverity(findings: Array<{ severity: Severity }>): string {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  return ['critical', 'high', 'medium', 'low', 'informational']
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
}

/**
 * New and regressed findings, each with its actions (acknowledge, assign, suppress, request a
 * remediation) working in place: one account's in its channel, or an owner's in a DM. Clicks draw
 * the message again (`messageId`).
 */
export function alertMessage(
  findings: ShownFinding[],
  messageId: number,
  about: string,
): { text: string; blocks: Block[] } {
  const regressions = findings.filter((f) => f.regression).length;
  const what = `${plural(findings.length, 'new finding')}${regressions ? ` (${regressions} regressed)` : ''}`;
  const heading = `${ICON} *${what}* ${about}: ${bySeverity(findings)}`;
  const blocks: Block[] = [section(clip(heading, BLOCK_KIT.sectionText))];
  for (const f of findings.slice(0, ALERT_FINDINGS_SHOWN))
    blocks.push(...findingBlocks(f, { kind: 'alert', messageId }));
  if (findings.length > ALERT_FINDINGS_SHOWN)
    blocks.push(
      context(`…and ${findings.length - ALERT_FINDINGS_SHOWN} more: \`/findings <account>\` lists them.`),
    );
  return { text: `${what} ${about.replace(/[*`]/g, '')}`, blocks };
}

export interface BurstAccount {
  accountId: string;
  accountName: string | null;
  findings: Array<{ severity: Severity }>;
}

/**
 * A burst (more messages at once than a channel should get: a new standard enabled, a first scan)
 * as one summary: how many findings in how many accounts, a line per account, and where to triage.
 */
export function burstSummary(accounts: BurstAccount[]): { text: string; blocks: Block[] } {
  const all = accounts.flatMap((a) => a.findings);
  const what = `${plural(all.length, 'new finding')} in ${plural(accounts.length, 'account')}`;
  const sorted = [...accounts].sort((a, b) => b.findings.length - a.findings.length);
  const lines = sorted.slice(0, SUMMARY_ACCOUNTS_SHOWN).map((a) => {
    const name = a.accountName ? `${escapeMrkdwn(a.accountName)} \`${a.accountId}\`` : `\`${a.accountId}\``;
    return `• ${name}: ${bySeverity(a.findings)}`;
  });
  if (sorted.length > SUMMARY_ACCOUNTS_SHOWN)
    lines.push(`• …and ${sorted.length - SUMMARY_ACCOUNTS_SHOWN} more accounts`);
  return {
    text: `${what} (${bySeverity(all)})`,
    blocks: [
      section(`${ICON} *${what}*: ${bySeverity(all)}`),
      section(clip(lines.join('\n'), BLOCK_KIT.sectionText)),
      context('Too many at once to list here: `/findings <account>` lists an account’s, to triage them.'),
    ],
  };
}
