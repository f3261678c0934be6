import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { findAccount, findOu } from '../src/posture/accounts.js';
import {
  accountsWithOpenFindings,
  lastScanGaps,
  openBySeverity,
  openBySeverityAt,
  worstAccounts,
} from '../src/posture/summary.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { ambiguousOu, noSuchAccount, organizationPosture } from '../src/slack/blocks/posture.js';
import { accountMessage } from '../src/slack/finding-views.js';
import { readAccess, refuseRead } from '../src/slack/read-access.js';
import { mayRead } from '../src/workflow/policy.js';

const DAY = 86_400_000;
const WORST_ACCOUNTS = 10;

/**
 * The organization, or the accounts of an OU, at a glance: open findings now and a week ago, the
 * worst accounts, what the last scan could not read. Independent reads, run at once.
 */
async function atAGlance(deps: HandlerDeps, title: string, accountIds?: string[]) {
  const { db } = deps;
  const weekAgo = new Date(deps.now().getTime() - 7 * DAY);
  const [gaps, open, before, worst, accountsWithOpen] = await Promise.all([
    lastScanGaps(db),
    openBySeverity(db, accountIds),
    openBySeverityAt(db, weekAgo, accountIds),
    worstAccounts(db, WORST_ACCOUNTS, accountIds),
    accountsWithOpenFindings(db, accountIds),
  ]);
  const inScope = (id: string) => !accountIds || accountIds.includes(id);
  return organizationPosture({
    title,
    open,
    weekAgo: before,
    worst,
    accountsWithOpen,
    gaps: (gaps?.gaps ?? []).filter((g) => inScope(g.accountId)),
    lastScan: gaps?.finishedAt ?? null,
  });
}

/** `/posture` (the organization), `/posture <OU path or name>` or `/posture <account id, name or alias>`. */
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
      await respond({
        response_type: 'ephemeral',
        text: 'Organization posture',
        blocks: await atAGlance(deps, 'Organization posture'),
      });
      return;
    }
    const found = await findAccount(db, query);
    const ou = found.account ? undefined : await findOu(db, query);
    if (ou && 'ambiguous' in ou) {
      await respond({
        response_type: 'ephemeral',
        text: ambiguousOu(query, ou.ambiguous),
      });
      return;
    }
    if (ou) {
      const ids = ou.accounts.map((a) => a.id);
      if (!ids.every((id) => mayRead(scope, id)))
        return refuse(`read the posture of ${ou.path}`, 'you read the accounts you own');
      const title = `${ou.path} posture`;
      await respond({ response_type: 'ephemeral', text: title, blocks: await atAGlance(deps, title, ids) });
      return;
    }
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
