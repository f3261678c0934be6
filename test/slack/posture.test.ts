import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { accounts } from '../../src/db/schema.js';
import { findAccount, findOu, knownAccounts } from '../../src/posture/accounts.js';
import { openBySeverity } from '../../src/posture/summary.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// From a real scan of the simulated organization to what /posture shows in Slack.

let h: ScanHarness;
let s: SlackHarness;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 5, regions: ['us-east-1'], failedPerAccountRegion: 12 });
  scenario.accounts[4]!.roles = { audit: false };
  h = await scanHarness(scenario);
  await h.scan({ full: true });
  s = await slackHarness(h.db.db);
  // Every reader is looked up (users.info): a workspace member, not a guest.
  s.slack.users.set('U0ALICE', 'alice@example.com');
});
afterAll(async () => {
  await s.close();
  await h.close();
});

let asked = 0;
async function posture(text: string) {
  const id = `p${asked++}`;
  expect((await s.command('/posture', text, 'U0ALICE', id)).status).toBe(200);
  return s.answer(id);
}

test('/posture shows the organization: open findings by severity, worst accounts, and what was not scanned', async () => {
  const { text } = await posture('');
  const open = await openBySeverity(h.db.db);
  expect(text).toContain(`${open.critical} critical`);
  expect(text).toContain(`${open.high} high`);
  expect(text).toContain('Worst accounts');
  expect(text).toContain('Last scan');
  expect(text).toContain('Not scanned');
  expect(text).toContain('arn:aws:iam::100000000004:role/WardenAudit');
});

test('/posture <account> shows its owners, OU and worst findings, each with its actions and a console link', async () => {
  const { args, text } = await posture('account-2');
  expect(text).toContain('account-2 (100000000002)');
  expect(text).toContain('owner-2@example.com');
  expect(text).toMatch(/Root\/[A-Za-z]+/);
  const actions = (
    args.blocks as Array<{ type: string; elements?: Array<{ action_id: string; url?: string }> }>
  )
    .filter((b) => b.type === 'actions')
    .map((b) => b.elements!);
  expect(actions).toHaveLength(10);
  for (const elements of actions) {
    // Warden's own checks offer the triage buttons; Security Hub findings can also be resolved by a playbook.
    expect(elements.map((e) => e.action_id).filter((id) => id !== 'finding-remediate')).toEqual([
      'finding-acknowledge',
      'finding-suppress',
      'finding-assign',
      'finding-console',
    ]);
    expect(elements.at(-1)!.url).toMatch(
      /^https:\/\/([a-z0-9-]+\.)?console\.aws\.amazon\.com\/(securityhub|iam)\//,
    );
  }
  expect(text).toMatch(/and \d+ more open findings/);
});

test('/posture <OU> shows that OU alone: its open findings, worst accounts and gaps', async () => {
  const found = await findAccount(h.db.db, 'account-2');
  const path = found.account!.ouPath!;
  const ou = await findOu(h.db.db, path.split('/').at(-1)!);
  expect(ou).toMatchObject({ path });
  const ids = (ou as { accounts: Array<{ id: string }> }).accounts.map((a) => a.id);
  expect(ids.length).toBeLessThan(5);
  const open = await openBySeverity(h.db.db, ids);
  const { text } = await posture(path.toUpperCase());
  expect(text).toContain(`${path} posture`);
  expect(text).toContain(`${open.critical} critical`);
  expect(text).toContain(`${open.high} high`);
  // Accounts of other OUs are not listed.
  const others = (await knownAccounts(h.db.db)).filter((a) => !ids.includes(a.id));
  for (const a of others) expect(text).not.toContain(a.id);
});

test('/posture with an unknown account offers the closest matches', async () => {
  const { text } = await posture('acount-3');
  expect(text).toContain('No account matches');
  expect(text).toContain('Did you mean');
  expect(text).toContain('account-3');
});

test('/posture <OU> with a name two OUs end with lists both paths and shows neither; the whole path picks one', async () => {
  // An OU with two accounts: one of them moves to an OU of the same name one level down.
  const all = await knownAccounts(h.db.db);
  const moved = all.find((a) => a.ouPath !== 'Root' && all.some((b) => b !== a && b.ouPath === a.ouPath))!;
  const path = moved.ouPath!;
  const name = path.split('/').at(-1)!;
  const nested = `Root/Staging/${name}`;
  await h.db.db.update(accounts).set({ ouPath: nested }).where(eq(accounts.id, moved.id));
  try {
    const { text } = await posture(name.toLowerCase());
    expect(text).not.toContain('posture');
    expect(text).toContain(
      `Several OUs are named ${name.toLowerCase()}: \`${path}\`, \`${nested}\`. Give the whole path.`,
    );
    const picked = await posture(nested);
    expect(picked.text).toContain(`${nested} posture`);
    expect(picked.text).toContain(moved.id);
  } finally {
    await h.db.db.update(accounts).set({ ouPath: path }).where(eq(accounts.id, moved.id));
  }
});
