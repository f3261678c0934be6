import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { EventsQueue } from '../../src/aws/events-queue.js';
import { claimDueAlerts } from '../../src/db/alerts.js';
import { alertMessages, alerts, auditEvents } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { accountId, generateScenario } from '../../src/sim/scenarios.js';
import { AlertDispatcher } from '../../src/slack/alerts.js';
import { FINDING_ACTIONS, findingBlockId } from '../../src/slack/blocks/finding.js';
import { slackClients } from '../../src/slack/web-client.js';
import { FindingsEvents } from '../../src/workflow/findings-events.js';
import { alertSeverities } from '../../src/workflow/policy.js';
import { suppress } from '../../src/workflow/triage.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// Alerts: a new or regressed finding at or above the policy's threshold reaches its account's channel
// and its owners within seconds, one message per account, one summary for a burst, never twice, never
// for a suppressed finding, with its actions working in place; every message recorded and audited.

const ADMIN = accountId(0);
const MEMBER = accountId(1);
const OWNER = 'U0OWNER';

let h: ScanHarness | undefined;
let s: SlackHarness | undefined;
let clients: AwsClients | undefined;
afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  await s?.close();
  s = undefined;
  await h?.close();
  h = undefined;
});

function organization(accounts = 3): Scenario {
  const scenario = generateScenario({
    accounts,
    regions: ['us-east-1'],
    failedPerAccountRegion: 2,
    passedPerAccountRegion: 0,
    usersPerAccount: 0,
  });
  scenario.securityHub = { adminAccountId: ADMIN, aggregationRegion: 'us-east-1', standards: ['fsbp'] };
  scenario.events = {};
  return scenario;
}

function policyFile(extra: Record<string, unknown> = {}): string {
  const file = path.join(tmpdir(), `warden-alerts-${process.pid}-${Date.now()}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      admins: ['U0ADMIN'],
      owners: { [MEMBER]: [OWNER], [accountId(2)]: [OWNER] },
      alerts: { minSeverity: 'high', defaultChannel: 'C0ALERTS', ...extra },
    }),
  );
  return file;
}

async function setUp(scenario = organization(), extra: Record<string, unknown> = {}) {
  const env = {
    WARDEN_SECURITYHUB_MODE: 'aggregator',
    WARDEN_SECURITYHUB_ADMIN_ACCOUNT: ADMIN,
    WARDEN_AGGREGATION_REGION: 'us-east-1',
    WARDEN_SECURITYHUB_API: 'cspm',
    WARDEN_POLICY_FILE: policyFile(extra),
  };
  h = await scanHarness(scenario, env);
  await h.scan({ full: true });
  s = await slackHarness(h.db.db, env);
  s.slack.users.set(OWNER, 'owner@example.com');
  clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
  const queue = new EventsQueue(clients.sqs('us-east-1'), h.sim.queueUrl!, 'us-east-1');
  const consumer = new FindingsEvents(
    { db: h.db.db, log: createLogger('silent'), now: () => new Date() },
    queue,
    {
      api: 'cspm',
      waitSeconds: 0,
      visibilitySeconds: 30,
      loops: 1,
      alertAt: alertSeverities(h.config.policy),
    },
  );
  const slack = slackClients(s.config.slack!, createLogger('silent'));
  const taken: string[] = [];
  /** A replica's dispatcher whose clock runs `aheadMs` ahead. */
  const dispatcherAt = (aheadMs: number, claimer?: string) =>
    new AlertDispatcher(
      {
        db: h!.db.db,
        config: h!.config,
        log: createLogger('silent'),
        now: () => new Date(Date.now() + aheadMs),
        ...slack,
        channels: { bucket: (key) => ({ take: async () => void taken.push(key) }) },
      },
      claimer,
    );
  // The dispatcher's clock runs ahead of the window, so that a test need not wait for it.
  const dispatcher = dispatcherAt(60_000);
  const drain = async () => {
    for (let m = await queue.receive(0, 30); m.length; m = await queue.receive(0, 30))
      await consumer.handle(m);
  };
  const posts = () => s!.slack.calls.filter((c) => c.method === 'chat.postMessage');
  return { h, s, drain, dispatcher, dispatcherAt, posts, taken };
}

/** A new critical finding in an account's Security Hub. */
const critical = (harness: ScanHarness, account: string) =>
  harness.sim.world.raiseFinding(account, {
    control: 'IAM.4',
    region: 'us-east-1',
    severity: 'CRITICAL',
    updatedDaysAgo: 0,
  });

describe('alerts', () => {
  test('a new critical finding is posted once to its account’s channel and DMed to its owner, with its actions, recorded and audited', async () => {
    const { h, drain, dispatcher, posts, taken } = await setUp();
    const raised = critical(h, MEMBER);
    h.sim.world.raiseFinding(MEMBER, {
      control: 'S3.1',
      region: 'us-east-1',
      severity: 'LOW',
      updatedDaysAgo: 0,
    });
    await drain();

    expect(await dispatcher.pass()).toEqual({ posted: 1, skipped: 0, messages: 2, failed: 0 });
    const [channel, dm] = posts();
    expect(channel!.args.channel).toBe('C0ALERTS');
    expect(dm!.args.channel).toBe(OWNER);
    const row = (await h.rows()).find((r) => r.externalId === raised.id)!;
    for (const post of [channel!, dm!]) {
      expect(String(post.args.text)).toContain('1 new finding');
      expect(JSON.stringify(post.args.blocks)).toContain(`finding:${row.id}:l`);
      expect(JSON.stringify(post.args.blocks)).toContain(FINDING_ACTIONS.acknowledge);
    }
    // The low finding is below the threshold: no alert at all.
    const [alert] = await h.db.db.select().from(alerts);
    expect(await h.db.db.select().from(alerts)).toHaveLength(1);
    expect(alert).toMatchObject({ findingId: row.id, status: 'posted', occurrence: 0 });
    const audited = await h.db.db.select().from(auditEvents).where(eq(auditEvents.action, 'alert.posted'));
    expect(audited.map((e) => e.details)).toEqual([
      expect.objectContaining({ kind: 'account', channel: 'C0ALERTS', account: MEMBER, findings: [row.id] }),
      expect.objectContaining({ kind: 'dm', findings: [row.id] }),
    ]);

    // Channel posts waited for the channel's bucket (Slack's per-channel rate); DMs did not.
    expect(taken).toEqual(['slack|chat.postMessage|C0ALERTS']);

    // Never twice: the next pass, and the same event delivered again, post nothing.
    h.sim.world.queues
      .get('warden-findings-events')!
      .send(
        JSON.stringify((await import('../../src/sim/events.js')).findingEvent(h.sim.world, raised, 'cspm')),
      );
    await drain();
    expect(await dispatcher.pass()).toEqual({ posted: 0, skipped: 0, messages: 0, failed: 0 });
    expect(posts()).toHaveLength(2);
  });

  test('a finding suppressed before its window ends is not alerted; a regression is alerted again', async () => {
    const { h, drain, dispatcher, posts } = await setUp();
    const raised = h.sim.world.raiseFinding(MEMBER, {
      control: 'IAM.4',
      region: 'us-east-1',
      severity: 'HIGH',
      updatedDaysAgo: 0,
    });
    await drain();
    const row = (await h.rows()).find((r) => r.externalId === raised.id)!;
    await suppress(h.db.db, {
      findingId: row.id,
      actor: 'U0ADMIN',
      reason: 'accepted risk',
      expiresAt: new Date(Date.now() + 86_400_000),
      maxDays: 90,
    });
    expect(await dispatcher.pass()).toMatchObject({ posted: 0, skipped: 1, messages: 0 });
    expect(posts()).toHaveLength(0);
    expect((await h.db.db.select().from(alerts))[0]).toMatchObject({
      status: 'skipped',
      skipReason: 'the finding is suppressed',
    });

    // Another finding fixed, then failing again: its regression is a new occurrence, alerted.
    const other = h.sim.world.raiseFinding(MEMBER, {
      control: 'EC2.2',
      region: 'us-east-1',
      severity: 'HIGH',
      updatedDaysAgo: 0,
    });
    await drain();
    await dispatcher.pass();
    h.sim.world.updateFinding(other.id, { compliance: 'PASSED' });
    await drain();
    await new Promise((r) => setTimeout(r, 5));
    h.sim.world.updateFinding(other.id, { compliance: 'FAILED' });
    await drain();
    expect(await dispatcher.pass()).toMatchObject({ posted: 1 });
    expect(String(posts().at(-2)!.args.text)).toContain('regressed');
    const occurrences = (await h.db.db.select().from(alerts))
      .filter((a) => a.status === 'posted')
      .map((a) => a.occurrence);
    expect(occurrences).toEqual([0, 1]);
  });

  test('a burst becomes one summary per channel, and an owner with many gets a summary DM', async () => {
    const { h, drain, dispatcher, posts } = await setUp(organization(4));
    for (let i = 0; i < 300; i++)
      h.sim.world.raiseFinding(accountId(1 + (i % 3)), {
        control: 'S3.1',
        region: 'us-east-1',
        severity: 'HIGH',
        resourceId: `arn:aws:s3:::bucket-${i}`,
        updatedDaysAgo: 0,
      });
    await drain();
    const pass = await dispatcher.pass();
    expect(pass).toMatchObject({ posted: 300, messages: 2 });
    const [summary, dm] = posts();
    expect(summary!.args.channel).toBe('C0ALERTS');
    expect(String(summary!.args.text)).toBe('300 new findings in 3 accounts (300 high)');
    expect(dm!.args.channel).toBe(OWNER);
    expect(String(dm!.args.text)).toBe('200 new findings in 2 accounts (200 high)');
  });

  test('acknowledging from the alert message redraws it in place', async () => {
    const { h, s, drain, dispatcher } = await setUp();
    const raised = critical(h, MEMBER);
    await drain();
    await dispatcher.pass();
    const [alert] = await h.db.db.select().from(alerts);
    const row = (await h.rows()).find((r) => r.externalId === raised.id)!;
    const res = await s.act({
      actionId: FINDING_ACTIONS.acknowledge,
      blockId: findingBlockId(row.id, { kind: 'alert', messageId: alert!.messageId! }),
      user: OWNER,
      responseId: 'ack',
    });
    expect(res.status).toBe(200);
    const answer = await s.answer('ack');
    expect(answer.args.replace_original).toBe(true);
    expect(JSON.stringify(answer.args.blocks)).toContain('*acknowledged*');
    expect(String(answer.args.text)).toContain('1 new finding');
  });

  test('when Slack refuses the channel’s message, the owner’s DM carries the alert; with no owner, it is skipped saying why', async () => {
    const { h, s, drain, dispatcher, posts } = await setUp();
    const owned = critical(h, MEMBER);
    await drain();
    s.slack.troubleNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await dispatcher.pass()).toEqual({ posted: 1, skipped: 0, messages: 1, failed: 1 });
    expect(posts().map((p) => p.args.channel)).toEqual(['C0ALERTS', OWNER]);
    const row = (await h.rows()).find((r) => r.externalId === owned.id)!;
    const [alert] = await h.db.db.select().from(alerts).where(eq(alerts.findingId, row.id));
    expect(alert).toMatchObject({ status: 'posted', skipReason: null });
    const [dm] = await h.db.db.select().from(alertMessages).where(eq(alertMessages.id, alert!.messageId!));
    expect(dm).toMatchObject({ kind: 'dm', findingIds: [row.id] });

    // The administrator's account has no owner: nobody was told, and the alert says why.
    const unowned = critical(h, ADMIN);
    await drain();
    s.slack.troubleNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await dispatcher.pass()).toEqual({ posted: 0, skipped: 1, messages: 0, failed: 1 });
    const adminRow = (await h.rows()).find((r) => r.externalId === unowned.id)!;
    expect((await h.db.db.select().from(alerts).where(eq(alerts.findingId, adminRow.id)))[0]).toMatchObject({
      status: 'skipped',
      skipReason: 'Slack refused the alert (not_in_channel)',
    });
  });

  test('alerts claimed by a replica that died are taken by another after five minutes, and posted once', async () => {
    const { h, drain, dispatcherAt, posts } = await setUp();
    critical(h, MEMBER);
    await drain();
    // A replica claims the account's alerts, then is killed before posting.
    const claimed = await claimDueAlerts(h.db.db, {
      now: new Date(Date.now() + 60_000),
      windowMs: 60_000,
      staleMs: 5 * 60_000,
      claimer: 'dead-replica:1',
    });
    expect(claimed).toHaveLength(1);
    // While the claim is fresh, another replica leaves it alone…
    const replica = (aheadMs: number) => dispatcherAt(aheadMs, 'replica-b:2');
    expect(await replica(4 * 60_000).pass()).toEqual({ posted: 0, skipped: 0, messages: 0, failed: 0 });
    // …once it is stale, it is taken, posted, and not again.
    expect(await replica(6 * 60_000 + 60_000).pass()).toMatchObject({ posted: 1, messages: 2 });
    expect(await replica(7 * 60_000 + 60_000).pass()).toMatchObject({ posted: 0, messages: 0 });
    expect(posts().map((p) => p.args.channel)).toEqual(['C0ALERTS', OWNER]);
    expect((await h.db.db.select().from(alerts))[0]).toMatchObject({ status: 'posted', claimedBy: null });
  });

  test('without a queue, the scan that finds a new finding queues its alert', async () => {
    const { h, dispatcher, posts } = await setUp();
    critical(h, MEMBER);
    await h.scan({ full: true });
    expect(await dispatcher.pass()).toMatchObject({ posted: 1, messages: 2 });
    expect(posts()[0]!.args.channel).toBe('C0ALERTS');
  });
});
