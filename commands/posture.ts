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
import { readAccess, refuseRead } from '../src/slack/read-access.js';
import { mayRead } from '../src/workflow/policy.js';

const DAY = 86_400_000;
const WORST_ACCOUNTS = 10;

/** `/posture` (the organization) or `/posture <account id, name or alias>`. */
export function postureCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    // Acknowledge within Slack's 3 seconds; the answer follows through response_url.
    await ack();
    const query = command.text.trim();
    const { db } = deps;
    const { scope } = await readAccess(deps, command.user_id);
    const refuse = async (what: string, reason: string): Promise<void> => {
      await respond({
        response_type: 'ephemeral',
        text: await refuseRead(deps, command.user_id, what, reason),
      });
    };
    if (scope.kind === 'none') return refuse('read posture', scope.reason);
    if (!query) {
      if (scope.kind !== 'all')
        return refuse(
          'read the organization’s posture',
          'you read the accounts you own: `/posture <account>`',
        );
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
    if (!mayRead(scope, found.account.id))
      return refuse(`read the posture of account ${found.account.id}`, 'you read the accounts you own');
    await respond({ response_type: 'ephemeral', ...(await accountMessage(deps, found.account)) });
  };
}
