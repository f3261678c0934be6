import { afterAll, beforeAll, expect, test } from 'vitest';
import { auditEvents, scans } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

let h: ScanHarness;
let s: SlackHarness;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 4, regions: ['us-east-1'], failedPerAccountRegion: 6 });
  scenario.accounts[3]!.roles = { audit: false };
  h = await scanHarness(scenario);
  s = await slackHarness(h.db.db, { WARDEN_REGIONS: 'us-east-1' });
  s.config.policy.admins = ['admin@example.com'];
  s.slack.users.set('U0ADMIN', 'admin@example.com');
  s.slack.users.set('U0EVE', 'eve@example.com');
});
afterAll(async () => {
  await s.close();
  await h.close();
});

test('/warden scan by someone who is not an admin is refused, explained and audited, and no scan starts', async () => {
  expect((await s.command('/warden', 'scan', 'U0EVE', 'denied')).status).toBe(200);
  const { text } = await s.answer('denied');
  expect(text).toContain('Only Warden admins can start a scan');
  const events = await h.db.db.select().from(auditEvents);
  expect(events.at(-1)).toMatchObject({
    actor: 'U0EVE',
    action: 'permission.denied',
    details: { attempted: 'scan' },
  });
  expect(await h.db.db.$count(scans)).toBe(0);
  expect(s.slack.callsTo('chat.postMessage')).toHaveLength(0);
});

test('/warden scan by an admin posts one message and keeps it updated until the scan ends', async () => {
  expect((await s.command('/warden', 'scan', 'U0ADMIN', 'scan')).status).toBe(200);
  const [posted] = await s.slack.waitFor('chat.postMessage');
  expect(posted!.args).toMatchObject({ channel: 'C0SEC', text: 'Scan starting' });
  const deadline = Date.now() + 20_000;
  while (
    !s.slack.callsTo('chat.update').some((c) => String(c.args.text).includes('completed')) &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const updates = s.slack.callsTo('chat.update');
  const final = updates.at(-1)!;
  expect(final.args.text).toMatch(/^Scan \d+ completed$/);
  expect(updates.every((u) => u.args.ts === '1700000000.000100')).toBe(true);
  const text = JSON.stringify(final.args.blocks);
  expect(text).toContain('4 accounts');
  expect(text).toContain('Not scanned');
  expect(text).toContain('arn:aws:iam::100000000003:role/WardenAudit');
  expect(await h.db.db.$count(scans)).toBe(1);
});
