import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { webApi } from '@slack/bolt';
import { desc, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { auditAnchorJob } from '../../jobs/audit-anchor.js';
import { exportAudit } from '../../src/audit/export.js';
import { appendAudit } from '../../src/audit/trail.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { anchorKey, putAnchor } from '../../src/aws/anchors.js';
import { AwsClients } from '../../src/aws/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import { auditEvents } from '../../src/db/schema.js';
import { hasCode } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { runtimeOn } from '../../src/runtime.js';
import { servicesOn } from '../../src/services.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';
import { type AnchorDeps, publishAnchor, publishedAnchors } from '../../src/workflow/audit-anchor.js';
import { runCli } from '../support/cli.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { FakeSlack } from '../support/fake-slack.js';
import { asOwner, chainEvents, rechainFromEvent2 } from '../support/tamper.js';

// The audit trail's head published where Warden's database role cannot reach: an S3 object under
// Object Lock and a Slack channel. What the database's owner can do unseen by `verify` alone (re-hash
// the chain after a rewrite, cut events off the end), the anchors show.

const BUCKET = 'warden-audit-anchors';
let sim: Simulator;
let slack: FakeSlack;
let clients: AwsClients;
let t: TestDatabase;
let deps: AnchorDeps;
/** Where Warden's policy lets it publish; the bucket is emptied before each test (it outlives a test's database). */
const place = { bucket: BUCKET, prefix: 'warden/audit-anchors/' };

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 1, regions: ['us-east-1'], failedPerAccountRegion: 0 });
  scenario.buckets = [{ name: BUCKET, objectLock: true }];
  sim = await startSimulator(scenario);
  Object.assign(process.env, sim.env, { AWS_EC2_METADATA_DISABLED: 'true' });
  slack = await new FakeSlack().start();
  clients = new AwsClients({ maxAttempts: 1, maxSockets: 4 });
});
afterAll(async () => {
  clients.destroy();
  await slack.stop();
  await sim.close();
});
beforeEach(async () => {
  t = await openTestDatabase();
  sim.world.buckets.get(BUCKET)!.objects.clear();
  deps = depsWith(configWith({ WARDEN_ANCHOR_BUCKET: BUCKET }, '#audit'));
  for (let i = 1; i <= 3; i++)
    await appendAudit(t.db, { actor: 'U0ALICE', action: 'finding.acknowledged', subject: `finding:${i}` });
});
afterEach(async () => {
  await t.close();
});

function configWith(env: Record<string, string>, auditChannel?: string): Config {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  if (auditChannel) config.policy.routing.auditChannel = auditChannel;
  return config;
}

function depsWith(config: Config): AnchorDeps {
  return {
    db: t.db,
    config,
    clients,
    now: () => new Date(),
    web: new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
  };
}

const events = () => chainEvents(t.db);

test('the head is published in S3 under a compliance lock and in the audit channel, then recorded', async () => {
  const head = (await events())[2]!;
  const result = await publishAnchor(deps, 'schedule');
  expect(result).toMatchObject({
    seq: 3,
    hash: head.hash,
    s3: { key: `${place.prefix}000000000003.json` },
  });

  const object = sim.world.buckets.get(BUCKET)!.objects.get(anchorKey(place, 3))!;
  expect(object).toHaveLength(1);
  expect(object[0]!.lock?.mode).toBe('COMPLIANCE');
  expect(object[0]!.lock!.retainUntil.getTime()).toBeGreaterThan(Date.now() + 399 * 86_400_000);
  expect(JSON.parse(object[0]!.body.toString())).toMatchObject({
    format: 'warden-audit-anchor/1',
    seq: 3,
    hash: head.hash,
  });

  const posted = slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.channel === '#audit')
    .at(-1)!;
  expect(posted.args.text).toContain(`\`3:${head.hash}\``);

  const [recorded] = await t.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  expect(recorded).toMatchObject({
    seq: 4,
    actor: 'warden:anchor',
    action: 'audit.anchored',
    subject: 'audit:3',
  });
  expect(recorded!.details).toMatchObject({
    seq: 3,
    hash: head.hash,
    reason: 'schedule',
    s3: { bucket: BUCKET, key: `${place.prefix}000000000003.json` },
    slack: { channel: expect.stringMatching(/^C/), ts: expect.any(String) },
  });
});

test('published anchors catch a re-hashed rewrite and a truncation that the chain alone does not', async () => {
  await publishAnchor(deps, 'schedule'); // anchors event 3, records event 4
  await appendAudit(t.db, { actor: 'U0BOB', action: 'finding.reopened', subject: 'finding:1' });
  await publishAnchor(deps, 'remediation'); // anchors event 5, records event 6
  const { expected, unlocked } = await publishedAnchors(clients, place);
  expect(expected.map((e) => e.seq)).toEqual([3, 5]);
  expect(unlocked).toEqual([]);
  expect(await verifyAuditChain(t.db, expected)).toMatchObject({ ok: true, count: 6 });

  await asOwner(t.db, sql`delete from audit_events where seq > 4`);
  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, count: 4 });
  expect(await verifyAuditChain(t.db, expected)).toMatchObject({
    ok: false,
    brokenSeq: 5,
    reason: 'event 5 is missing: the chain ends at event 4 (events were cut off the end)',
  });

  await rechainFromEvent2(t.db);
  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, count: 4 });
  expect(await verifyAuditChain(t.db, expected)).toMatchObject({ ok: false, brokenSeq: 3 });
});

test('warden audit verify --anchors checks an export against every anchor in the bucket', async () => {
  await publishAnchor(deps, 'schedule');
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'warden-anchors-')), 'audit.jsonl');
  const exportOf = async () => {
    let out = '';
    await exportAudit(t.db, { format: 'jsonl' }, (chunk) => {
      out += chunk;
    });
    return out;
  };
  writeFileSync(file, await exportOf());
  const env = { WARDEN_ANCHOR_BUCKET: BUCKET, LOG_LEVEL: 'silent' };
  const ok = await runCli(['audit', 'verify', '--file', file, '--anchors'], env);
  expect(ok).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(/^ok: 4 events, head 4:[0-9a-f]{64}; 1 S3 anchors hold\n$/),
  });

  await rechainFromEvent2(t.db);
  writeFileSync(file, await exportOf());
  expect(await runCli(['audit', 'verify', '--file', file], env)).toMatchObject({ code: 0 });
  expect(await runCli(['audit', 'verify', '--file', file, '--anchors'], env)).toMatchObject({
    code: 1,
    stdout: expect.stringMatching(
      /^broken: event 3: its hash is [0-9a-f]{64}, not the [0-9a-f]{64} published for it/,
    ),
  });
  expect(await runCli(['audit', 'verify', '--anchors'], { LOG_LEVEL: 'silent' })).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('--anchors reads the anchor bucket: set WARDEN_ANCHOR_BUCKET'),
  });
});

test('an anchor already published for the head is left alone; one with another hash is a rewrite', async () => {
  const head = (await events())[2]!;
  const anchor = {
    format: 'warden-audit-anchor/1' as const,
    seq: 3,
    hash: head.hash,
    eventAt: '',
    publishedAt: '',
  };
  const until = new Date(Date.now() + 86_400_000);
  const s3 = clients.s3();
  expect(await putAnchor(s3, place, anchor, until)).toMatchObject({ key: anchorKey(place, 3) });
  expect(await putAnchor(s3, place, anchor, until)).toBe('exists');
  // The same head published again (two replicas, a retry) is taken as published.
  await expect(publishAnchor(deps, 'schedule')).resolves.toMatchObject({ seq: 3 });

  await asOwner(t.db, sql`delete from audit_events where seq = 4`);
  await rechainFromEvent2(t.db);
  const err = await publishAnchor(deps, 'schedule').catch((e: unknown) => e);
  expect(hasCode(err, 'audit-anchor-conflict')).toBe(true);
  expect((err as Error).message).toMatch(
    /^the anchor published for event 3 holds hash [0-9a-f]{64}, but the chain now has [0-9a-f]{64}: the audit trail was rewritten$/,
  );
});

test('with S3 refusing (a bucket Warden’s policy does not name), the head still reaches Slack and is recorded, and the failure names the bucket', async () => {
  const err = await publishAnchor(
    depsWith(configWith({ WARDEN_ANCHOR_BUCKET: 'no-such-bucket' }, '#audit')),
    'schedule',
  ).catch((e: unknown) => e as Error);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toBe(
    `publishing the audit head failed: s3:PutObject on s3://no-such-bucket/${place.prefix}000000000003.json: AccessDenied: User: arn:aws:iam::${sim.world.scenario.managementAccountId}:user/warden is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::no-such-bucket/${place.prefix}000000000003.json" because no identity-based policy allows the s3:PutObject action`,
  );
  const [recorded] = await t.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  expect(recorded).toMatchObject({ action: 'audit.anchored' });
  expect(recorded!.details).not.toHaveProperty('s3');
});

test('the daily job says why it did nothing when no anchor destination is set', async () => {
  const config = configWith({});
  const services = servicesOn(runtimeOn(config, t.db, { log: createLogger('silent') }), { clients });
  expect(await auditAnchorJob.run(services, new Date())).toEqual({
    skipped: 'no anchor destination: set routing.auditChannel (with Slack) or WARDEN_ANCHOR_BUCKET',
  });
});
