import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { findAccount } from '../src/posture/accounts.js';
import {
  accountOpenBySeverity,
  lastScanGaps,
  openBySeverity,
  openBySeverityAt,
  topFindings,
  worstAccounts,
} from '../src/posture/summary.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { accountPosture, noSuchAccount, organizationPosture } from '../src/slack/blocks/posture.js';
import { ownersOf } from '../src/workflow/policy.js';

const DAY = 86_400_000;
const TOP_FINDINGS = 10;

/** `/posture` (the organization) or `/posture <account id, name or alias>`. */
export function postureCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    // Acknowledge within Slack's 3 seconds; the answer follows through response_url.
    await ack();
    const query = command.text.trim();
    const { db } = deps;
    if (!query) {
      const gaps = await lastScanGaps(db);
      const open = await openBySeverity(db);
      const blocks = organizationPosture({
        open,
        weekAgo: await openBySeverityAt(db, new Date(Date.now() - 7 * DAY)),
        worst: await worstAccounts(db, 10),
        gaps: gaps?.gaps ?? [],
        lastScan: gaps?.finishedAt ?? null,
      });
      await respond({ response_type: 'ephemeral', text: 'Organization posture', blocks });
      return;
    }
    const found = await findAccount(db, query);
    if (!found.account) {
      await respond({
        response_type: 'ephemeral',
        text: `No account matches ${query}`,
        blocks: noSuchAccount(query, found.closest),
      });
      return;
    }
    const { account } = found;
    const open = await accountOpenBySeverity(db, account.id);
    const blocks = accountPosture({
      account,
      owners: ownersOf(account, deps.config.policy),
      open,
      top: await topFindings(db, account.id, TOP_FINDINGS),
      totalOpen: open.critical + open.high + open.medium + open.low + open.informational,
    });
    await respond({ response_type: 'ephemeral', text: `Posture of ${account.name}`, blocks });
  };
}
