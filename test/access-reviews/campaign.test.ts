import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../../src/aws/credentials.js';
import { reportText } from '../../src/cli/review-report.js';
import { accessReviewItems, auditEvents, findings, remediationRequests } from '../../src/db/schema.js';
import { dailyDigest, weeklyDigest } from '../../src/digest/sections.js';
import { createLogger } from '../../src/log.js';
import { dailyFigures, weeklyFigures } from '../../src/posture/digest-figures.js';
import { complianceScopeNamed } from '../../src/posture/frameworks.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { followUpReviews } from '../../src/slack/access-reviews.js';
import { REVIEW_ACTIONS, REVIEW_CALLBACKS, reviewBlockId } from '../../src/slack/blocks/access-review.js';
import { REMEDIATION_ACTIONS, requestBlockId } from '../../src/slack/blocks/remediation.js';
import { slackClients } from '../../src/slack/web-client.js';
import { digestText } from '../../src/terminal.js';
import { catchUp, reviewReport, revoke } from '../../src/workflow/access-reviews.js';
import { makeEvidencePack } from '../../src/workflow/evidence.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// An access review end to end, through the real Bolt app and the fake Slack, on the simulated
// organization: an admin starts it, the owner decides in place (keep, not mine, revoke), the person
// named decides what was handed over, nobody reviews their own access, a revocation becomes
// remediation requests that run once approved, principals created or deleted meanwhile join or
// close, and the report holds every decision.

const CAROL = 'U0CAROL'; // owns account 1 by the policy file
const OLIVE = 'U0OLIVE'; // owns account 1 by its owner tag (owner-1@example.com)
const DAVE = 'U0DAVE';
const ADMIN = 'U0ADMIN';
const EVE = 'U0EVE'; // an approver
const ACCOUNT_1 = '100000000001';

let h: ScanHarness;
let s: SlackHarness;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 2, regions: ['us-east-1'], failedPerAccountRegion: 1 });
  scenario.accounts[1]!.iam = {
    users: [
      {
        name: 'alice',
        createdDaysAgo: 400,
        password: { lastUsedDaysAgo: 200 },
        keys: [{ ageDays: 300, lastUsedDaysAgo: 150, lastUsedService: 's3' }],
        groups: ['developers'],
        policies: { attached: ['PowerUserAccess'], inline: [] },
      },
      { name: 'bob', createdDaysAgo: 100, keys: [{ ageDays: 20, lastUsedDaysAgo: 1 }] },
      { name: 'carol', createdDaysAgo: 100, password: { lastUsedDaysAgo: 1 }, mfa: true },
      { name: 'ci-bot', createdDaysAgo: 50, keys: [{ ageDays: 50, lastUsedDaysAgo: 0 }] },
      { name: 'erin', createdDaysAgo: 50, tags: { contact: 'Owner-1@example.com' } },
    ],
    roles: [
      {
        name: 'VendorAudit',
        trust: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::999999999999:root' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        lastUsedDaysAgo: 90,
      },
      {
        name: 'OrgAdmin',
        trust: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::100000000000:root' },
              Action: 'sts:AssumeRole',
            },
          ],
        },
      },
    ],
  };
  h = await scanHarness(scenario);
  await h.scan({ full: true });
  s = await slackHarness(h.db.db, { WARDEN_REMEDIATION_MODE: 'execute' });
  s.config.policy.admins = [ADMIN];
  s.config.policy.approvers = [EVE];
  s.config.policy.owners = { [ACCOUNT_1]: [CAROL] };
  for (const [id, email] of [
    [CAROL, 'carol@example.com'],
    [OLIVE, 'owner-1@example.com'],
    [DAVE, 'dave@example.com'],
    [ADMIN, 'admin@example.com'],
    [EVE, 'eve@example.com'],
  ] as const)
    s.slack.users.set(id, email);
});
afterAll(async () => {
  await s.close();
  await h.close();
});

const dmsTo = (user: string) => s.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === user);
const items = async () => new Map((await h.db.db.select().from(accessReviewItems)).map((i) => [i.name, i]));
const audited = async (action: string) =>
  h.db.db.select().from(auditEvents).where(eq(auditEvents.action, action));

/** Clicks a principal's button and returns the modal Warden opened. */
async function open(actionId: string, item: number, user: string, responseId: string) {
  const opened = s.slack.callsTo('views.open').length;
  const res = await s.act({ actionId, blockId: reviewBlockId(item), value: String(item), user, responseId });
  expect(res.status).toBe(200);
  const calls = await s.slack.waitFor('views.open', opened + 1);
  return calls.at(-1)!.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
}

/** Clicks a principal's button as someone Warden refuses: no modal, and what they were told. */
async function refused(actionId: string, item: number, user: string, responseId: string) {
  const opened = s.slack.callsTo('views.open').length;
  const res = await s.act({ actionId, blockId: reviewBlockId(item), value: String(item), user, responseId });
  expect(res.status).toBe(200);
  const told = String((await s.answer(responseId)).args.text);
  expect(s.slack.callsTo('views.open')).toHaveLength(opened);
  return told;
}

const text = (value: string) => ({ value: { type: 'plain_text_input', value } });

test('a campaign: started by an admin, decided in place by owners and by whom they name, revocations approved and run, reported', async () => {
  // Only an admin starts one; the refusal is audited.
  await s.command('/warden', 'review start 100000000001 2099-01-31', CAROL, 'c1');
  expect((await s.answer('c1')).args.text).toBe('Only Warden admins can start an access review.');
  expect((await audited('permission.denied')).at(-1)!.details).toMatchObject({
    attempted: 'access review start',
  });
  await s.command('/warden', 'review start 100000000001 2099-01-31', ADMIN, 'c2');
  expect((await s.answer('c2')).args.text).toBe(
    "Access review #1 of accounts 100000000001 started: 6 principals in 1 accounts, due 2099-01-31; 2 reviewers' messages sent.",
  );
  expect(dmsTo(OLIVE)).toHaveLength(1);

  // The owner's one message lists every user and the externally trusted role, not the org-internal one.
  const [message] = dmsTo(CAROL);
  const shown = JSON.stringify(message!.args.blocks);
  for (const name of ['alice', 'bob', 'carol', 'ci-bot', 'erin', 'VendorAudit'])
    expect(shown).toContain(`\`${name}\``);
  expect(shown).not.toContain('OrgAdmin');
  expect(shown).toContain('trusted by account 999999999999');
  expect(shown).toContain('Groups: developers · Policies: PowerUserAccess');
  expect(shown).toContain('Console: yes (*no MFA*), used 200 days ago');
  expect(shown).toContain('Console: yes (MFA), used 1 day ago');
  const byName = await items();

  // Keep, with a note.
  const keepModal = await open(REVIEW_ACTIONS.keep, byName.get('bob')!.id, CAROL, 'k1');
  expect(keepModal!.callback_id).toBe(REVIEW_CALLBACKS.keep);
  await s.submit({
    callbackId: REVIEW_CALLBACKS.keep,
    privateMetadata: keepModal!.private_metadata,
    values: { note: text('deploys production') },
    user: CAROL,
  });
  expect((await s.answer('k1')).args.text).toMatch(/bob keeps its access/);
  expect((await items()).get('bob')).toMatchObject({
    decision: 'keep',
    note: 'deploys production',
    decidedBy: CAROL,
  });
  // Redrawn in place: bob's buttons are gone from the owner's message.
  const redrawn = (await s.slack.waitFor('chat.update', 1)).at(-1)!;
  expect(JSON.stringify(redrawn.args.blocks)).not.toContain(reviewBlockId(byName.get('bob')!.id));
  expect(JSON.stringify(redrawn.args.blocks)).toContain('1 decided');

  // Nobody reviews their own access: Carol cannot decide on the user `carol`; an admin can.
  expect(await refused(REVIEW_ACTIONS.keep, byName.get('carol')!.id, CAROL, 'self')).toMatch(
    /you cannot review your own access \(carol\); nothing changed/,
  );

  // Someone who reviews nothing here, and an item that does not exist: refused, audited, nothing changes.
  expect(await refused(REVIEW_ACTIONS.revoke, byName.get('erin')!.id, EVE, 'x1')).toMatch(
    /only the reviewers of erin \(or an admin\) may decide on it/,
  );
  // A user tagged with a reviewer's email is theirs: Olive cannot decide on erin.
  expect(await refused(REVIEW_ACTIONS.keep, byName.get('erin')!.id, OLIVE, 'x3')).toMatch(
    /you cannot review your own access \(erin\)/,
  );
  expect(await refused(REVIEW_ACTIONS.keep, 99_999, CAROL, 'x2')).toMatch(
    /access review item 99999 does not exist/,
  );
  expect((await audited('permission.denied')).map((e) => e.subject)).toEqual(
    expect.arrayContaining([`access-review-item:${byName.get('erin')!.id}`, 'access-review-item:99999']),
  );
  expect((await items()).get('erin')!.decision).toBe('pending');

  // Not mine: ci-bot goes to Dave, who gets it in a message of his own; Carol no longer decides it.
  const notMine = await open(REVIEW_ACTIONS.notMine, byName.get('ci-bot')!.id, CAROL, 'n1');
  await s.submit({
    callbackId: REVIEW_CALLBACKS.notMine,
    privateMetadata: notMine!.private_metadata,
    values: { owner: { value: { type: 'users_select', selected_user: DAVE } }, note: text('the CI team’s') },
    user: CAROL,
  });
  expect((await s.answer('n1')).args.text).toMatch(/ci-bot is <@U0DAVE>’s to decide now/);
  await expect.poll(() => dmsTo(DAVE).length).toBe(1);
  expect(JSON.stringify(dmsTo(DAVE).at(-1)!.args.blocks)).toContain('`ci-bot`');
  expect(await refused(REVIEW_ACTIONS.keep, byName.get('ci-bot')!.id, CAROL, 'n2')).toMatch(
    /only the reviewers of ci-bot/,
  );
  const davesKeep = await open(REVIEW_ACTIONS.keep, byName.get('ci-bot')!.id, DAVE, 'n3');
  await s.submit({
    callbackId: REVIEW_CALLBACKS.keep,
    privateMetadata: davesKeep!.private_metadata,
    values: {},
    user: DAVE,
  });
  expect((await s.answer('n3')).args.text).toMatch(/ci-bot keeps its access/);
  expect((await items()).get('ci-bot')).toMatchObject({ decision: 'keep', reviewer: DAVE, decidedBy: DAVE });

  // Revoke needs a reason; then alice's password and key become requests, approved as any request
  // (the password cannot be restored: two approvals, one of them by an owner who did not ask) and run.
  const revokeModal = await open(REVIEW_ACTIONS.revoke, byName.get('alice')!.id, CAROL, 'r1');
  const blank = await s.submit({
    callbackId: REVIEW_CALLBACKS.revoke,
    privateMetadata: revokeModal!.private_metadata,
    values: { reason: text('  ') },
    user: CAROL,
  });
  expect(await blank.json()).toMatchObject({ response_action: 'errors' });
  expect((await items()).get('alice')!.decision).toBe('pending');
  await s.submit({
    callbackId: REVIEW_CALLBACKS.revoke,
    privateMetadata: revokeModal!.private_metadata,
    values: { reason: text('left the company') },
    user: CAROL,
  });
  expect((await s.answer('r1')).args.text).toMatch(
    /alice is to be revoked .*remediation #\d+, #\d+ wait for approval/,
  );
  const alice = (await items()).get('alice')!;
  expect(alice).toMatchObject({ decision: 'revoke', note: 'left the company' });
  expect(alice.findingIds).toHaveLength(2);
  expect(alice.requestIds).toHaveLength(2);
  for (const id of alice.requestIds) {
    for (const approver of [EVE, OLIVE]) {
      const [request] = await h.db.db
        .select()
        .from(remediationRequests)
        .where(eq(remediationRequests.id, id));
      if (request!.status !== 'pending') break;
      await s.act({
        actionId: REMEDIATION_ACTIONS.approve,
        blockId: requestBlockId(id),
        user: approver,
        responseId: `a${id}${approver}`,
      });
    }
  }
  const simAlice = () => h.sim.world.account(ACCOUNT_1)!.users.find((u) => u.name === 'alice')!;
  await expect.poll(() => simAlice().keys[0]!.active, { timeout: 10_000 }).toBe(false);
  await expect.poll(() => simAlice().password, { timeout: 10_000 }).toBeUndefined();

  // A role marked revoke becomes an open finding for its owners.
  const roleModal = await open(REVIEW_ACTIONS.revoke, byName.get('VendorAudit')!.id, CAROL, 'r2');
  await s.submit({
    callbackId: REVIEW_CALLBACKS.revoke,
    privateMetadata: roleModal!.private_metadata,
    values: { reason: text('vendor contract ended') },
    user: CAROL,
  });
  expect((await s.answer('r2')).args.text).toMatch(
    /VendorAudit is to be revoked .*finding #\d+ is open for the account’s owners/,
  );

  // Mid-campaign: a new user joins it; a deleted one closes as such; alice's password and key are
  // gone (the requests ran), so their findings resolve; the role's stays open until its trust changes.
  h.sim.world.addUser(ACCOUNT_1, { name: 'frank', createdDaysAgo: 0 });
  const account = h.sim.world.account(ACCOUNT_1)!;
  account.users = account.users.filter((u) => u.name !== 'erin');
  const review = (await reviewReport(h.db.db, 1, new Date()))!.review;
  const clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
  try {
    const auditRoles = new AssumedRoles(
      clients.sts(),
      auditRoleSpec(s.config.aws.auditRole, s.config.aws.partition),
    );
    expect(
      await catchUp({ db: h.db.db, config: s.config, clients, auditRoles }, review, new Date()),
    ).toMatchObject({
      joined: 1,
      gone: 1,
      resolved: 2,
    });
  } finally {
    clients.destroy();
  }
  expect((await items()).get('erin')).toMatchObject({ decision: 'gone' });
  expect((await items()).get('frank')).toMatchObject({ decision: 'pending' });
  const revocations = await h.db.db
    .select({ status: findings.status, by: findings.statusChangedBy, source: findings.source })
    .from(findings)
    .where(eq(findings.source, 'access-review'));
  expect(revocations.map((f) => f.status).sort()).toEqual(['open', 'resolved', 'resolved']);

  // The report: every principal, who decided when and why, revocations with their outcome, overdue.
  const late = new Date(Date.parse('2099-02-01T00:00:00Z'));
  const report = (await reviewReport(h.db.db, 1, late))!;
  expect(report.counts).toMatchObject({ total: 7, keep: 2, revoke: 2, gone: 1, pending: 2, overdue: 2 });
  const printed = reportText(report);
  expect(printed).toContain(`alice: revoke by ${CAROL}`);
  expect(printed).toContain(': left the company');
  expect(printed).toMatch(/finding #\d+: remediation #\d+ succeeded/);
  expect(printed).toContain(`user ci-bot: keep by ${DAVE}`);
  expect(printed).toMatch(/Overdue \(2\):\n.*user carol.*\n.*user frank/);
  expect((await audited('access-review.started')).length).toBe(1);
  expect((await audited('access-review.revoked')).length).toBe(2);
  expect((await audited('access-review.reassigned'))[0]!.details).toMatchObject({
    to: DAVE,
    note: 'the CI team’s',
  });
}, 60_000);

test('the follow-up: undecided items are recalled to their reviewers, escalated once past the due date, shown in Home and in the digests', async () => {
  const deps = () => {
    const clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
    const auditRoles = new AssumedRoles(
      clients.sts(),
      auditRoleSpec(s.config.aws.auditRole, s.config.aws.partition),
    );
    const web = slackClients(s.config.slack!, createLogger('silent'));
    return {
      clients,
      deps: { db: h.db.db, config: s.config, clients, auditRoles, log: createLogger('silent'), ...web },
    };
  };
  // Before the due date: a reminder under each reviewer's message, nothing escalated.
  const early = deps();
  const soon = new Date(Date.now() + 4 * 86_400_000);
  try {
    expect(await followUpReviews({ ...early.deps, now: () => soon }, soon)).toMatchObject({
      reviews: 1,
      resolved: 0,
      reminded: 2,
      escalated: 0,
    });
  } finally {
    early.clients.destroy();
  }
  const reminders = s.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts);
  // In each reviewer's DM, under their message (Slack answers a DM's channel as D…).
  expect(reminders.map((c) => c.args.channel).sort()).toEqual(['D0CAROL', 'D0OLIVE']);
  expect(reminders[0]!.args.text).toMatch(
    /Reminder: 2 principals of .* still wait for your decision in access review #1, due 2099-01-31/,
  );

  // Past the due date: the approver hears of the overdue items once; they stay open.
  const late = new Date(Date.parse('2099-02-01T10:00:00Z'));
  const redraws: number[] = [];
  for (let run = 0; run < 2; run++) {
    const later = deps();
    try {
      await followUpReviews({ ...later.deps, now: () => late }, late);
    } finally {
      later.clients.destroy();
    }
    redraws.push(s.slack.callsTo('chat.update').length);
  }
  // The second run found every message showing what it would draw: no Slack call to redraw them.
  expect(redraws[1]).toBe(redraws[0]);
  const escalations = dmsTo(EVE).filter((c) =>
    /Access review #1 was due 2099-01-31/.test(String(c.args.text)),
  );
  expect(escalations).toHaveLength(1);
  expect(escalations[0]!.args.text).toMatch(
    /2 principals are still undecided.*\n• .*: 2 undecided \(carol, frank\)/,
  );
  expect(await audited('access-review.escalated')).toHaveLength(1);
  expect((await items()).get('frank')).toMatchObject({ decision: 'pending' });

  // Home shows a reviewer what waits for them, with its buttons; not their own user.
  const before = s.slack.callsTo('views.publish').length;
  await s.event({ type: 'app_home_opened', user: CAROL, channel: 'D0CAROL', tab: 'home' });
  const home = JSON.stringify((await s.slack.waitFor('views.publish', before + 1)).at(-1)!.args.view);
  expect(home).toMatch(/Access reviews:\*\s*1 principal waits for your decision \(#1/);
  const now = await items();
  expect(home).toContain(reviewBlockId(now.get('frank')!.id));
  expect(home).not.toContain(reviewBlockId(now.get('carol')!.id));

  // The digests show the campaign's progress by OU.
  const figures = await dailyFigures(
    h.db.db,
    { from: new Date(late.getTime() - 86_400_000), to: late },
    s.config.policy,
  );
  expect(digestText(dailyDigest(figures, ''))).toMatch(
    /Access reviews\n.*#1 \(due 2099-01-31\), .*: 5 of 7 decided, 2 overdue/,
  );

  const window = { from: new Date(late.getTime() - 7 * 86_400_000), to: late };
  expect(digestText(weeklyDigest(await weeklyFigures(h.db.db, window, s.config.policy), 'the week'))).toMatch(
    /Access reviews by OU\n.*#1 \(due 2099-01-31\), .*: 5 of 7 decided, 2 overdue/,
  );

  // The auditor's evidence pack holds the campaign, for the accounts of its scope.
  const scope = await complianceScopeNamed(h.db.db, ACCOUNT_1);
  const { pack, files } = await makeEvidencePack(h.db.db, {
    framework: s.config.frameworks.find((f) => f.id === 'cis-aws-3.0')!,
    scope: scope as Exclude<typeof scope, undefined | { ambiguous: string[] }>,
    from: new Date(Date.now() - 86_400_000),
    to: new Date(Date.now() + 86_400_000),
    generatedBy: 'auditor@example.com',
    actor: 'U0AUDIT',
    now: late,
  });
  expect(pack.accessReviews).toHaveLength(1);
  expect(pack.accessReviews[0]!.items.find((i) => i.principal === 'alice')).toMatchObject({
    decision: 'revoke',
    decidedBy: CAROL,
    why: 'left the company',
    revocation: [
      expect.objectContaining({ status: 'succeeded' }),
      expect.objectContaining({ status: 'succeeded' }),
    ],
  });
  const html = files.find((f) => f.name.endsWith('.html'))!.content.toString();
  expect(html).toContain('<h2>Access reviews</h2>');
  expect(html).toMatch(/user carol<\/td><td>overdue, escalated 2099-02-01/);

  // A revocation whose requests were never made (the process stopped in between) gets them from the
  // next follow-up, once, as the person who decided.
  const carol = (await items()).get('carol')!;
  await revoke(
    { db: h.db.db, config: s.config },
    {
      itemId: carol.id,
      who: { userId: ADMIN, email: 'admin@example.com' },
      actor: ADMIN,
      reason: 'no longer needed',
      now: late,
    },
  );
  for (let run = 0; run < 2; run++) {
    const again = deps();
    try {
      await followUpReviews({ ...again.deps, now: () => late }, late);
    } finally {
      again.clients.destroy();
    }
  }
  const resumed = (await items()).get('carol')!;
  expect(resumed.requestIds).toHaveLength(1);
  const [request] = await h.db.db
    .select()
    .from(remediationRequests)
    .where(eq(remediationRequests.id, resumed.requestIds[0]!));
  expect(request).toMatchObject({
    playbookId: 'remove-console-password',
    requestedBy: ADMIN,
    reason: 'no longer needed',
    status: 'pending',
  });
  expect(
    dmsTo(OLIVE).some((c) => JSON.stringify(c.args.blocks).includes(`Remediation #${request!.id}`)),
  ).toBe(true);

  // Decided from Home: Olive keeps frank there; her Home is published again without it.
  const frank = (await items()).get('frank')!;
  const opened = s.slack.callsTo('views.open').length;
  await s.act({
    actionId: REVIEW_ACTIONS.keep,
    blockId: reviewBlockId(frank.id),
    value: String(frank.id),
    user: OLIVE,
    home: true,
  });
  const fromHome = (await s.slack.waitFor('views.open', opened + 1)).at(-1)!.args.view as {
    private_metadata: string;
  };
  const published = s.slack.callsTo('views.publish').length;
  await s.submit({
    callbackId: REVIEW_CALLBACKS.keep,
    privateMetadata: fromHome.private_metadata,
    values: {},
    user: OLIVE,
  });
  const republished = (await s.slack.waitFor('views.publish', published + 1)).at(-1)!;
  expect(republished.args.user_id).toBe(OLIVE);
  expect(JSON.stringify(republished.args.view)).not.toContain('Access reviews:');
  expect((await items()).get('frank')).toMatchObject({ decision: 'keep', decidedBy: OLIVE });
});
