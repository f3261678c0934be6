import { type AwsClients, newStats } from '../aws/clients.js';
import type { AssumedRoles } from '../aws/credentials.js';
import { EventsQueue, type QueueMessage, SQS_LIMITS } from '../aws/events-queue.js';
import { sleep } from '../aws/sleep.js';
import { readFindingEvent } from '../collect/events.js';
import type { Config } from '../config.js';
import { currentAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { describeDatabaseError } from '../db/errors.js';
import type { Finding } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { INGEST_BATCH, IngestBatches } from './ingest.js';
import { alertSeverities } from './policy.js';
import { scopedOus, withinScope } from './scan-plan.js';
import { securityHubApi } from './securityhub-api.js';

/** How the consumer reads its queue (config's `aws.events`, with the API it reads). */
export interface EventsOptions {
  /** Which Security Hub's events are stored; the other's are let go (their findings come through it on no scan). */
  api: 'cspm' | 'v2';
  /** ReceiveMessage's long poll. */
  waitSeconds: number;
  /** How long a received message stays hidden: a crash before its delete redelivers it after this. */
  visibilitySeconds: number;
  /** Receive loops in this process (each up to ten messages a poll). */
  loops: number;
  /** Severities a new or regressed finding is alerted at (the policy's). */
  alertAt?: readonly Severity[];
  /** The new Security Hub read by OU (`WARDEN_SECURITYHUB_SCOPE_OUS`): events of other accounts are not stored. */
  scopeOus?: string[];
}

export interface EventsDeps {
  db: Database;
  log: Logger;
  now: () => Date;
  metrics?: Metrics;
}

/** What one poll's messages came to. */
export interface HandledMessages {
  stored: number;
  skipped: number;
  unreadable: number;
  /** Messages deleted (their findings committed, or nothing to store). */
  deleted: number;
}

const ACCOUNTS_TTL_MS = 60_000;

/**
 * Security Hub's findings events (deploy/findings-events.yaml: EventBridge → SQS), stored as they come
 * instead of waiting for the next scan. Each poll's events are stored through the scan's own ingest
 * (one statement, idempotent), and their messages are deleted only once that statement has committed:
 * a process killed in between leaves them to come back after the visibility timeout, and storing them
 * again changes nothing. Events never resolve by absence (only a scan does); a finding an event says
 * is closed, passed or archived resolves as it would in a scan. An event older than the row it would
 * change (delivered late or out of order) changes nothing. Findings of accounts outside the known
 * organization, or outside the OU scopes the new Security Hub is read by, are not stored. An unreadable message is not deleted: the queue's redrive policy moves
 * it to the dead-letter queue after its receives, where a person can read it.
 */
export class FindingsEvents {
  private readonly batches: IngestBatches;
  private known: { ids: Set<string>; at: number } | undefined;

  constructor(
    private readonly deps: EventsDeps,
    private readonly queue: Pick<EventsQueue, 'receive' | 'delete'>,
    private readonly options: EventsOptions,
  ) {
    this.batches = new IngestBatches(deps.db, null, deps.now, {
      ...INGEST_BATCH,
      alertAt: options.alertAt ?? [],
    });
  }

  /**
   * The accounts discovery found, within the OU scopes when there are some (refreshed each minute):
   * an event about another is not stored, as a scan would not read it.
   */
  private async knownAccounts(): Promise<Set<string>> {
    if (this.known && Date.now() - this.known.at < ACCOUNTS_TTL_MS) return this.known.ids;
    const rows = await currentAccounts(this.deps.db);
    const inScope = rows.filter((r) => withinScope(r, this.options.scopeOus));
    this.known = { ids: new Set(inScope.map((r) => r.id)), at: Date.now() };
    return this.known.ids;
  }

  /** Stores one poll's messages and deletes those it is done with. Throws when the database fails. */
  async handle(messages: QueueMessage[]): Promise<HandledMessages> {
    const result: HandledMessages = { stored: 0, skipped: 0, unreadable: 0, deleted: 0 };
    const done: QueueMessage[] = [];
    const findings: Finding[] = [];
    const known = await this.knownAccounts();
    for (const message of messages) {
      const event = readFindingEvent(message.body);
      if (event.kind === 'other') {
        result.unreadable += 1;
        this.deps.log.warn(
          { messageId: message.id, receives: message.receiveCount, problem: event.problem },
          'a findings queue message is not an event Warden reads; it goes to the dead-letter queue after its receives',
        );
        continue;
      }
      done.push(message);
      if (event.kind !== this.options.api) {
        result.skipped += 1;
        continue;
      }
      result.stored += 1;
      for (const f of event.findings) if (known.has(f.accountId)) findings.push(f);
    }
    if (findings.length) await this.batches.store(findings);
    if (done.length) {
      const failed = await this.queue.delete(done);
      for (const f of failed)
        this.deps.log.warn(
          { messageId: f.id, reason: f.reason },
          'a stored event could not be deleted; it will come again',
        );
      result.deleted = done.length - failed.length;
    }
    const m = this.deps.metrics?.findingEvents;
    m?.inc({ outcome: 'stored' }, result.stored);
    m?.inc({ outcome: 'skipped' }, result.skipped);
    m?.inc({ outcome: 'unreadable' }, result.unreadable);
    if (findings.length) this.deps.metrics?.findingsIngested.inc({ source: 'securityhub' }, findings.length);
    return result;
  }

  /**
   * Polls until `signal` aborts, in `loops` concurrent loops. A failure (the queue, the database) is
   * logged in one line and the loop waits, doubling from 1 s to a minute, before it polls again; the
   * messages it held come back by themselves.
   */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(Array.from({ length: this.options.loops }, () => this.loop(signal)));
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let backoffMs = 0;
    while (!signal.aborted) {
      try {
        const messages = await this.queue.receive(
          this.options.waitSeconds,
          this.options.visibilitySeconds,
          signal,
        );
        if (messages.length) await this.handle(messages);
        backoffMs = 0;
      } catch (err) {
        if (signal.aborted) break;
        backoffMs = Math.min(60_000, backoffMs ? backoffMs * 2 : 1000);
        // The database's failure says it is the database's (and where), never the statement.
        this.deps.log.error(
          { err: describeDatabaseError(err) ?? (err as Error).message, retryInMs: backoffMs },
          'findings events: could not take or store events; they stay in the queue',
        );
        await sleep(backoffMs, signal).catch(() => undefined);
      }
    }
  }
}

/**
 * Starts reading the findings events when a queue is configured (`WARDEN_EVENTS_QUEUE_URL`), in
 * `serve` and `worker` alike: replicas share the queue, SQS handing each message to one of them at a
 * time. Resolves when `services.stop` aborts and the loops have let go; undefined without a queue.
 */
export async function startFindingsEvents(
  services: EventsDeps & {
    config: Config;
    clients: AwsClients;
    auditRoles: AssumedRoles;
    stop: AbortSignal;
  },
): Promise<Promise<void> | undefined> {
  const events = services.config.aws.events;
  if (!events) return undefined;
  const api = await securityHubApi(services, services.auditRoles, newStats(), services.stop);
  const scopeOus = scopedOus(services.config, api);
  const queue = new EventsQueue(services.clients.sqs(events.region), events.queueUrl, events.region);
  const consumer = new FindingsEvents(services, queue, {
    api,
    waitSeconds: SQS_LIMITS.maxWaitSeconds,
    visibilitySeconds: events.visibilitySeconds,
    loops: events.loops,
    alertAt: alertSeverities(services.config.policy),
    ...(scopeOus ? { scopeOus } : {}),
  });
  services.log.info({ queue: events.queueUrl, api, loops: events.loops }, 'reading findings events');
  return consumer.run(services.stop);
}
