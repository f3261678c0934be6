import { hostname } from 'node:os';
import { sleep } from '../aws/sleep.js';
import { type Limiter, RateLimiter } from '../aws/token-bucket.js';
import type { Config } from '../config.js';
import type { PostedMessage } from '../db/alerts.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../log.js';
import { knownAccounts } from '../posture/accounts.js';
import { findingSummaries } from '../posture/findings-list.js';
import {
  type ClaimedAlert,
  claimDueAlerts,
  recordAlertPosted,
  reserveAlertMessageId,
  skipAlerts,
} from '../workflow/alerts.js';
import { alertChannelFor, ownersOf } from '../workflow/policy.js';
import { SharedRateLimiter } from '../workflow/shared-rate-limits.js';
import {
  ABOUT_OWNED,
  ALERT_FINDINGS_SHOWN,
  aboutAccount,
  alertMessage,
  burstSummary,
} from './blocks/alert.js';
import type { ShownFinding } from './blocks/finding.js';
import type { Block } from './blocks/text.js';
import { shown } from './finding-views.js';
import { POST_MESSAGE_PER_CHANNEL } from './limits.js';
import type { SlackClients } from './web-client.js';

export interface AlertDeps extends SlackClients {
  db: Database;
  config: Pick<Config, 'policy'>;
  log: Logger;
  now: () => Date;
  /** Each channel's posts wait for its bucket (Slack's per-channel rate); shared by replicas on PostgreSQL. */
  channels?: Limiter;
}

/** A claim this old with nothing posted was left by a replica that died. */
const STALE_CLAIM_MS = 5 * 60_000;

type Account = {
  id: string;
  name: string | null;
  ouId: string | null;
  ouPath: string | null;
  tags: Record<string, string>;
};

/** What one pass posted, skipped and failed to post. */
export interface AlertPass {
  posted: number;
  skipped: number;
  messages: number;
  failed: number;
}

/**
 * Posts the policy's alerts (src/db/alerts.ts queues them with the findings): every second or two,
 * the accounts whose window has ended are claimed; an alert whose finding was suppressed, acknowledged
 * or resolved meanwhile, or that belongs to an issue already open, is skipped; the rest go to each
 * account's channel, one message per account, unless a channel would get more than
 * `maxMessagesPerChannel` at once, when it gets one summary instead; and to each account's owners by
 * DM. Every message is recorded (channel, ts, findings) and audited. When Slack refuses a channel's
 * message (after its client's own retries), the owners' DM carries its alerts; alerts no message
 * carried are skipped with Slack's reason, rather than retried without end.
 */
export class AlertDispatcher {
  constructor(
    private readonly deps: AlertDeps,
    private readonly claimer = `${hostname()}:${process.pid}`,
  ) {}

  async pass(): Promise<AlertPass> {
    const result: AlertPass = { posted: 0, skipped: 0, messages: 0, failed: 0 };
    const alerts = this.deps.config.policy.alerts;
    if (!alerts) return result;
    const claimed = await claimDueAlerts(this.deps.db, {
      now: this.deps.now(),
      windowMs: alerts.windowSeconds * 1000,
      staleMs: STALE_CLAIM_MS,
      claimer: this.claimer,
    });
    if (claimed.length === 0) return result;
    const skipped = claimed.flatMap((a) => {
      const reason =
        a.status !== 'open'
          ? `the finding is ${a.status}`
          : a.duplicateOf !== null
            ? `the finding is part of issue #${a.duplicateOf}, already open`
            : undefined;
      return reason ? [{ id: a.id, reason }] : [];
    });
    await skipAlerts(this.deps.db, skipped);
    result.skipped += skipped.length;
    const due = claimed.filter((a) => !skipped.some((s) => s.id === a.id));
    if (due.length === 0) return result;

    const accounts = new Map<string, Account>((await knownAccounts(this.deps.db)).map((a) => [a.id, a]));
    const findings = new Map(
      shown(
        await findingSummaries(
          this.deps.db,
          due.map((a) => a.findingId),
        ),
      ).map((f) => [f.id, f]),
    );
    const byAccount = new Map<string, ClaimedAlert[]>();
    for (const a of due) byAccount.set(a.accountId, [...(byAccount.get(a.accountId) ?? []), a]);
    /** Alerts of several accounts as one summary: a line per account. */
    const summarize = (list: ClaimedAlert[]) =>
      burstSummary(
        [...new Set(list.map((a) => a.accountId))].map((accountId) => ({
          accountId,
          accountName: accounts.get(accountId)?.name ?? null,
          findings: shownOf(
            findings,
            list.filter((a) => a.accountId === accountId),
          ),
        })),
      );

    // Channels: one message per account, or one summary when a channel would get too many at once.
    const byChannel = new Map<string, string[]>();
    const unrouted: ClaimedAlert[] = [];
    for (const [accountId, list] of byAccount) {
      const channel = alertChannelFor(accountOf(accounts, accountId), this.deps.config.policy);
      if (channel) byChannel.set(channel, [...(byChannel.get(channel) ?? []), accountId]);
      else unrouted.push(...list);
    }
    for (const [channel, accountIds] of byChannel) {
      const list = accountIds.flatMap((id) => byAccount.get(id)!);
      if (accountIds.length > alerts.maxMessagesPerChannel) {
        await this.post(result, { kind: 'summary', channel, accountId: null }, list, () => summarize(list));
        continue;
      }
      for (const accountId of accountIds) {
        const mine = byAccount.get(accountId)!;
        const about = aboutAccount(accountId, accounts.get(accountId)?.name ?? null);
        await this.post(result, { kind: 'account', channel, accountId }, mine, (id) =>
          alertMessage(shownOf(findings, mine), id, about),
        );
      }
    }

    // Owners, by DM: each the alerts of the accounts they own (their only copy when no channel is routed).
    if (alerts.dmOwners) {
      const byOwner = new Map<string, ClaimedAlert[]>();
      for (const [accountId, list] of byAccount) {
        for (const principal of ownersOf(accountOf(accounts, accountId), this.deps.config.policy)) {
          const user = await this.deps.directory.userIdFor(principal);
          if (user) byOwner.set(user, [...(byOwner.get(user) ?? []), ...list]);
        }
      }
      for (const [user, list] of byOwner) {
        // The DM carries what no channel message did (none routed, or Slack refused it).
        const carried = list.filter((a) => !this.told.has(a.id));
        await this.post(
          result,
          { kind: 'dm', channel: user, accountId: null },
          list,
          (id) =>
            list.length > ALERT_FINDINGS_SHOWN
              ? summarize(list)
              : alertMessage(shownOf(findings, list), id, ABOUT_OWNED),
          carried,
        );
      }
    }
    // Alerts nobody could be told of (no channel routed or Slack refused its message, and no owner
    // was DMed) are skipped, saying why.
    const orphans = [
      ...unrouted
        .filter((a) => !this.told.has(a.id))
        .map((a) => ({ id: a.id, reason: 'no channel is routed to its account and no owner was found' })),
      ...[...this.refused].filter(([id]) => !this.told.has(id)).map(([id, reason]) => ({ id, reason })),
    ];
    await skipAlerts(this.deps.db, orphans);
    result.skipped += orphans.length;
    this.told.clear();
    this.refused.clear();
    return result;
  }

  /** Alerts carried by a message posted in this pass. */
  private readonly told = new Set<number>();
  /** Alerts whose message Slack refused in this pass, with its reason (a DM may still carry them). */
  private readonly refused = new Map<number, string>();

  /**
   * Posts one message and records it with the alerts it carries (`carried`, default all of `list`),
   * audited in the same transaction; a refusal is kept with Slack's reason, for the pass's end.
   */
  private async post(
    result: AlertPass,
    where: Pick<PostedMessage, 'kind' | 'channel' | 'accountId'>,
    list: ClaimedAlert[],
    render: (messageId: number) => { text: string; blocks: Block[] },
    carried: ClaimedAlert[] = list,
  ): Promise<void> {
    const id = await reserveAlertMessageId(this.deps.db);
    const message = render(id);
    const findingIds = list.map((a) => a.findingId);
    try {
      if (where.kind !== 'dm')
        await this.deps.channels
          ?.bucket(`slack|chat.postMessage|${where.channel}`, 'chat.postMessage')
          ?.take();
      const posted = await this.deps.web.chat.postMessage({
        channel: where.channel,
        text: message.text,
        blocks: message.blocks,
      });
      await recordAlertPosted(
        this.deps.db,
        id,
        {
          ...where,
          channel: posted.channel ?? where.channel,
          ts: posted.ts ?? '',
          findingIds,
          postedAt: this.deps.now(),
        },
        carried.map((a) => a.id),
      );
      for (const a of carried) this.told.add(a.id);
      result.messages += 1;
      result.posted += carried.length;
    } catch (err) {
      const reason = `Slack refused the alert (${(err as { data?: { error?: string } }).data?.error ?? (err as Error).message})`;
      this.deps.log.error(
        { channel: where.channel, kind: where.kind, reason },
        'an alert could not be posted',
      );
      result.failed += 1;
      for (const a of carried) this.refused.set(a.id, reason);
    }
  }

  /** Runs a pass every `everyMs` until `signal` aborts; a failing pass is logged in one line. */
  async run(signal: AbortSignal, everyMs: number): Promise<void> {
    while (!signal.aborted) {
      await this.pass().catch((err: unknown) =>
        this.deps.log.error(
          { err: (err as Error).message },
          'alerts: a pass failed; the alerts wait for the next',
        ),
      );
      await sleep(everyMs, signal).catch(() => undefined);
    }
  }
}

function accountOf(accounts: Map<string, Account>, id: string): Account {
  return accounts.get(id) ?? { id, name: null, ouId: null, ouPath: null, tags: {} };
}

const shownOf = (findings: Map<number, ShownFinding>, list: ClaimedAlert[]) =>
  list.flatMap((a) => findings.get(a.findingId) ?? []);

/**
 * Runs the alert passes in `warden serve` when the policy asks for alerts: one pass every
 * `maxMessagesPerChannel` seconds, so that a channel gets at most about one message a second (Slack's
 * rate for posting to a channel). Resolves once `stop` aborts; undefined without alerts or Slack.
 */
export function startAlerts(
  services: Omit<AlertDeps, keyof SlackClients | 'config' | 'channels'> & {
    config: Pick<Config, 'policy' | 'database'>;
    slack: SlackClients | undefined;
    stop: AbortSignal;
  },
): Promise<void> | undefined {
  const alerts = services.config.policy.alerts;
  if (!alerts || !services.slack) return undefined;
  const rate = () => POST_MESSAGE_PER_CHANNEL;
  const channels: Limiter = services.config.database.url
    ? new SharedRateLimiter(services.db, rate)
    : new RateLimiter(rate);
  const dispatcher = new AlertDispatcher({ ...services, ...services.slack, channels });
  services.log.info(
    { minSeverity: alerts.minSeverity, windowSeconds: alerts.windowSeconds },
    'posting alerts',
  );
  return dispatcher.run(services.stop, alerts.maxMessagesPerChannel * 1000);
}
