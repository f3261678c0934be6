import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
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
  // Every reader is looked up (users.info): a workspace member, not a guest.
  s.slack.users.set('U0ALICE', 'alice@example.com');
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

/** Open issues (their primaries) matching `where`: what /findings counts. */
const openCount = async (where = eq(findings.severity, 'critical')) =>
  h.db.db.$count(
    findings,
    and(where, inArray(findings.status, ['open', 'acknowledged']), isNull(findings.duplicateOf)),
  );

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

test('/findings by controls and checks, by OU and by a list of accounts', async () => {
  const [common] = await h.db.db
    .select({ control: findings.controlId, n: sql<number>`count(*)::int` })
    .from(findings)
    .where(eq(findings.source, 'securityhub'))
    .groupBy(findings.controlId)
    .orderBy(sql`count(*) desc`)
    .limit(1);
  const control = common!.control!;
  const byControl = await openCount(
    or(eq(findings.controlId, control), eq(findings.generatorId, 'warden/password-policy-weak')),
  );
  expect(byControl).toBeGreaterThan(common!.n);
  expect((await findingsFor(`${control},password-policy-weak`)).text).toContain(`of ${byControl}`);
  // account-2 is the only account in the Production OU.
  const inProduction = await openCount(eq(findings.accountId, '100000000002'));
  expect((await findingsFor('Production')).text).toContain(`of ${inProduction}`);
  const inTwo = await openCount(inArray(findings.accountId, ['100000000001', '100000000002']));
  expect((await findingsFor('100000000001,100000000002')).text).toContain(`of ${inTwo}`);
  expect((await findingsFor('Production account-1')).text).toContain("I don't understand `account-1`");
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
  const ids = (text: string) => [...text.matchAll(/"block_id":"finding:(\d+):/g)].map((m) => m[1]);
  expect(ids(second.text)).toHaveLength(10);
  expect(ids(second.text).some((id) => ids(first.text).includes(id))).toBe(false);
  const previous = (second.args.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
    .flatMap((b) => b.elements ?? [])
    .find((e) => e.action_id === 'findings-prev')!;
  expect((await s.click('findings-prev', previous.value, 'U0ALICE', 'p1')).status).toBe(200);
  const back = await s.answer('p1');
  expect(back.text).toMatch(/1–10 of \d+/);
  expect(ids(back.text)).toEqual(ids(first.text));
});

test('a word /findings does not understand gets the usage, and nothing else happens', async () => {
  const before = s.slack.calls.filter((c) => !c.method.startsWith('/response/')).length;
  const { text } = await findingsFor('critical no-such-account');
  expect(text).toContain('No account or OU matches');
  expect(text).toContain('Usage: `/findings');
  expect(s.slack.calls.filter((c) => !c.method.startsWith('/response/')).length).toBe(before);
});

test('/findings by state, by `mine` and by a mentioned user', async () => {
  const [a, b] = await h.db.db
    .select()
    .from(findings)
    .where(eq(findings.severity, 'medium'))
    .orderBy(findings.id)
    .limit(2);
  await h.db.db
    .update(findings)
    .set({ status: 'acknowledged', assignee: 'U0ALICE' })
    .where(eq(findings.id, a!.id));
  await h.db.db.update(findings).set({ assignee: 'U0BOB' }).where(eq(findings.id, b!.id));

  const acknowledged = await findingsFor('acknowledged');
  expect(acknowledged.text).toContain('1–1 of 1');
  expect(acknowledged.text).toContain(a!.title);
  expect((await findingsFor('mine')).text).toMatch(/1–1 of 1".*acknowledged/);
  const bobs = await findingsFor('<@U0BOB|bob> medium');
  expect(bobs.text).toContain('1–1 of 1');
  expect(bobs.text).toContain('Assigned to <@U0BOB>');
  expect((await findingsFor('resolved')).text).toContain('none.');
});

test('/findings help, a repeated filter and an over-long query get the usage', async () => {
  const res = await s.command('/findings', 'help', 'U0ALICE', 'h1');
  expect(JSON.stringify(await res.json())).toContain('Usage: `/findings');
  expect((await findingsFor('critical open high')).text).toContain(
    'One severity at a time: `high` is a second one',
  );
  expect((await findingsFor('x'.repeat(300))).text).toContain('too long');
});

test('a page button with a value Warden never wrote is answered with an explanation, and nothing else happens', async () => {
  expect((await s.click('findings-next', '{"q":1}', 'U0ALICE', 'bad1')).status).toBe(200);
  const { args } = await s.answer('bad1');
  expect(args).toMatchObject({ replace_original: false });
  expect(args.text).toMatch(/not one Warden drew/);
});
