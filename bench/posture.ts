// npm run bench:posture — Warden's read paths at a real organization's size, on PostgreSQL
// (DATABASE_URL): builds 1,000 accounts in 10 OUs, BENCH_FINDINGS findings (default 1,000,000, 58%
// open) and 35 days of hourly posture snapshots straight into the schema's own tables, then calls
// the real handlers and digest builders and prints p50 / p95 of each against its target (issue 13).
// Prints figures; asserts nothing.
import { sql as rawSql } from 'drizzle-orm';
import { postureCommand } from '../commands/posture.js';
import { loadConfig } from '../src/config.js';
import { postgresHandle } from '../src/db/client.js';
import { dailyDigests } from '../src/digest/daily.js';
import { dailyPeriod, weeklyPeriod } from '../src/digest/periods.js';
import { weeklyDigestMessage } from '../src/digest/weekly.js';
import { weeklyFigures } from '../src/posture/digest-figures.js';
import { listFindings, type PageAt } from '../src/posture/findings-list.js';
import { findingsPageMessage, homeTab } from '../src/slack/finding-views.js';
import { benchHandlerDeps, commandAsker, timed } from './handlers.js';
import { withScratchDatabase } from './scratch-database.js';

const FINDINGS = Number(process.env.BENCH_FINDINGS ?? 1_000_000);
const ACCOUNTS = 1000;
const OUS = 10;
const SNAPSHOT_DAYS = 35;

await withScratchDatabase('bench:posture', async (url, kept) => {
  if (!kept) await buildDataset(url);
  else console.log('dataset: kept from an earlier run (BENCH_KEEP_DATABASE)');
  await readPaths(url);
});

/** 1,000 accounts in 10 OUs, BENCH_FINDINGS findings, 35 days of hourly snapshots, through the schema's own tables. */
async function buildDataset(url: string) {
  const build = postgresHandle(url, { max: 1 });
  const t0 = performance.now();
  const sql = (text: string) => build.db.execute(rawSql.raw(text));
  await sql(`insert into accounts (id, name, state, ou_id, ou_path, tags)
    select lpad((100000000000 + i)::text, 12, '0'), 'account-' || i, 'ACTIVE', 'ou-' || (i % ${OUS}),
           'Root/OU-' || (i % ${OUS}), jsonb_build_object('owner', 'owner-' || (i % 50) || '@example.com')
    from generate_series(0, ${ACCOUNTS - 1}) i`);
  // 58% open or acknowledged, the rest resolved or suppressed; severities weighted as Security Hub's are.
  await sql(`insert into findings (source, product_arn, external_id, account_id, region, resource_id, control_id,
      generator_id, title, severity, status, first_seen_at, last_seen_at, status_changed_at)
    select 'securityhub', 'arn:aws:securityhub:us-east-1::product/aws/securityhub', 'f-' || i,
           lpad((100000000000 + (i % ${ACCOUNTS}))::text, 12, '0'), 'us-east-1', 'arn:aws:s3:::bucket-' || i,
           'S3.' || (i % 20), 'security-control/S3.' || (i % 20), 'Control S3.' || (i % 20) || ' failed',
           (array['critical','high','high','medium','medium','medium','low','low','low','informational'])[1 + (i * 7) % 10],
           case when i % 100 < 50 then 'open' when i % 100 < 58 then 'acknowledged'
                when i % 100 < 95 then 'resolved' else 'suppressed' end,
           now() - ((i % 90) || ' days')::interval, now() - ((i % 3) || ' hours')::interval,
           now() - ((i % 40) || ' days')::interval
    from generate_series(1, ${FINDINGS}) i`);
  await sql(`insert into posture_snapshots (taken_at, account_id, ou_path, open_critical, open_high, open_medium,
      open_low, open_informational, score)
    select date_trunc('hour', now()) - (h || ' hours')::interval, lpad((100000000000 + a)::text, 12, '0'),
           'Root/OU-' || (a % ${OUS}), (a + h) % 5, (a + h) % 40, (a + h) % 90, (a + h) % 120, (a + h) % 30,
           5000 + (a * 7 + h) % 5000
    from generate_series(0, ${ACCOUNTS - 1}) a, generate_series(0, ${SNAPSHOT_DAYS * 24 - 1}) h`);
  await sql(`insert into scans (kind, trigger, status, started_at, finished_at, heartbeat_at)
    values ('full', 'schedule', 'completed', now() - interval '1 hour', now() - interval '50 minutes', now())`);
  // What autovacuum does on a live server: statistics, and the visibility map index-only scans need.
  await sql('vacuum analyze');
  await build.close();
  console.log(
    `dataset: ${ACCOUNTS} accounts in ${OUS} OUs, ${FINDINGS.toLocaleString('en')} findings (58% open), ` +
      `${(ACCOUNTS * SNAPSHOT_DAYS * 24).toLocaleString('en')} posture snapshots; built in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
}

/** The real handlers and digest builders, timed. */
async function readPaths(url: string) {
  const handle = postgresHandle(url);
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  config.policy.routing = {
    defaultChannel: '#security',
    ous: { 'Root/OU-1': '#ou-1', 'Root/OU-2': '#ou-2' },
  };
  const deps = benchHandlerDeps(config, handle.db);
  const ask = commandAsker(postureCommand(deps));
  const RUNS = 50;
  await timed('/posture (organization)', RUNS, () => ask(''), 150);
  await timed('/posture <account>', RUNS, () => ask('100000000007'), 150);
  const page =
    (query: string, at: PageAt = {}) =>
    () =>
      findingsPageMessage(deps, { query, userId: 'U0BENCH', offset: 0, at, scope: { kind: 'all' } });
  await timed('/findings (organization)', RUNS, page(''), 150);
  await timed('/findings resolved', RUNS, page('resolved'), 150);
  await timed('/findings high', RUNS, page('high'), 150);
  await timed('/findings <account>', RUNS, page('100000000007'), 150);
  await timed('/findings low acknowledged <account>', RUNS, page('low acknowledged 100000000007'), 150);
  await timed('/findings iam (a source with none)', RUNS, page('iam'), 150);
  await timed('/findings S3.3 (a control of 5% of the findings)', RUNS, page('S3.3'), 150);
  await timed('/findings S3.3 resolved', RUNS, page('S3.3 resolved'), 150);
  await timed('/findings S3.3,S3.4 (two controls)', RUNS, page('S3.3,S3.4'), 150);
  await timed('/findings IAM.4 (a control with none)', RUNS, page('IAM.4'), 150);
  await timed('/findings root-access-keys (a Warden check with none)', RUNS, page('root-access-keys'), 150);
  // Deep pages: Next from the row a person would reach after 500 pages, whatever comes before it.
  const deep = (await listFindings(handle.db, {}, { limit: 5000 })).keys.at(-1)!;
  await timed('/findings, Next after 5,000 rows', RUNS, page('', { after: deep }), 150);
  await timed('/findings, Previous before 5,000 rows', RUNS, page('', { before: deep }), 150);
  await timed('App Home', RUNS, () => homeTab(deps, { userId: 'U0BENCH', email: undefined }), 150);
  const now = new Date();
  await timed(
    'daily digests (organization + 2 OU channels)',
    5,
    () => dailyDigests(handle.db, config, dailyPeriod(now, config.schedule).window),
    1000,
  );
  const { period, window } = weeklyPeriod(now, config.schedule);
  await timed('weekly figures', 5, () => weeklyFigures(handle.db, window, config.policy), 1500);
  await timed(
    'weekly message with its chart',
    5,
    () => weeklyDigestMessage(handle.db, config, window, period),
    1500,
  );
  await handle.close();
}
