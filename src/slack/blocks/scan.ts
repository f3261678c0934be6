import type { ScanProgress } from '../../posture/scan-progress.js';
import { BLOCK_KIT } from '../limits.js';
import { type Block, context, escapeMrkdwn, linesWithin, section } from './text.js';

/** What the scan message shows when a scan ends. */
export interface ScanReport {
  scanId: number;
  kind: string;
  accounts: unknown[];
  targets: { total: number; failed: number };
  totals: { new: number; updated: number; resolved: number; reopened: number };
  notScanned: Array<{ accountId: string; name: string; reasons: string[] }>;
}

/** The one message a Slack-started scan keeps updated while it runs. */
export function scanProgressBlocks(p: ScanProgress, requestedBy: string): Block[] {
  return [
    section(
      `:hourglass_flowing_sand: *Scan running*: ${p.accountsDone} of ${p.accountsTotal} accounts · ` +
        `${p.findings} findings · ${p.failures} failed · ${p.throttles} throttled`,
    ),
    context(`Started by <@${requestedBy}>`),
  ];
}

export function scanDoneBlocks(r: ScanReport, requestedBy: string): Block[] {
  const lines = r.notScanned.flatMap((n) =>
    n.reasons.map((reason) => `• *${escapeMrkdwn(n.name)}* \`${n.accountId}\`: ${escapeMrkdwn(reason)}`),
  );
  return [
    section(
      `:white_check_mark: *Scan ${r.scanId} completed* (${r.kind}): ${r.accounts.length} accounts, ${r.targets.failed} of ${r.targets.total} targets failed\n` +
        `${r.totals.new} new · ${r.totals.updated} updated · ${r.totals.resolved} resolved · ${r.totals.reopened} reopened`,
    ),
    ...(lines.length
      ? [
          section(
            `*Not scanned* (their earlier findings stay open)\n${linesWithin(lines, BLOCK_KIT.sectionText - 60, (n) => `…and ${n} more`)}`,
          ),
        ]
      : []),
    context(`Started by <@${requestedBy}>`),
  ];
}

export function scanFailedBlocks(reason: string, requestedBy: string): Block[] {
  return [
    section(`:x: *The scan could not run*: ${escapeMrkdwn(reason)}`),
    context(`Started by <@${requestedBy}>`),
  ];
}
