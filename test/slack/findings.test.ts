import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findings } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

let h: ScanHarness;
let s: SlackHarness;
beforeAll(async () => {
  h = await scanHarness(
    generateScenario({ accounts: 3, regions: ['us-east-1'], failedPerAccountRegion: 20 }),
  );
  await h.scan({ full: true });
  s = await slackHarness(h.db.db);
});
afterAll(async () => {
  await s.close();
  await h.close();
});

let n = 0;
async function findingsFor(text: string) {
  const id = `f${n++}`;
  expect((await s.command('/findings', text, 'U0ALICE', id)).status).toBe(200);
  return s.answer(id);
}

const openCount = async (where = eq(findings.severity, 'critical')) =>
  h.db.db.$count(findings, and(where, inArray(findings.status, ['open', 'acknowledged'])));

test('/findings critical lists only critical findings, most severe first, with the total', async () => {
  const { text } = await findingsFor('critical');
  const total = await openCount();
  expect(text).toContain(`of ${total}`);
  expect(text).not.toMatch(/\\n(high|medium|low) ·/);
});

test('/findings filters by account name and source', async () => {
  const { text } = await findingsFor('account-1 iam');
  const total = await openCount(
    and(eq(findings.accountId, '100000000001'), eq(findings.source, 'credential-report')),
  );
  expect(text).toContain(`of ${total}`);
});

test('Next shows the following page in place of the first, and Previous goes back', async () => {
  const first = await findingsFor('');
  expect(first.text).toMatch(/1–10 of \d+/);
  const next = (first.args.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
    .flatMap((b) => b.elements ?? [])
    .find((e) => e.action_id === 'findings-next')!;
  expect((await s.click('findings-next', next.value, 'U0ALICE', 'n1')).status).toBe(200);
  const second = await s.answer('n1');
  expect(second.args.replace_original).toBe(true);
  expect(second.text).toMatch(/11–20 of \d+/);
  expect(second.text).toContain('findings-prev');
});

test('a word /findings does not understand gets the usage, and nothing else happens', async () => {
  const before = s.slack.calls.filter((c) => !c.method.startsWith('/response/')).length;
  const { text } = await findingsFor('critical no-such-account');
  expect(text).toContain('No account matches');
  expect(text).toContain('Usage: `/findings');
  expect(s.slack.calls.filter((c) => !c.method.startsWith('/response/')).length).toBe(before);
});
