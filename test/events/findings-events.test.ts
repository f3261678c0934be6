import { afterEach, describe, expect, test, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { EventsQueue, type QueueMessage } from '../../src/aws/events-queue.js';
import { postgresHandle } from '../../src/db/client.js';
import { scans } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import { findingEvent } from '../../src/sim/events.js';
import type { Scenario } from '../../src/sim/scenario.js';
import { accountId, generateScenario } from '../../src/sim/scenarios.js';
import { type EventsOptions, FindingsEvents } from '../../src/workflow/findings-events.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// Security Hub's findings events (EventBridge → SQS) stored between scans: through the scan's ingest,
// deleted only once stored, never resolving by absence, idempotent when SQS delivers again.

const ADMIN = accountId(0);
const MEMBER = accountId(1);

let h: ScanHarness | undefined;
let clients: AwsClients | undefined;
afterEach(async () => {
  clients?.destroy();
  clients = undefined;
  await h?.close();
  h = undefined;
});

function organization(options: { v2?: boolean; visibilityTimeoutSeconds?: number } = {}): Scenario {
  const s = generateScenario({
    accounts: 3,
    regions: ['us-east-1', 'eu-west-1'],
    failedPerAccountRegion: 3,
    passedPerAccountRegion: 1,
    usersPerAccount: 0,
  });
  s.securityHub = {
    adminAccountId: ADMIN,
    aggregationRegion: 'us-east-1',
    standards: ['fsbp'],
    v2: Boolean(options.v2),
  };
  s.events = { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30, maxReceiveCount: 3 };
  return s;
}

const aggregator = (api = 'cspm') => ({
  WARDEN_SECURITYHUB_MODE: 'aggregator',
  WARDEN_SECURITYHUB_ADMIN_ACCOUNT: ADMIN,
  WARDEN_AGGREGATION_REGION: 'us-east-1',
  WARDEN_SECURITYHUB_API: api,
});

async function withEvents(
  scenario: Scenario,
  api: 'cspm' | 'v2' = 'cspm',
  options: { scopeOus?: string[] } = {},
) {
  h = await scanHarness(scenario, {
    ...aggregator(api),
    ...(options.scopeOus ? { WARDEN_SECURITYHUB_SCOPE_OUS: options.scopeOus.join(',') } : {}),
  });
  await h.scan({ full: true });
  clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
  const queue = new EventsQueue(clients.sqs('us-east-1'), h.sim.queueUrl!, 'us-east-1');
  return { h, queue, consumer: consumerOn(h, queue, { api, ...options }) };
}

function consumerOn(
  harness: ScanHarness,
  queue: Pick<EventsQueue, 'receive' | 'delete'>,
  options: Partial<EventsOptions> = {},
) {
  return new FindingsEvents(
    { db: harness.db.db, log: createLogger('silent'), now: () => new Date() },
    queue,
    { api: 'cspm', waitSeconds: 0, visibilitySeconds: 30, loops: 1, ...options },
  );
}

/** Polls until the queue has nothing visible, handling each poll; returns every poll's outcome summed. */
async function drain(queue: EventsQueue, consumer: FindingsEvents) {
  const total = { stored: 0, skipped: 0, unreadable: 0, deleted: 0 };
  for (;;) {
    const messages = await queue.receive(0, 30);
    if (messages.length === 0) return total;
    const r = await consumer.handle(messages);
    for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += r[k];
  }
}

const rowOf = async (harness: ScanHarness, externalId: string) =>
  (await harness.rows()).find((r) => r.externalId === externalId);

describe('storing findings events', () => {
  test('a new finding and a fixed one arrive by event and are stored at once, with no Security Hub call', async () => {
    const { h, queue, consumer } = await withEvents(organization());
    const fixed = [...h.sim.world.allFindings()].find(
      (f) => f.account === MEMBER && f.compliance === 'FAILED',
    )!;
    h.sim.world.resetCalls();
    const raised = h.sim.world.raiseFinding(MEMBER, {
      control: 'IAM.4',
      region: 'us-east-1',
      severity: 'CRITICAL',
      updatedDaysAgo: 0,
    });
    h.sim.world.updateFinding(fixed.id, { compliance: 'PASSED' });

    expect(await drain(queue, consumer)).toEqual({ stored: 2, skipped: 0, unreadable: 0, deleted: 2 });

    const created = await rowOf(h, raised.id);
    expect(created).toMatchObject({ status: 'open', severity: 'critical', statusChangedBy: 'warden:events' });
    expect(await rowOf(h, fixed.id)).toMatchObject({ status: 'resolved', statusChangedBy: 'warden:events' });
    expect(h.sim.world.calls('GetFindings')).toBe(0);
    expect(h.sim.world.calls('ReceiveMessage')).toBeGreaterThan(0);
  });

  test('a finding no event mentions is never resolved by the events', async () => {
    const { h, queue, consumer } = await withEvents(organization());
    const openBefore = (await h.rows()).filter((r) => r.status === 'open').length;
    h.sim.world.raiseFinding(MEMBER, { control: 'S3.1', region: 'eu-west-1', updatedDaysAgo: 0 });
    await drain(queue, consumer);
    expect((await h.rows()).filter((r) => r.status === 'open').length).toBe(openBefore + 1);
  });

  test('an event older than what is stored changes nothing (SQS does not keep order)', async () => {
    const { h, queue, consumer } = await withEvents(organization());
    const f = [...h.sim.world.allFindings()].find((r) => r.account === MEMBER && r.compliance === 'FAILED')!;
    const stale = JSON.stringify(findingEvent(h.sim.world, f, 'cspm'));
    h.sim.world.updateFinding(f.id, { compliance: 'PASSED' });
    await drain(queue, consumer);
    expect(await rowOf(h, f.id)).toMatchObject({ status: 'resolved' });
    // The event of the finding as it was before (older UpdatedAt) comes late.
    h.sim.world.queues.get('warden-findings-events')!.send(stale);
    await drain(queue, consumer);
    expect(await rowOf(h, f.id)).toMatchObject({ status: 'resolved', regression: false });
  });

  test('events of the other Security Hub are let go, unreadable messages are kept for the dead-letter queue, unknown accounts are not stored', async () => {
    const { h, queue, consumer } = await withEvents(organization({ v2: true }), 'cspm');
    const world = h.sim.world;
    world.raiseFinding(MEMBER, { control: 'IAM.4', region: 'us-east-1', updatedDaysAgo: 0 });
    const q = world.queues.get('warden-findings-events')!;
    q.send('not json');
    const stranger = findingEvent(world, [...world.allFindings()][0]!, 'cspm');
    (stranger.detail.findings[0] as { AwsAccountId: string }).AwsAccountId = '999999999999';
    (stranger.detail.findings[0] as { Id: string }).Id = 'arn:aws:securityhub:us-east-1:999999999999:x/1';
    q.send(JSON.stringify(stranger));
    const rowsBefore = (await h.rows()).length;

    const r = await drain(queue, consumer);
    // CSPM's event and the stranger's are stored (the stranger's finding is not), V2's is let go.
    expect(r).toMatchObject({ stored: 2, skipped: 1, unreadable: 1, deleted: 3 });
    expect((await h.rows()).length).toBe(rowsBefore + 1);
    expect((await h.rows()).some((row) => row.accountId === '999999999999')).toBe(false);
    // The unreadable message comes back until its receives are spent, then sits in the dead-letter queue.
    // (received once above; the scenario's maxReceiveCount is 3)
    for (let i = 0; i < 2; i++) {
      q.messages[0]!.visibleAt = 0;
      expect(await drain(queue, consumer)).toMatchObject({ unreadable: 1 });
    }
    q.messages[0]!.visibleAt = 0;
    expect(await queue.receive(0, 30)).toEqual([]);
    expect(world.queues.get('warden-findings-events-dlq')!.messages.map((m) => m.body)).toEqual(['not json']);
  });

  test('the new Security Hub’s events are stored when it is the one read, as one issue with the CSPM copy', async () => {
    const { h, queue, consumer } = await withEvents(organization({ v2: true }), 'v2');
    const raised = h.sim.world.raiseFinding(MEMBER, {
      control: 'EC2.2',
      region: 'eu-west-1',
      updatedDaysAgo: 0,
    });
    expect(await drain(queue, consumer)).toMatchObject({ stored: 1, skipped: 1 });
    const rows = (await h.rows()).filter(
      (r) => r.accountId === MEMBER && r.controlId === 'EC2.2' && r.resourceId === raised.resourceId,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.evidence).toHaveProperty('ocsf');
  });

  test('read by OU, events of accounts outside the scoped OUs (and the OUs below them) are not stored', async () => {
    const s = organization({ v2: true });
    s.ous = [
      { id: 'ou-root-prod0001', name: 'Production', parent: 'r-root' },
      { id: 'ou-prod-web00001', name: 'Web', parent: 'ou-root-prod0001' },
      { id: 'ou-root-dev00001', name: 'Development', parent: 'r-root' },
    ];
    s.accounts[1]!.parent = 'ou-prod-web00001';
    s.accounts[2]!.parent = 'ou-root-dev00001';
    const { h, queue, consumer } = await withEvents(s, 'v2', { scopeOus: ['ou-root-prod0001'] });
    const inScope = h.sim.world.raiseFinding(MEMBER, {
      control: 'EC2.2',
      region: 'eu-west-1',
      updatedDaysAgo: 0,
    });
    const outside = h.sim.world.raiseFinding(accountId(2), {
      control: 'EC2.2',
      region: 'eu-west-1',
      updatedDaysAgo: 0,
    });

    expect(await drain(queue, consumer)).toMatchObject({ stored: 2, skipped: 2, deleted: 4 });
    const rows = await h.rows();
    expect(rows.some((r) => r.resourceId === inScope.resourceId && r.accountId === MEMBER)).toBe(true);
    expect(rows.some((r) => r.resourceId === outside.resourceId && r.accountId === accountId(2))).toBe(false);
  });
});

describe('at least once', () => {
  test('with the database unreachable, the reader says so in one line and deletes nothing; the events are stored once it is back', async () => {
    const { h, queue } = await withEvents(organization({ visibilityTimeoutSeconds: 1 }));
    const raised = h.sim.world.raiseFinding(MEMBER, {
      control: 'IAM.4',
      region: 'us-east-1',
      updatedDaysAgo: 0,
    });
    const down = postgresHandle('postgres://warden@127.0.0.1:1/warden');
    const lines: Array<{ msg: string; err: string }> = [];
    const reader = new FindingsEvents(
      {
        db: down.db,
        log: createLogger('error', { write: (l: string) => lines.push(JSON.parse(l)) }),
        now: () => new Date(),
      },
      queue,
      { api: 'cspm', waitSeconds: 0, visibilitySeconds: 1, loops: 1 },
    );
    const stop = new AbortController();
    const running = reader.run(stop.signal);
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0), { timeout: 10_000 });
    stop.abort();
    await running;
    await down.close();
    expect(lines[0]).toMatchObject({
      msg: 'findings events: could not take or store events; they stay in the queue',
      err: 'database unreachable at 127.0.0.1:1 (connection refused)',
    });
    expect(h.sim.world.calls('DeleteMessageBatch')).toBe(0);
    expect(await rowOf(h, raised.id)).toBeUndefined();

    await new Promise((r) => setTimeout(r, 1100));
    expect(await drain(queue, consumerOn(h, queue))).toMatchObject({ stored: 1, deleted: 1 });
    expect(await rowOf(h, raised.id)).toMatchObject({ status: 'open' });
  });

  test('killed between storing and deleting: the events come again after the visibility timeout, and storing them again changes nothing', async () => {
    const { h, queue } = await withEvents(organization({ visibilityTimeoutSeconds: 1 }));
    for (const control of ['IAM.4', 'S3.1', 'EC2.2'])
      h.sim.world.raiseFinding(MEMBER, { control, region: 'us-east-1', updatedDaysAgo: 0 });
    // The first process stores the events, then dies before its DeleteMessageBatch.
    const dying = consumerOn(h, {
      receive: (w, v, s) => queue.receive(w, v, s),
      delete: () => Promise.reject(new Error('killed')),
    });
    const first = await queue.receive(0, 1);
    expect(first).toHaveLength(3);
    await expect(dying.handle(first)).rejects.toThrow('killed');
    const afterCrash = await h.rows();

    // Nothing is visible until the timeout; then each message comes again, with a new receipt.
    expect(await queue.receive(0, 1)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1100));
    const again: QueueMessage[] = await queue.receive(0, 30);
    expect(again.map((m) => m.id).sort()).toEqual(first.map((m) => m.id).sort());
    expect(again.every((m) => m.receiveCount === 2)).toBe(true);

    const replica = consumerOn(h, queue);
    expect(await replica.handle(again)).toMatchObject({ stored: 3, deleted: 3 });
    // The same rows: only when they were last seen (and by which sighting) moved.
    expect(await h.rows()).toEqual(
      afterCrash.map((r) => ({
        ...r,
        lastSeenAt: expect.any(Date),
        seenSeq: r.seenSeq && expect.any(Number),
      })),
    );
    expect(h.sim.world.queues.get('warden-findings-events')!.messages).toHaveLength(0);
  });

  test('two replicas reading one queue store every event once', async () => {
    const { h, queue } = await withEvents(organization());
    const raised = Array.from({ length: 40 }, (_, i) =>
      h.sim.world.raiseFinding(accountId(1 + (i % 2)), {
        control: ['IAM.4', 'S3.1', 'EC2.2'][i % 3]!,
        region: i % 2 ? 'eu-west-1' : 'us-east-1',
        resourceId: `arn:aws:s3:::bucket-${i}`,
        updatedDaysAgo: 0,
      }),
    );
    const stop = new AbortController();
    const replicas = [consumerOn(h, queue, { loops: 2 }), consumerOn(h, queue, { loops: 2 })];
    const running = replicas.map((r) => r.run(stop.signal));
    const deadline = Date.now() + 10_000;
    while (h.sim.world.queues.get('warden-findings-events')!.messages.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await Promise.all(running);
    const rows = await h.rows();
    for (const f of raised) expect(rows.filter((r) => r.externalId === f.id)).toHaveLength(1);
  });
});

describe('events beside scans', () => {
  test('a full scan resolves nothing an event stored after it started; the next one does', async () => {
    const scenario = organization();
    const { h, queue, consumer } = await withEvents(scenario);
    // A finding raised and gone again before the scan reads: only its event tells of it.
    const raised = h.sim.world.raiseFinding(MEMBER, {
      control: 'IAM.4',
      region: 'us-east-1',
      updatedDaysAgo: 0,
    });
    h.sim.world.deleteFinding(raised.id);
    scenario.faults = { latencyMs: 20 };
    const scanning = h.scan({ full: true });
    // Stored once the scan has started (its row exists), before it concludes.
    while ((await h.db.db.select().from(scans)).length < 2) await new Promise((r) => setTimeout(r, 10));
    await drain(queue, consumer);
    const result = await scanning;
    expect(result.targets.failed).toBe(0);
    expect(await rowOf(h, raised.id)).toMatchObject({ status: 'open' });

    scenario.faults = {};
    await h.scan({ full: true });
    expect(await rowOf(h, raised.id)).toMatchObject({ status: 'resolved', statusChangedBy: 'warden:scan' });
  });
});
