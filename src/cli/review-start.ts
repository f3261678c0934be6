import { userInfo } from 'node:os';
import { withServices } from '../runtime.js';
import { deliverReview } from '../slack/access-reviews.js';
import { parseScope, scopeText, startReview } from '../workflow/access-reviews.js';
import { type CommandModule, EXIT, parseDate, UsageError } from './command.js';

const DAY = 86_400_000;

/**
 * `warden review start [--ou PATH | --account ID ...] [--due DATE]`: starts an access review; its
 * owners are sent their principals when Slack is configured. Accounts that could not be read are
 * named, and the command fails so that a scheduler notices.
 */
export const run: CommandModule['run'] = async (values, { config, io }) => {
  const accounts = (values.account as unknown as string[] | undefined) ?? [];
  if (values.ou && accounts.length) throw new UsageError('one of --ou and --account, not both');
  const scope = parseScope(values.ou ? [values.ou as string] : accounts);
  if (!scope)
    throw new UsageError('--ou takes an OU path (Root/Prod) or id (ou-…), --account a 12-digit account id');
  const by = (values.by as string | undefined) ?? `cli:${userInfo().username}`;
  return withServices(config, { migrate: 'if-owner' }, async (services) => {
    const now = services.now();
    const dueAt = values.due
      ? new Date(parseDate(values.due as string, '--due').getTime() + DAY - 1)
      : new Date(now.getTime() + config.policy.accessReviews.dueDays * DAY);
    const { review, accounts: reads } = await startReview(services, { scope, dueAt, by, now });
    const principals = reads.reduce((n, r) => n + r.principals, 0);
    io.stdout(
      `access review #${review.id} of ${scopeText(scope)}: ${principals} principals in ${reads.length} accounts, due ${dueAt.toISOString().slice(0, 10)}\n`,
    );
    for (const r of reads.filter((x) => x.error)) io.stderr(`account ${r.account} not read: ${r.error}\n`);
    if (services.slack) {
      const told = await deliverReview({ ...services, ...services.slack }, review.id);
      io.stdout(
        `${told.posted} messages sent to reviewers${told.unreachable.length ? `; not in Slack: ${[...new Set(told.unreachable)].join(', ')}` : ''}\n`,
      );
    } else io.stdout('Slack is not configured: nobody was told\n');
    return reads.some((r) => r.error) ? EXIT.failed : EXIT.ok;
  });
};
