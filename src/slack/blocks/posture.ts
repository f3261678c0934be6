import type { AccountPosture, NotScanned, SeverityCounts, TopFinding } from '../../posture/summary.js';
import { BLOCK_KIT } from '../limits.js';
import { type Block, clip, context, divider, escapeMrkdwn, fitList, header, section } from './text.js';

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

/** `/posture`: the organization at a glance. */
export function organizationPosture(input: {
  open: SeverityCounts;
  weekAgo: SeverityCounts | undefined;
  worst: AccountPosture[];
  gaps: NotScanned[];
  lastScan: Date | null;
}): Block[] {
  const top = [
    header('Organization posture'),
    section(`*Open findings*\n${severityLine(input.open)}\n${change(input.open, input.weekAgo)}`),
    context(
      input.lastScan
        ? `Last scan <!date^${Math.floor(input.lastScan.getTime() / 1000)}^{date_short_pretty} {time}|${input.lastScan.toISOString()}>`
        : 'No scan has completed yet',
    ),
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
        : clip(`*Not scanned*\n${gapLines.join('\n')}`, BLOCK_KIT.sectionText),
    ),
  ];
  const worst = fitList(
    input.worst,
    (a) => [
      section(
        `*${escapeMrkdwn(a.name)}* \`${a.accountId}\` ${a.ouPath ? `· ${escapeMrkdwn(a.ouPath)}` : ''}\n${severityLine(a.open)}`,
      ),
    ],
    { reserved: top.length + tail.length, more: (n) => `…and ${n} more accounts` },
  );
  return [...top, ...worst, ...tail];
}

/** One finding: title, severity, state, control, region, resource, and its console link. */
export function findingBlock(f: TopFinding): Block {
  return section(
    `*${escapeMrkdwn(clip(f.title, 200))}*${f.regression ? ' :repeat: regression' : ''}\n` +
      `${f.severity} · ${f.status} · ${escapeMrkdwn(f.controlId ?? f.source)} · ${f.region}\n\`${escapeMrkdwn(clip(f.resourceId, 300))}\``,
    {
      accessory: {
        type: 'button',
        text: { type: 'plain_text', text: 'Open in AWS console' },
        url: consoleUrl(f),
        action_id: `console-${f.id}`,
      },
    },
  );
}

/** A console link for a finding: its Security Hub control, or the IAM users page for Warden's checks. */
export function consoleUrl(f: Pick<TopFinding, 'source' | 'region' | 'controlId'>): string {
  if (f.source === 'securityhub' && f.controlId) {
    return `https://${f.region}.console.aws.amazon.com/securityhub/home?region=${f.region}#/controls/${encodeURIComponent(f.controlId)}`;
  }
  return 'https://console.aws.amazon.com/iam/home#/users';
}

/** `/posture <account>`: its owners, OU, open findings and the worst of them. */
export function accountPosture(input: {
  account: { id: string; name: string; ouPath: string | null };
  owners: string[];
  open: SeverityCounts;
  top: TopFinding[];
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
  // Findings past the ones listed: the query stops at the top few.
  const beyond = Math.max(0, input.totalOpen - input.top.length);
  const items = fitList(input.top, (f) => [findingBlock(f)], {
    reserved: top.length + 1,
    more: (n) => `…and ${n + beyond} more open findings`,
  });
  // fitList ends a list it had to cut with a context line; item blocks are sections.
  const truncated = items.some((b) => b.type === 'context');
  return [
    ...top,
    ...items,
    ...(beyond > 0 && !truncated ? [context(`…and ${beyond} more open findings`)] : []),
  ];
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
