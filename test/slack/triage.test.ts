import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { auditEvents, type Finding, findings, suppressions } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { FINDING_ACTIONS, type FindingView, findingBlockId } from '../../src/slack/blocks/finding.js';
import { SUPPRESS_CALLBACK } from '../../src/slack/blocks/suppress.js';
import { reopenExpiredSuppressions, writeBackRoles } from '../../src/workflow/securityhub-sync.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// Triage from Slack, end to end: signed clicks through the real Bolt receiver, the database, the audit
// trail, and the write-back to the simulated Security Hub through the remediation role.

const ALICE = 'U0ALICE'; // owns account-1 (its owner tag names her email)
const BOB = 'U0BOB'; // owns account-2, whose remediation role is refused every write
const EVE = 'U0EVE'; // owns nothing
const ACCOUNT_1 = '100000000001';
const ACCOUNT_2 = '100000000002';
const DAY = 86_400_000;

let h: ScanHarness;
let s: SlackHarness;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 3, regions: ['us-east-1'], failedPerAccountRegion: 12 });
  scenario.accounts[2]!.faults = { writesDenied: true };
  h = await scanHarness(scenario);
  await h.scan({ full: true });
  s = await slackHarness(h.db.db);
  s.slack.users.set(ALICE, 'owner-1@example.com');
  s.slack.users.set(BOB, 'owner-2@example.com');
  s.slack.users.set(EVE, 'eve@example.com');
});
afterAll(async () => {
  await s.close();
  await h.close();
});

/** Open Security Hub findings of an account not used by an earlier test. */
const taken = new Set<number>();
async function freshFinding(accountId: string): Promise<Finding> {
  const rows = await h.db.db
    .select()
    .from(findings)
    .where(
      and(eq(findings.accountId, accountId), eq(findings.source, 'securityhub'), eq(findings.status, 'open')),
    )
    .orderBy(findings.id);
  const f = rows.find((r) => !taken.has(r.id))!;
  taken.add(f.id);
  return f;
}

const reread = async (id: number) => (await h.db.db.select().from(findings).where(eq(findings.id, id)))[0]!;
const eventsAbout = (id: number) =>
  h.db.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.subject, `finding:${id}`))
    .orderBy(auditEvents.seq);
const inSecurityHub = (f: Finding) => h.sim.world.findFinding(f.externalId)!;

let answers = 0;
/** Clicks a finding's button as `user` and returns what Warden posted to the message's response_url. */
async function click(actionId: string, f: Finding, user: string, view: FindingView = { kind: 'card' }) {
  const responseId = `t${answers++}`;
  const res = await s.act({ actionId, blockId: findingBlockId(f.id, view), user, responseId });
  expect(res.status).toBe(200);
  return s.answer(responseId);
}

describe('acknowledge', () => {
  test('someone who owns nothing is refused, told why, and audited; nothing changes here or in Security Hub', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const writes = h.sim.world.calls('BatchUpdateFindings');
    const { args } = await click(FINDING_ACTIONS.acknowledge, f, EVE);
    expect(args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(args.text).toMatch(/You cannot acknowledge this: only the owners of account 100000000001/);
    expect((await reread(f.id)).status).toBe('open');
    expect((await eventsAbout(f.id)).map((e) => [e.actor, e.action])).toEqual([[EVE, 'permission.denied']]);
    expect(inSecurityHub(f).workflow).toBe('NEW');
    expect(h.sim.world.calls('BatchUpdateFindings')).toBe(writes);
  });

  test('an owner acknowledges: the state changes, the message is redrawn in place, the audit says so, and Security Hub shows NOTIFIED', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const { args, text } = await click(FINDING_ACTIONS.acknowledge, f, ALICE, {
      kind: 'findings',
      query: 'account-1',
      offset: 0,
    });
    expect(args.replace_original).toBe(true);
    expect(text).toContain('Findings matching');
    expect(text).toContain(`Acknowledged by <@${ALICE}>`);
    expect(text).toContain('Security Hub workflow: NOTIFIED');
    expect(await reread(f.id)).toMatchObject({
      status: 'acknowledged',
      statusChangedBy: ALICE,
      awsWorkflowStatus: 'NOTIFIED',
      awsSyncError: null,
    });
    expect((await eventsAbout(f.id)).map((e) => [e.actor, e.action])).toEqual([
      [ALICE, 'finding.acknowledged'],
      [ALICE, 'finding.securityhub-updated'],
    ]);
    expect(inSecurityHub(f).workflow).toBe('NOTIFIED');
  });

  test('the same click delivered twice changes the state once: one audit event, one write to Security Hub', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const writes = h.sim.world.calls('BatchUpdateFindings');
    const blockId = findingBlockId(f.id, { kind: 'card' });
    const twice = await Promise.all(
      ['d1', 'd2'].map((responseId) =>
        s.act({ actionId: FINDING_ACTIONS.acknowledge, blockId, user: ALICE, responseId }),
      ),
    );
    expect(twice.map((r) => r.status)).toEqual([200, 200]);
    await s.answer('d1');
    await s.answer('d2');
    expect((await eventsAbout(f.id)).map((e) => e.action)).toEqual([
      'finding.acknowledged',
      'finding.securityhub-updated',
    ]);
    expect(h.sim.world.calls('BatchUpdateFindings')).toBe(writes + 1);
  });

  test('when Security Hub refuses the write-back the local change stands, and the message and the audit say why', async () => {
    const f = await freshFinding(ACCOUNT_2);
    const { text } = await click(FINDING_ACTIONS.acknowledge, f, BOB);
    expect(text).toContain(`Acknowledged by <@${BOB}>`);
    expect(text).toContain(
      'Security Hub was not updated: securityhub:BatchUpdateFindings in account 100000000002 (us-east-1)',
    );
    expect(text).toContain('AccessDeniedException');
    const row = await reread(f.id);
    expect(row.status).toBe('acknowledged');
    expect(row.awsSyncError).toMatch(/not authorized to perform: securityhub:BatchUpdateFindings/);
    const events = await eventsAbout(f.id);
    expect(events.map((e) => e.action)).toEqual([
      'finding.acknowledged',
      'finding.securityhub-update-failed',
    ]);
    expect(events[1]!.details).toMatchObject({
      account: ACCOUNT_2,
      region: 'us-east-1',
      workflow: 'NOTIFIED',
    });
    expect(inSecurityHub(f).workflow).toBe('NEW');
  });
});

describe('forged and stale payloads', () => {
  test('an owner clicking on a finding of an account they do not own is refused, as is a block id Warden never wrote', async () => {
    const theirs = await freshFinding(ACCOUNT_2);
    expect((await click(FINDING_ACTIONS.acknowledge, theirs, ALICE)).args.text).toMatch(
      /You cannot acknowledge/,
    );
    expect((await reread(theirs.id)).status).toBe('open');

    const res = await s.act({
      actionId: FINDING_ACTIONS.acknowledge,
      blockId: 'finding:x:c',
      user: ALICE,
      responseId: 'g1',
    });
    expect(res.status).toBe(200);
    expect((await s.answer('g1')).args.text).toMatch(/does not name a Warden finding/);
  });

  test('an action Warden never drew is refused at once and audited; nothing changes', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const before = await h.db.db.$count(auditEvents);
    const res = await s.act({
      actionId: 'finding-delete',
      blockId: findingBlockId(f.id, { kind: 'card' }),
      user: ALICE,
      responseId: 'u1',
    });
    expect(res.status).toBe(200);
    expect((await s.answer('u1')).args.text).toMatch(/not one of Warden’s; nothing was done/);
    const [denial] = await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.seq, before + 1));
    expect(denial).toMatchObject({ actor: ALICE, action: 'permission.denied', subject: 'slack:action' });
    expect(await h.db.db.$count(auditEvents)).toBe(before + 1);
    expect((await reread(f.id)).status).toBe('open');
  });
});

describe('suppress', () => {
  const suppressValues = (reason: string, date: string) => ({
    reason: { value: { type: 'plain_text_input', value: reason } },
    expiry: { value: { type: 'datepicker', selected_date: date } },
  });
  const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  test('Suppress… opens a modal only for someone who may change the finding', async () => {
    const f = await freshFinding(ACCOUNT_1);
    await click(FINDING_ACTIONS.suppress, f, EVE);
    expect(s.slack.callsTo('views.open')).toHaveLength(0);
    await s.act({
      actionId: FINDING_ACTIONS.suppress,
      blockId: findingBlockId(f.id, { kind: 'card' }),
      user: ALICE,
    });
    const [open] = await s.slack.waitFor('views.open');
    const view = open!.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(SUPPRESS_CALLBACK);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ b: findingBlockId(f.id, { kind: 'card' }) });
  });

  test('no reason, or an end date past the policy’s maximum: the modal shows the error and nothing changes; a valid one suppresses, writes back, and expires', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const metadata = JSON.stringify({
      b: findingBlockId(f.id, { kind: 'card' }),
      r: s.slack.responseUrl('s1'),
    });
    const submit = (reason: string, date: string) =>
      s.submit({
        callbackId: SUPPRESS_CALLBACK,
        privateMetadata: metadata,
        values: suppressValues(reason, date),
        user: ALICE,
      });

    const inAWeek = isoDay(Date.now() + 7 * DAY);
    const noReason = await submit('   ', inAWeek);
    expect(await noReason.json()).toEqual({
      response_action: 'errors',
      errors: { reason: 'A reason is required.' },
    });
    const tooFar = await submit('vendor patch due', isoDay(Date.now() + 91 * DAY));
    expect(await tooFar.json()).toEqual({
      response_action: 'errors',
      errors: { expiry: 'The expiry may be at most 90 days away.' },
    });
    expect((await reread(f.id)).status).toBe('open');
    expect(await h.db.db.$count(suppressions, eq(suppressions.findingId, f.id))).toBe(0);

    const ok = await submit('vendor patch due', inAWeek);
    expect(ok.status).toBe(200);
    const { args, text } = await s.answer('s1');
    expect(args.replace_original).toBe(true);
    expect(text).toContain(`Suppressed by <@${ALICE}> until`);
    expect(text).toContain('vendor patch due');
    expect((await reread(f.id)).status).toBe('suppressed');
    expect(inSecurityHub(f)).toMatchObject({
      workflow: 'SUPPRESSED',
      note: { Text: `by owner-1@example.com until ${inAWeek}: vendor patch due`, UpdatedBy: 'Warden' },
    });

    // The scheduler's expiry: the finding reopens here and in Security Hub once its date has passed.
    const clients = new AwsClients({ maxAttempts: 3, maxSockets: 4 });
    const deps = { db: h.db.db, config: s.config, clients, roles: writeBackRoles(clients, s.config) };
    expect(await reopenExpiredSuppressions(deps, new Date(Date.now() + 6 * DAY))).toBe(0);
    expect(await reopenExpiredSuppressions(deps, new Date(Date.now() + 8 * DAY))).toBe(1);
    clients.destroy();
    expect(await reread(f.id)).toMatchObject({ status: 'open', statusChangedBy: 'warden:expiry' });
    expect(inSecurityHub(f).workflow).toBe('NEW');
    expect((await eventsAbout(f.id)).map((e) => e.action)).toEqual([
      'finding.suppressed',
      'finding.securityhub-updated',
      'suppression.expired',
      'finding.securityhub-updated',
    ]);
  });

  test('Unsuppress reopens a suppressed finding, and Reopen undoes an acknowledgement, both in Security Hub too', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const metadata = JSON.stringify({
      b: findingBlockId(f.id, { kind: 'card' }),
      r: s.slack.responseUrl('s2'),
    });
    await s.submit({
      callbackId: SUPPRESS_CALLBACK,
      privateMetadata: metadata,
      values: suppressValues('accepted', isoDay(Date.now() + 3 * DAY)),
      user: ALICE,
    });
    await s.answer('s2');
    expect((await click(FINDING_ACTIONS.unsuppress, f, ALICE)).text).toContain('Reopened by');
    expect(inSecurityHub(f).workflow).toBe('NEW');
    await click(FINDING_ACTIONS.acknowledge, f, ALICE);
    expect(inSecurityHub(f).workflow).toBe('NOTIFIED');
    await click(FINDING_ACTIONS.reopen, f, ALICE);
    expect(await reread(f.id)).toMatchObject({ status: 'open', awsWorkflowStatus: 'NEW' });
    expect(inSecurityHub(f).workflow).toBe('NEW');
  });
});

describe('assign', () => {
  test('the assignee gets a direct message with the finding; picking the same person again changes nothing', async () => {
    const f = await freshFinding(ACCOUNT_1);
    const blockId = findingBlockId(f.id, { kind: 'account', accountId: ACCOUNT_1 });
    await s.act({
      actionId: FINDING_ACTIONS.assign,
      blockId,
      selectedUser: 'U0CAROL',
      user: ALICE,
      responseId: 'as1',
    });
    const { text } = await s.answer('as1');
    expect(text).toContain('Assigned to <@U0CAROL>');
    const [dm] = await s.slack.waitFor('chat.postMessage');
    expect(dm!.args.channel).toBe('U0CAROL');
    expect(JSON.stringify(dm!.args.blocks)).toContain(`<@${ALICE}> assigned this finding to you`);
    expect(JSON.stringify(dm!.args.blocks)).toContain(f.title);

    await s.act({
      actionId: FINDING_ACTIONS.assign,
      blockId,
      selectedUser: 'U0CAROL',
      user: ALICE,
      responseId: 'as2',
    });
    await s.answer('as2');
    expect(s.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect((await reread(f.id)).assignee).toBe('U0CAROL');
    expect((await eventsAbout(f.id)).map((e) => e.action)).toEqual(['finding.assigned']);
  });
});

test('with WARDEN_SECURITYHUB_SYNC=false triage stays in Warden: nothing is written to Security Hub', async () => {
  const quiet = await slackHarness(h.db.db, { WARDEN_SECURITYHUB_SYNC: 'false' });
  quiet.slack.users.set(ALICE, 'owner-1@example.com');
  try {
    const f = await freshFinding(ACCOUNT_1);
    const writes = h.sim.world.calls('BatchUpdateFindings');
    await quiet.act({
      actionId: FINDING_ACTIONS.acknowledge,
      blockId: findingBlockId(f.id, { kind: 'card' }),
      user: ALICE,
      responseId: 'q1',
    });
    expect((await quiet.answer('q1')).text).toContain('Acknowledged by');
    expect((await reread(f.id)).status).toBe('acknowledged');
    expect(h.sim.world.calls('BatchUpdateFindings')).toBe(writes);
    expect(inSecurityHub(f).workflow).toBe('NEW');
  } finally {
    await quiet.close();
  }
});
