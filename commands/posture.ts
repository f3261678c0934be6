import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { findAccount } from '../src/posture/accounts.js';
import { listFindings } from '../src/posture/findings-list.js';
import {
  accountOpenBySeverity,
  lastScanGaps,
  openBySeverity,
  openBySeverityAt,
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
    const top = await listFindings(db, { accountId: account.id }, { offset: 0, limit: TOP_FINDINGS });
    const blocks = accountPosture({
      account,
      owners: ownersOf(account, deps.config.policy),
      open: await accountOpenBySeverity(db, account.id),
      top: top.rows,
      totalOpen: top.total,
    });
    await respond({ response_type: 'ephemeral', text: `Posture of ${account.name}`, blocks });
  };
}
