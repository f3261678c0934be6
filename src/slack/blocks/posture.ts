import type { AccountPosture, NotScanned, SeverityCounts } from '../../posture/summary.js';
import { BLOCK_KIT } from '../limits.js';
import { findingBlocks, type ShownFinding } from './finding.js';
import {
  type Block,
  clip,
  context,
  divider,
  escapeMrkdwn,
  fitList,
  header,
  linesWithin,
  section,
  slackDate,
} from './text.js';

const ICON = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':white_circle:',
};

export function severityLine(c: SeverityCounts): string {
  return `${ICON.critical} ${c.critical} critical   ${ICON.high} ${c.high} high   ${ICON.medium} ${c.medium} medium   ${ICON.low} ${c.low} low`;
}

function change(now: SeverityCounts, then: SeverityCounts | undefined): string {
  if (!then) return 'no posture recorded 7 days ago yet';
  const total = (c: SeverityCounts) => c.critical + c.high + c.medium + c.low;
  const d = total(now) - total(then);
  const crit = now.critical - then.critical;
  const sign = (n: number) => (n > 0 ? `+${n}` : `${n}`);
  return `${sign(d)} open findings since 7 days ago (${sign(crit)} critical)`;
}

/** `/posture` (the organization) or `/posture <OU>` at a glance. */
export function organizationPosture(input: {
  /** "Organization posture", or the OU's. */
  title: string;
  open: SeverityCounts;
  weekAgo: SeverityCounts | undefined;
  worst: AccountPosture[];
  /** How many accounts have open findings (the worst are the first of them). */
  accountsWithOpen: number;
  gaps: NotScanned[];
  lastScan: Date | null;
}): Block[] {
  const top = [
    header(input.title),
    section(`*Open findings*\n${severityLine(input.open)}\n${change(input.open, input.weekAgo)}`),
    context(input.lastScan ? `Last scan ${slackDate(input.lastScan)}` : 'No scan has completed yet'),
    divider(),
    section('*Worst accounts*'),
  ];
  const gapLines = input.gaps.map(
    (g) =>
      `• *${escapeMrkdwn(g.name)}* \`${g.accountId}\` (${g.source} ${g.region}): ${escapeMrkdwn(g.reason ?? 'failed')}`,
  );
  const tail = [
    divider(),
    section(
      gapLines.length === 0
        ? '*Every account was scanned.*'
        : `*Not scanned*\n${linesWithin(gapLines, BLOCK_KIT.sectionText - 20, (n) => `…and ${n} more`)}`,
    ),
  ];
  const worst = fitList(
    input.worst,
    (a) => [
      section(
        `*${escapeMrkdwn(a.name)}* \`${a.accountId}\` ${a.ouPath ? `· ${escapeMrkdwn(a.ouPath)}` : ''}\n${severityLine(a.open)}`,
      ),
    ],
    {
      reserved: top.length + tail.length,
      total: input.accountsWithOpen,
      more: (n) => `…and ${n} more accounts with open findings`,
    },
  );
  return [...top, ...worst, ...tail];
}

/** `/posture <account>`: its owners, OU, open findings and the worst of them. */
export function accountPosture(input: {
  account: { id: string; name: string; ouPath: string | null };
  owners: string[];
  open: SeverityCounts;
  top: ShownFinding[];
  totalOpen: number;
}): Block[] {
  const owners = input.owners.length
    ? input.owners.map((o) => (/^[UW][A-Z0-9]+$/.test(o) ? `<@${o}>` : escapeMrkdwn(o))).join(', ')
    : '_no owner: tag the account with `owner` or name one in the policy file_';
  const top = [
    header(`${input.account.name} (${input.account.id})`),
    section(
      `*Owners:* ${owners}\n*OU:* ${escapeMrkdwn(input.account.ouPath ?? 'unknown')}\n${severityLine(input.open)}`,
    ),
    divider(),
  ];
  const items = fitList(
    input.top,
    (f) => findingBlocks(f, { kind: 'account', accountId: input.account.id }),
    {
      reserved: top.length,
      total: input.totalOpen,
      more: (n) => `…and ${n} more open findings: \`/findings ${input.account.id}\` lists them all`,
    },
  );
  return [...top, ...items];
}

/** An account nobody has: the closest names, so the next try works. */
export function noSuchAccount(query: string, closest: Array<{ id: string; name: string }>): Block[] {
  return [
    section(`No account matches \`${escapeMrkdwn(clip(query, 100))}\`.`),
    ...(closest.length
      ? [
          section(
            `Did you mean:\n${closest.map((a) => `• *${escapeMrkdwn(a.name)}* \`${a.id}\``).join('\n')}`,
          ),
        ]
      : []),
  ];
}

/** The answer to an OU name that ends several paths: which, so that the person gives the whole path. */
export function ambiguousOu(query: string, paths: string[]): string {
  return `Several OUs are named ${escapeMrkdwn(clip(query, 100))}: ${paths.map((p) => `\`${escapeMrkdwn(p)}\``).join(', ')}. Give the whole path.`;
}
