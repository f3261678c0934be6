// npm run bench:slack — Warden's Slack side under load, on PostgreSQL (DATABASE_URL): audit appends
// per second from 10 concurrent writers, then signed Acknowledge clicks and /posture commands sent at
// fixed rates to the real Bolt receiver (in this process, talking to the fake Slack Web API), each
// answer timed from the request to its arrival at the response_url. Prints figures; asserts nothing.
import { appendAudit } from '../src/audit/trail.js';
import { postgresHandle } from '../src/db/client.js';
import { FINDING_ACTIONS, findingBlockId } from '../src/slack/blocks/finding.js';
import { BUSY } from '../src/slack/load.js';
import { seedAccounts, seedFinding } from '../test/support/seed.js';
import { slackHarness } from '../test/support/slack-harness.js';
import { percentile, withScratchDatabase } from './scratch-database.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ACCOUNT = '111111111111';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withScratchDatabase('bench:slack', async (url) => {
  const handle = postgresHandle(url);

  // 1. Audit appends: 10 writers, each on a connection of its own.
  const writers = Array.from({ length: 10 }, () => postgresHandle(url, { max: 1 }));
  const perWriter = 300;
  const t0 = performance.now();
  await Promise.all(
    writers.map(async ({ db }, w) => {
      for (let i = 0; i < perWriter; i++)
        await appendAudit(db, { actor: `bench-${w}`, action: 'bench.append', subject: `n:${i}` });
    }),
  );
  const appendsPerSecond = (writers.length * perWriter) / ((performance.now() - t0) / 1000);
  await Promise.all(writers.map((w) => w.close()));
  console.log(`audit appends, 10 concurrent writers: ${appendsPerSecond.toFixed(0)}/s (target ≥ 500/s)`);

  // 2. Clicks and commands against the real receiver.
  await seedAccounts(handle.db, [{ id: ACCOUNT, name: 'bench', tags: { owner: 'U0ALICE' } }]);
  const ids: number[] = [];
  for (let i = 0; i < 2500; i++)
    ids.push((await seedFinding(handle.db, { accountId: ACCOUNT, severity: 'high' })).id);
  const s = await slackHarness(handle.db, { LOG_LEVEL: 'silent' });
  s.slack.users.set('U0ALICE', 'alice@example.com');
  let next = 0;
  let sent = 0;

  /** Sends `rate` requests a second for SECONDS; returns answered within the run, busy refusals, latencies. */
  async function run(rate: number, send: (id: string) => Promise<Response>) {
    const started: Array<{ id: string; at: number; busy?: boolean }> = [];
    const deadline = performance.now() + SECONDS * 1000;
    const inFlight: Promise<void>[] = [];
    let rss = process.memoryUsage().rss;
    for (let i = 0; performance.now() < deadline; i++) {
      const id = `b${++sent}`;
      const entry: { id: string; at: number; busy?: boolean } = { id, at: Date.now() };
      started.push(entry);
      inFlight.push(
        send(id).then(async (res) => {
          entry.busy = (await res.text()).includes(BUSY.slice(0, 20));
        }),
      );
      rss = Math.max(rss, process.memoryUsage().rss);
      const due = (i + 1) * (1000 / rate) - (performance.now() - (deadline - SECONDS * 1000));
      if (due > 0) await sleep(due);
    }
    await Promise.all(inFlight);
    // Answers still coming in after the last request are waited for, up to 30 s.
    const answered = () => started.filter((e) => !e.busy && s.slack.callsTo(`/response/${e.id}`).length > 0);
    const wanted = started.filter((e) => !e.busy).length;
    const waitUntil = Date.now() + 30_000;
    while (answered().length < wanted && Date.now() < waitUntil) {
      rss = Math.max(rss, process.memoryUsage().rss);
      await sleep(100);
    }
    const latencies = answered().map((e) => s.slack.callsTo(`/response/${e.id}`)[0]!.at - e.at);
    return {
      sent: started.length,
      busy: started.filter((e) => e.busy).length,
      answered: latencies.length,
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      rssMb: rss / 1024 / 1024,
    };
  }

  const click = (id: string) =>
    s.act({
      actionId: FINDING_ACTIONS.acknowledge,
      blockId: findingBlockId(ids[next++]!, { kind: 'card' }),
      responseId: id,
    });
  const posture = (id: string) => s.command('/posture', '', 'U0ALICE', id);
  const report = (what: string, rate: number, r: Awaited<ReturnType<typeof run>>) =>
    console.log(
      `${what.padEnd(10)} ${String(rate).padStart(4)}/s for ${SECONDS} s: ${r.answered}/${r.sent} answered, ${r.busy} told busy; answer p50 ${r.p50} ms, p95 ${r.p95} ms; peak RSS ${r.rssMb.toFixed(0)} MB`,
    );
  for (const rate of [50, 100, 150]) report('clicks', rate, await run(rate, click));
  for (const rate of [150, 400]) report('/posture', rate, await run(rate, posture));
  console.log(
    'targets: clicks ≥ 150/s with answers p95 ≤ 1 s; past the bound, "busy" at once and flat memory',
  );
  await s.close();
  await handle.close();
});
