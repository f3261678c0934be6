import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { accounts, auditEvents, findings } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { FINDING_ACTIONS, findingBlockId } from '../../src/slack/blocks/finding.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// Who may read: guests, deactivated users and bots read nothing; with a viewers list, its members
// (named or in a Slack user group) read everything and owners read their own accounts. Refusals are
// audited.

let h: ScanHarness;
let s: SlackHarness;
const ACCOUNT_1 = '100000000001'; // owned by owner-1@example.com (its owner tag)
const ACCOUNT_2 = '100000000002';

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 3, regions: ['us-east-1'], failedPerAccountRegion: 3 });
  h = await scanHarness(scenario);
  await h.scan({ full: true });
  s = await slackHarness(h.db.db);
  const users: Array<[string, string, Record<string, boolean>?]> = [
    ['U0GUEST', 'guest@partner.example', { is_restricted: true }],
    ['U0SINGLE', 'single@partner.example', { is_ultra_restricted: true }],
    ['U0GONE', 'gone@example.com', { deleted: true }],
    ['U0BOT', 'bot@example.com', { is_bot: true }],
    ['U0OWNER', 'owner-1@example.com'],
    ['U0VIEW', 'viewer@example.com'],
    ['U0EVE', 'eve@example.com'],
    ['U0AUDIT', 'auditor@example.com'],
  ];
  for (const [id, email, flags] of users) {
    s.slack.users.set(id, email);
    if (flags) s.slack.userFlags.set(id, flags);
  }
  s.slack.userGroups.set('S0SECOPS', ['U0VIEW']);
});
afterAll(async () => {
  await s.close();
  await h.close();
});

let asked = 0;
async function ask(command: '/findings' | '/posture' | '/compliance', text: string, user: string) {
  const id = `r${asked++}`;
  expect((await s.command(command, text, user, id)).status).toBe(200);
  return (await s.answer(id)).args as { text: string; blocks?: unknown[] };
}
const denialsOf = async (user: string) =>
  h.db.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.actor, user), eq(auditEvents.action, 'permission.denied')));

test('guests, deactivated users and bots read nothing, and each refusal is audited', async () => {
  for (const [user, why] of [
    ['U0GUEST', 'guests of the workspace do not read Warden'],
    ['U0SINGLE', 'guests of the workspace do not read Warden'],
    ['U0GONE', 'the Slack account is deactivated'],
    ['U0BOT', 'bots do not read Warden'],
  ] as const) {
    expect((await ask('/findings', '', user)).text).toBe(`:no_entry: You cannot read findings: ${why}.`);
    expect((await ask('/posture', '', user)).text).toBe(`:no_entry: You cannot read posture: ${why}.`);
    expect((await denialsOf(user)).map((e) => e.subject)).toEqual(['slack:read', 'slack:read']);
  }
  const published = s.slack.callsTo('views.publish').length;
  await s.event({ type: 'app_home_opened', user: 'U0GUEST', channel: 'D0GUEST', tab: 'home' });
  const [home] = (await s.slack.waitFor('views.publish', published + 1)).slice(-1);
  expect(JSON.stringify(home!.args.view)).toContain('guests of the workspace do not read Warden');
});

test('without a viewers list every member reads everything', async () => {
  const { text } = await ask('/posture', '', 'U0EVE');
  expect(text).toBe('Organization posture');
});

test('with a viewers list: its members read everything, owners read their own accounts, others nothing', async () => {
  s.config.policy.viewers = ['S0SECOPS'];
  try {
    expect((await ask('/posture', '', 'U0VIEW')).text).toBe('Organization posture');

    expect((await ask('/posture', '', 'U0OWNER')).text).toBe(
      ':no_entry: You cannot read the organization’s posture: you read the accounts you own: `/posture <account>`.',
    );
    expect((await ask('/posture', ACCOUNT_1, 'U0OWNER')).text).toMatch(/^Posture of /);
    expect((await ask('/posture', ACCOUNT_2, 'U0OWNER')).text).toBe(
      `:no_entry: You cannot read the posture of account ${ACCOUNT_2}: you read the accounts you own.`,
    );
    const owned = JSON.stringify((await ask('/findings', '', 'U0OWNER')).blocks);
    expect(owned).toContain(ACCOUNT_1);
    expect(owned).not.toContain(ACCOUNT_2);
    const all = JSON.stringify((await ask('/findings', '', 'U0VIEW')).blocks);
    expect(all).toContain(ACCOUNT_2);

    // A click on an owned finding draws the page again as its reader may read it.
    const [mine] = await h.db.db
      .select()
      .from(findings)
      .where(and(eq(findings.accountId, ACCOUNT_1), eq(findings.status, 'open')))
      .limit(1);
    const res = await s.act({
      actionId: FINDING_ACTIONS.acknowledge,
      blockId: findingBlockId(mine!.id, { kind: 'findings', query: '', offset: 0 }),
      user: 'U0OWNER',
      responseId: 'redraw1',
    });
    expect(res.status).toBe(200);
    const redrawn = await s.answer('redraw1');
    expect(redrawn.args.replace_original).toBe(true);
    expect(redrawn.text).toContain(`Acknowledged by <@U0OWNER>`);
    expect(redrawn.text).not.toContain(ACCOUNT_2);
    // An OU with accounts they do not own is not theirs to read either.
    const ouOf2 = (await h.db.db.select().from(accounts).where(eq(accounts.id, ACCOUNT_2)))[0]!.ouPath!;
    expect((await ask('/posture', 'Root', 'U0OWNER')).text).toBe(
      ':no_entry: You cannot read the posture of Root: you read the accounts you own.',
    );
    expect((await ask('/posture', ouOf2, 'U0VIEW')).text).toBe(`${ouOf2} posture`);

    expect((await ask('/findings', '', 'U0EVE')).text).toBe(
      ':no_entry: You cannot read findings: reading is open to the policy’s viewers and to each account’s owners.',
    );
    expect((await denialsOf('U0EVE')).length).toBe(1);
  } finally {
    s.config.policy.viewers = [];
  }
});

test('an auditor reads every account, its posture, findings and compliance, and changes nothing', async () => {
  s.config.policy.viewers = ['S0SECOPS'];
  s.config.policy.auditors = ['auditor@example.com'];
  try {
    expect((await ask('/posture', '', 'U0AUDIT')).text).toBe('Organization posture');
    expect(JSON.stringify((await ask('/findings', '', 'U0AUDIT')).blocks)).toContain(ACCOUNT_2);
    expect((await ask('/compliance', '', 'U0AUDIT')).text).toBe('Compliance of the organization');
    const [open] = await h.db.db
      .select()
      .from(findings)
      .where(and(eq(findings.accountId, ACCOUNT_2), eq(findings.status, 'open')))
      .limit(1);
    expect(
      (
        await s.act({
          actionId: FINDING_ACTIONS.acknowledge,
          blockId: findingBlockId(open!.id, { kind: 'findings', query: '', offset: 0 }),
          user: 'U0AUDIT',
          responseId: 'audit1',
        })
      ).status,
    ).toBe(200);
    expect((await s.answer('audit1')).text).toContain(':no_entry:');
    const [after] = await h.db.db.select().from(findings).where(eq(findings.id, open!.id));
    expect(after!.status).toBe('open');
  } finally {
    s.config.policy.viewers = [];
    s.config.policy.auditors = [];
  }
});

test('an owner who asks /findings for an OU sees only the accounts of it they own', async () => {
  s.config.policy.viewers = ['S0SECOPS'];
  try {
    const ouOf2 = (await h.db.db.select().from(accounts).where(eq(accounts.id, ACCOUNT_2)))[0]!.ouPath!;
    const theirs = await ask('/findings', ouOf2.split('/').at(-1)!, 'U0OWNER');
    expect(JSON.stringify(theirs.blocks)).not.toContain(ACCOUNT_2);
    expect(theirs.text).toBe('0 findings');
  } finally {
    s.config.policy.viewers = [];
  }
});
