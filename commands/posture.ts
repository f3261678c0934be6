import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { findAccount } from '../src/posture/accounts.js';
import {
  accountsWithOpenFindings,
  lastScanGaps,
  openBySeverity,
  openBySeverityAt,
  worstAccounts,
} from '../src/posture/summary.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { noSuchAccount, organizationPosture } from '../src/slack/blocks/posture.js';
import { accountMessage } from '../src/slack/finding-views.js';

const DAY = 86_400_000;
const WORST_ACCOUNTS = 10;

/** `/posture` (the organization) or `/posture <account id, name or alias>`. */
export function postureCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    // Acknowledge within Slack's 3 seconds; the answer follows through response_url.
    await ack();
    const query = command.text.trim();
    const { db } = deps;
    if (!query) {
      const gaps = await lastScanGaps(db);
      const blocks = organizationPosture({
        open: await openBySeverity(db),
        weekAgo: await openBySeverityAt(db, new Date(deps.now().getTime() - 7 * DAY)),
        worst: await worstAccounts(db, WORST_ACCOUNTS),
        accountsWithOpen: await accountsWithOpenFindings(db),
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
    await respond({ response_type: 'ephemeral', ...(await accountMessage(deps, found.account)) });
  };
}
