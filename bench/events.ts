// npm run bench:events — Security Hub's findings events through the simulated queue into PostgreSQL
// (DATABASE_URL), with Warden's own reader and alert dispatcher (issue 15):
// 1. throughput: BENCH_EVENTS (default 10,000) new findings' events already in the queue, read by
//    one process's loops until every one is stored; events per second;
// 2. alert latency: new high findings' events sent at BENCH_EVENT_RATE a second (default 100) for
//    BENCH_LATENCY_SECONDS (default 20), read and alerted as `warden serve` does (the default window
//    and pass interval), posted to a fake Slack; p50 / p95 from the event's sending to its post;
// 3. an update of 1% of the findings: AWS calls by events, beside an incremental scan's.
// Prints figures; asserts nothing.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { AwsClients } from '../src/aws/clients.js';
import { EventsQueue, SQS_LIMITS } from '../src/aws/events-queue.js';
import { loadConfig } from '../src/config.js';
import { postgresHandle, rawRows } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { generateScenario } from '../src/sim/scenarios.js';
import { startSimulator } from '../src/sim/server.js';
import { AlertDispatcher } from '../src/slack/alerts.js';
import { slackClients } from '../src/slack/web-client.js';
import { FindingsEvents } from '../src/workflow/findings-events.js';
import { alertSeverities } from '../src/workflow/policy.js';
import { runScan } from '../src/workflow/scan.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { withScratchDatabase } from './scratch-database.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const RATE = Number(process.env.BENCH_EVENT_RATE ?? 100);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const ACCOUNTS = 100;
const PER_ACCOUNT = 100;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withScratchDatabase('bench:events', async (url) => {
  const scenario = generateScenario({
    accounts: ACCOUNTS,
    regions: ['us-east-1'],
    failedPerAccountRegion: PER_ACCOUNT,
    passedPerAccountRegion: 0,
    usersPerAccount: 0,
  });
  const admin = scenario.managementAccountId;
  scenario.securityHub = { adminAccountId: admin, aggregationRegion: 'us-east-1', standards: ['fsbp'] };
  scenario.events = { visibilityTimeoutSeconds: 60 };
  // AWS's own rate limits stay on; the simulator answers at once otherwise.
  const sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  const slack = await new FakeSlack().start();
  const policy = path.join(tmpdir(), `warden-bench-events-${process.pid}.json`);
  writeFileSync(policy, JSON.stringify({ alerts: { minSeverity: 'high', defaultChannel: 'C0ALERTS' } }));
  const config = loadConfig(
    {
      ...process.env,
      DATABASE_URL: url,
      LOG_LEVEL: 'silent',
      WARDEN_SECURITYHUB_MODE: 'aggregator',
      WARDEN_SECURITYHUB_ADMIN_ACCOUNT: admin,
      WARDEN_AGGREGATION_REGION: 'us-east-1',
      WARDEN_SECURITYHUB_API: 'cspm',
      WARDEN_EVENTS_QUEUE_URL: sim.queueUrl!,
      WARDEN_POLICY_FILE: policy,
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_API_URL: slack.apiUrl,
    },
    { requireSlack: 'web' },
  );
  const handle = postgresHandle(url, { max: 8 });
  const db = handle.db;
  const log = createLogger('silent');
  const clients = new AwsClients({ maxAttempts: 8, maxSockets: 64 });
  const events = config.aws.events!;
  const queue = new EventsQueue(clients.sqs(events.region), events.queueUrl, events.region);
  const reader = new FindingsEvents({ db, log, now: () => new Date() }, queue, {
    api: 'cspm',
    waitSeconds: SQS_LIMITS.maxWaitSeconds,
    visibilitySeconds: events.visibilitySeconds,
    loops: events.loops,
    alertAt: alertSeverities(config.policy),
  });
  const world = sim.world;
  const q = world.queues.get('warden-findings-events')!;
  const scanEnv = { db, config, log, clients, reportPollBaseMs: 5 };
  await runScan(scanEnv, { trigger: 'cli', full: true });
  console.log(
    `${ACCOUNTS} accounts, ${(ACCOUNTS * PER_ACCOUNT).toLocaleString('en')} findings stored by a full scan; ` +
      `${events.loops} receive loops; PostgreSQL at ${new URL(url).host}`,
  );

  // 1. Throughput: a backlog of new findings' events.
  let n = 0;
  const raise = (severity: 'LOW' | 'HIGH' | 'CRITICAL') =>
    world.raiseFinding(String(100_000_000_001 + (n % (ACCOUNTS - 1))), {
      control: 'S3.1',
      region: 'us-east-1',
      severity,
      resourceId: `arn:aws:s3:::bench-${n++}`,
      updatedDaysAgo: 0,
    });
  for (let i = 0; i < EVENTS; i++) raise('LOW');
  // One reader throughout, as in a server: a long poll cut short may have taken messages, which
  // would come back only after their visibility timeout.
  const stop = new AbortController();
  const t0 = performance.now();
  const reading = reader.run(stop.signal);
  while (q.messages.length > 0) await sleep(20);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `throughput: ${EVENTS.toLocaleString('en')} events stored and deleted in ${seconds.toFixed(1)} s = ${Math.round(EVENTS / seconds).toLocaleString('en')} events/s (target ≥ 1,000/s)`,
  );

  // 2. Alert latency at RATE events a second.
  const web = slackClients(config.slack!, log);
  const dispatcher = new AlertDispatcher({ db, config, log, now: () => new Date(), ...web });
  const stopAlerts = new AbortController();
  const alerting = dispatcher.run(stopAlerts.signal, config.policy.alerts!.maxMessagesPerChannel * 1000);
  const sentAt = new Map<string, number>();
  const total = RATE * LATENCY_SECONDS;
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    sentAt.set(raise(i % 10 === 0 ? 'CRITICAL' : 'HIGH').id, Date.now());
  }
  // Until every alert is posted (or 30 s more).
  const deadline = Date.now() + 30_000;
  const posted = () =>
    rawRows<{ external_id: string; posted_at: Date }>(
      db,
      sql`select f.external_id, a.posted_at from alerts a join findings f on f.id = a.finding_id where a.status = 'posted'`,
    );
  let rows = await posted();
  while (rows.length < total && Date.now() < deadline) {
    await sleep(250);
    rows = await posted();
  }
  stopAlerts.abort();
  await alerting;
  const outcomes = await rawRows<{ status: string; reason: string | null; n: number }>(
    db,
    sql`select status, skip_reason as reason, count(*)::int as n from alerts group by 1, 2 order by 1`,
  );
  const latencies = rows.flatMap((r) => {
    const sent = sentAt.get(r.external_id);
    return sent === undefined ? [] : [new Date(r.posted_at).getTime() - sent];
  });
  const messages = slack.calls.filter((c) => c.method === 'chat.postMessage').length;
  console.log(
    `alerts: ${total.toLocaleString('en')} events at ${RATE}/s for ${LATENCY_SECONDS} s; ${latencies.length.toLocaleString('en')} alerted in ${messages} messages; ` +
      `event → Slack p50 ${(percentile(latencies, 50) / 1000).toFixed(2)} s, p95 ${(percentile(latencies, 95) / 1000).toFixed(2)} s (target p95 ≤ 5 s)`,
  );
  console.log(
    `  alerts by outcome: ${outcomes.map((o) => `${o.status}${o.reason ? ` (${o.reason})` : ''} ${o.n}`).join(', ')}`,
  );

  // 3. An update of 1% of the findings: by events, and by an incremental scan.
  const all = [...world.allFindings()];
  const changed = all.filter((_, i) => i % 100 === 0);
  // The scans' cursor moved past everything stored so far, so that each way reads only the update.
  await runScan(scanEnv, { trigger: 'cli' });
  world.resetCalls();
  for (const f of changed) world.updateFinding(f.id, { compliance: 'PASSED' });
  while (q.messages.length > 0) await sleep(20);
  stop.abort();
  await reading;
  const byEvents = world.totalCalls();
  const sqsCalls = ['ReceiveMessage', 'DeleteMessageBatch']
    .map((op) => `${op} ${world.calls(op)}`)
    .join(', ');
  world.resetCalls();
  await runScan(scanEnv, { trigger: 'cli' });
  console.log(
    `1% update (${changed.length} of ${all.length.toLocaleString('en')} findings): by events ${byEvents} AWS calls (${sqsCalls}; Security Hub 0), ` +
      `by an incremental scan ${world.totalCalls()} (GetFindings ${world.calls('GetFindings')})`,
  );

  clients.destroy();
  await handle.close();
  await slack.stop();
  await sim.close();
});
