import type { Config } from '../config.js';
import { currentAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { dailyFigures, type Window } from '../posture/digest-figures.js';
import { digestBlocks } from '../slack/blocks/digest.js';
import { ouChannelFor } from '../workflow/policy.js';
import type { DigestMessage } from './deliver.js';
import { type Digest, dailyDigest } from './sections.js';

/**
 * The daily digests to send: the whole organization to `routing.defaultChannel`, and to each OU
 * channel of `routing.ous` the same digest for the accounts routed to it.
 */
export async function dailyDigests(
  db: Database,
  config: Config,
  window: Window,
): Promise<Array<{ channel: string; digest: Digest; message: DigestMessage }>> {
  const { defaultChannel } = config.policy.routing;
  const routed = new Map<string, string[]>();
  for (const account of await currentAccounts(db)) {
    const channel = ouChannelFor(account, config.policy);
    if (channel && channel !== defaultChannel)
      routed.set(channel, [...(routed.get(channel) ?? []), account.id]);
  }
  const scopes = [
    ...(defaultChannel ? [{ channel: defaultChannel, accounts: undefined, scope: '' }] : []),
    ...[...routed].map(([channel, accounts]) => ({
      channel,
      accounts,
      scope: `accounts routed to ${channel}`,
    })),
  ];
  // Each channel's figures are independent: they are read at once.
  return Promise.all(
    scopes.map(async (s) => {
      const figures = await dailyFigures(
        db,
        window,
        config.policy,
        s.accounts ? { accounts: s.accounts } : {},
      );
      const digest = dailyDigest(figures, s.scope);
      return { channel: s.channel, digest, message: { text: digest.title, blocks: digestBlocks(digest) } };
    }),
  );
}
