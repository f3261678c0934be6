import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { auditEvents, type Finding, findings, remediationRequests } from '../../src/db/schema.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { FINDING_ACTIONS, findingBlockId } from '../../src/slack/blocks/finding.js';
import {
  REMEDIATION_ACTIONS,
  REMEDIATION_CALLBACKS,
  requestBlockId,
} from '../../src/slack/blocks/remediation.js';
import { channelIdOf } from '../support/fake-slack.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// Remediation in Slack, end to end: the request modal with its plan read from the simulated account,
// DMs to the people who may approve, refusals, approval and execution, the outcome everywhere, a
// rollback, a rejection, the Home tab and /remediate.

const ALICE = 'U0ALICE'; // owns account-1 by its owner tag
const CAROL = 'U0CAROL'; // owns account-1 by the policy file
const ADMIN = 'U0ADMIN';
const EVE = 'U0EVE';
const ACCOUNT_1 = '100000000001';

let h: ScanHarness;
let s: SlackHarness;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 2, regions: ['us-east-1'], failedPerAccountRegion: 2 });
  scenario.accounts[1]!.iam = {
    users: ['deploy-bot', 'ci-bot', 'etl-bot', 'web-bot', 'ops-bot'].map((name) => ({
      name,
      createdDaysAgo: 400,
      keys: [{ ageDays: 200, lastUsedDaysAgo: 1 }],
    })),
  };
  h = await scanHarness(scenario);
  await h.scan({ full: true });
  s = await slackHarness(h.db.db, { WARDEN_REMEDIATION_MODE: 'execute' });
  s.config.policy.admins = [ADMIN];
  s.config.policy.owners = { [ACCOUNT_1]: [CAROL] };
  s.config.policy.routing = { defaultChannel: '#security', ous: {}, auditChannel: '#audit-trail' };
  for (const [id, email] of [
    [ALICE, 'owner-1@example.com'],
    [CAROL, 'carol@example.com'],
    [ADMIN, 'admin@example.com'],
    [EVE, 'eve@example.com'],
  ] as const)
    s.slack.users.set(id, email);
});
afterAll(async () => {
  await s.close();
  await h.close();
});

const taken = new Set<number>();
async function staleKeyFinding(): Promise<Finding> {
  const rows = await h.db.db
    .select()
    .from(findings)
    .where(and(eq(findings.accountId, ACCOUNT_1), eq(findings.generatorId, 'warden/access-key-not-rotated')))
    .orderBy(findings.id);
  const f = rows.find((r) => !taken.has(r.id))!;
  taken.add(f.id);
  return f;
}
const keyOf = (user: string) => h.sim.world.account(ACCOUNT_1)!.users.find((u) => u.name === user)!.keys[0]!;
const requestOf = async (findingId: number) =>
  (
    await h.db.db
      .select()
      .from(remediationRequests)
      .where(eq(remediationRequests.findingId, findingId))
      .orderBy(remediationRequests.id)
  ).at(-1)!;
const reasonValues = (reason: string) => ({ reason: { value: { type: 'plain_text_input', value: reason } } });
const dmsTo = (user: string) => s.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === user);

/** Alice asks for the first playbook on a finding, with a reason; returns the stored request. */
async function requestFor(f: Finding, responseId: string) {
  await s.act({
    actionId: FINDING_ACTIONS.remediate,
    blockId: findingBlockId(f.id, { kind: 'card' }),
    user: ALICE,
    responseId,
  });
  const updates = await s.slack.waitFor('views.update', s.slack.callsTo('views.update').length + 1);
  const view = updates.at(-1)!.args.view as { private_metadata: string; blocks: unknown[] };
  const res = await s.submit({
    callbackId: REMEDIATION_CALLBACKS.request,
    privateMetadata: view.private_metadata,
    values: {
      ...reasonValues('key older than 90 days'),
      playbook: {
        [REMEDIATION_ACTIONS.choosePlaybook]: {
          type: 'static_select',
          selected_option: { value: 'deactivate-access-key' },
        },
      },
    },
    user: ALICE,
  });
  expect(res.status).toBe(200);
  await s.answer(responseId);
  return { view, request: await requestOf(f.id) };
}

async function clickOnRequest(actionId: string, requestId: number, user: string, responseId: string) {
  const res = await s.act({ actionId, blockId: requestBlockId(requestId), user, responseId });
  expect(res.status).toBe(200);
}

/** Clicks a button that opens a modal, and returns the modal once Warden has opened it. */
async function modalFrom(actionId: string, requestId: number, user: string, responseId: string) {
  const opened = s.slack.callsTo('views.open').length;
  await clickOnRequest(actionId, requestId, user, responseId);
  const calls = await s.slack.waitFor('views.open', opened + 1);
  return calls.at(-1)!.args.view as { callback_id: string; private_metadata: string };
}

test('a request shows its exact plan, reaches the approvers but not the requester, refuses the wrong people, and runs on approval', async () => {
  const f = await staleKeyFinding();
  const user = (f.evidence as { user: string }).user;
  const { view, request } = await requestFor(f, 'q1');
  const opened = s.slack.callsTo('views.open').at(-1)!.args.view as { blocks: unknown[] };
  expect(JSON.stringify(opened.blocks)).toContain('Reading the account');
  const modal = JSON.stringify(view.blocks);
  expect(modal).toContain('`iam:UpdateAccessKey` in `100000000001`');
  expect(modal).toContain(keyOf(user).id);
  expect(modal).toContain('\\"Status\\":\\"Inactive\\"');
  expect((await s.answer('q1')).args.text).toMatch(/Remediation #\d+ .* is waiting for an approval/);
  expect(request).toMatchObject({ status: 'pending', requestedBy: ALICE, reason: 'key older than 90 days' });

  expect(dmsTo(CAROL)).toHaveLength(1);
  expect(dmsTo(ADMIN)).toHaveLength(1);
  expect(dmsTo(ALICE)).toHaveLength(0);
  const posted = s.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === '#security');
  expect(posted).toHaveLength(1);
  expect(JSON.stringify(dmsTo(CAROL)[0]!.args.blocks)).toContain(REMEDIATION_ACTIONS.approve);
  // Approvers see what approving does: the mode was fixed when the request was made.
  expect(JSON.stringify(dmsTo(CAROL)[0]!.args.blocks)).toContain('Approving makes these calls.');

  await clickOnRequest(REMEDIATION_ACTIONS.approve, request.id, ALICE, 'ap1');
  expect((await s.answer('ap1')).args.text).toMatch(
    /cannot approve remediation #\d+: nobody decides their own request/,
  );
  await clickOnRequest(REMEDIATION_ACTIONS.approve, request.id, EVE, 'ap2');
  expect((await s.answer('ap2')).args.text).toMatch(
    /cannot approve .*only the owners of account 100000000001/,
  );
  expect(keyOf(user).active).toBe(true);

  await clickOnRequest(REMEDIATION_ACTIONS.approve, request.id, CAROL, 'ap3');
  await s.slack.waitFor('chat.postMessage', s.slack.callsTo('chat.postMessage').length + 1);
  await expect.poll(async () => (await requestOf(f.id)).status).toBe('succeeded');
  expect(keyOf(user).active).toBe(false);
  // The requester hears the outcome, the channel's thread too, and every message shows it.
  await expect.poll(() => dmsTo(ALICE).length).toBe(1);
  expect(JSON.stringify(dmsTo(ALICE)[0]!.args.blocks)).toContain('Done and verified');
  // The thread's reply is the last thing said about the outcome.
  const threadReply = () =>
    s.slack
      .callsTo('chat.postMessage')
      .find((c) => c.args.channel === channelIdOf('#security') && c.args.thread_ts)?.args.text;
  await expect.poll(threadReply).toMatch(/succeeded/);
  // A change to an account publishes the audit trail's head at once, beside the daily anchor.
  const heads = () => s.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === '#audit-trail');
  await expect.poll(() => heads().length).toBe(1);
  expect(heads()[0]!.args.text).toMatch(/^Audit trail head: event \d+ .*`\d+:[0-9a-f]{64}`/);
  const updates = s.slack
    .callsTo('chat.update')
    .filter((c) => JSON.stringify(c.args.blocks).includes(`Remediation #${request.id}`));
  expect(JSON.stringify(updates.at(-1)!.args.blocks)).toContain('Roll back…');

  // Roll back: asked why, approved like any request, and the key is active again.
  const reasonModal = await modalFrom(REMEDIATION_ACTIONS.rollback, request.id, ALICE, 'rb1');
  expect(reasonModal.callback_id).toBe(REMEDIATION_CALLBACKS.rollback);
  await s.submit({
    callbackId: REMEDIATION_CALLBACKS.rollback,
    privateMetadata: reasonModal.private_metadata,
    values: reasonValues('the CI still uses it'),
    user: ALICE,
  });
  expect((await s.answer('rb1')).args.text).toMatch(
    /Rollback #\d+ of remediation #\d+ is waiting for approval/,
  );
  const rollback = await requestOf(f.id);
  expect(rollback).toMatchObject({ rollbackOf: request.id, status: 'pending' });
  await clickOnRequest(REMEDIATION_ACTIONS.approve, rollback.id, ADMIN, 'rb2');
  await expect.poll(async () => (await requestOf(f.id)).status).toBe('succeeded');
  expect(keyOf(user).active).toBe(true);
});

test('a rejection needs a reason (shown on the field), ends the request, and the requester is told why', async () => {
  const f = await staleKeyFinding();
  const { request } = await requestFor(f, 'q2');
  const modal = await modalFrom(REMEDIATION_ACTIONS.reject, request.id, CAROL, 'rj1');
  expect(modal.callback_id).toBe(REMEDIATION_CALLBACKS.reject);
  const empty = await s.submit({
    callbackId: modal.callback_id,
    privateMetadata: modal.private_metadata,
    values: reasonValues(' '),
    user: CAROL,
  });
  expect(await empty.json()).toEqual({
    response_action: 'errors',
    errors: { reason: 'A reason is required.' },
  });
  const before = dmsTo(ALICE).length;
  await s.submit({
    callbackId: modal.callback_id,
    privateMetadata: modal.private_metadata,
    values: reasonValues('billing still uses it'),
    user: CAROL,
  });
  await expect.poll(async () => (await requestOf(f.id)).status).toBe('rejected');
  await expect.poll(() => dmsTo(ALICE).length).toBe(before + 1);
  expect(JSON.stringify(dmsTo(ALICE).at(-1)!.args.blocks)).toContain('billing still uses it');
  expect(keyOf((f.evidence as { user: string }).user).active).toBe(true);
});

test('the Home tab lists the requests I may approve, with their buttons; approving there publishes the tab again', async () => {
  const f = await staleKeyFinding();
  const { request } = await requestFor(f, 'q3');
  await s.event({ type: 'app_home_opened', user: CAROL, channel: 'D0CAROL', tab: 'home' });
  const home = async () =>
    JSON.stringify(
      (
        s.slack
          .callsTo('views.publish')
          .filter((c) => c.args.user_id === CAROL)
          .at(-1)!.args.view as { blocks: unknown[] }
      ).blocks,
    );
  await expect.poll(home).toContain(`#${request.id} Deactivate the access key`);
  expect(await home()).toContain(requestBlockId(request.id));
  const published = s.slack.callsTo('views.publish').length;
  await s.act({
    actionId: REMEDIATION_ACTIONS.approve,
    blockId: requestBlockId(request.id),
    user: CAROL,
    home: true,
  });
  await s.slack.waitFor('views.publish', published + 1);
  await expect.poll(async () => (await requestOf(f.id)).status).toBe('succeeded');
  expect(await home()).not.toContain(requestBlockId(request.id));
});

test('/remediate opens the modal for a finding by its number; anything else gets the usage', async () => {
  const f = await staleKeyFinding();
  const opened = s.slack.callsTo('views.open').length;
  await s.command('/remediate', `#${f.id}`, ALICE, 'c1');
  await s.slack.waitFor('views.open', opened + 1);
  const usage = await s.command('/remediate', '', ALICE, 'c2');
  expect(JSON.stringify(await usage.json())).toContain('Usage: `/remediate <finding>`');
  await s.command('/remediate', '#999999', ALICE, 'c3');
  expect((await s.answer('c3')).text).toContain('No finding is `#999999`');
  await s.command('/remediate', `#${f.id}`, EVE, 'c4');
  expect((await s.answer('c4')).args.text).toMatch(/You cannot request a remediation of this/);
});

describe('forms are opened only for those who may use them, and only Warden’s forms are accepted', () => {
  const denials = async (subject: string) =>
    (
      await h.db.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.subject, subject))
        .orderBy(auditEvents.seq)
    ).filter((e) => e.action === 'permission.denied');

  test('Reject… and Roll back… open nothing for someone who may not use them; they are told, and it is audited', async () => {
    const f = await staleKeyFinding();
    const { request } = await requestFor(f, 'q5');
    const opened = s.slack.callsTo('views.open').length;
    await clickOnRequest(REMEDIATION_ACTIONS.reject, request.id, EVE, 'fx1');
    expect((await s.answer('fx1')).args.text).toBe(
      `:no_entry: You cannot reject remediation #${request.id}: only the owners of account ${ACCOUNT_1}, the approvers and the admins may decide.`,
    );
    await clickOnRequest(REMEDIATION_ACTIONS.reject, request.id, ALICE, 'fx2');
    expect((await s.answer('fx2')).args.text).toBe(
      `:no_entry: You cannot reject remediation #${request.id}: nobody decides their own request.`,
    );
    // A pending request has changed nothing: there is nothing to roll back, whoever asks.
    await clickOnRequest(REMEDIATION_ACTIONS.rollback, request.id, CAROL, 'fx3');
    expect((await s.answer('fx3')).args.text).toMatch(
      new RegExp(
        `^:no_entry: Remediation #${request.id} cannot be rolled back: only a change that was made can be rolled back`,
      ),
    );
    await clickOnRequest(REMEDIATION_ACTIONS.rollback, request.id, EVE, 'fx4');
    expect((await s.answer('fx4')).args.text).toMatch(/^:no_entry: /);
    expect(s.slack.callsTo('views.open').length).toBe(opened);
    const refused = (await denials(`remediation:${request.id}`)).map((e) => e.actor);
    expect(refused).toEqual(expect.arrayContaining([EVE, ALICE]));
  });

  test('a submitted form Warden never opened, or whose metadata it did not write, is refused and audited', async () => {
    const before = (await denials('slack:view')).length;
    const dms = dmsTo(EVE).length;
    expect(
      (await s.submit({ callbackId: 'transfer-ownership', privateMetadata: '{}', values: {}, user: EVE }))
        .status,
    ).toBe(200);
    await s.submit({
      callbackId: REMEDIATION_CALLBACKS.reject,
      privateMetadata: '{"id":"1 or 1=1"}',
      values: reasonValues('forged'),
      user: EVE,
    });
    await expect.poll(async () => (await denials('slack:view')).length).toBe(before + 2);
    // Both submissions are worked on after their acks, at once: their denials land in either order.
    const refusals = (await denials('slack:view')).slice(before).map((e) => e.details);
    expect(refusals).toHaveLength(2);
    expect(refusals).toEqual(
      expect.arrayContaining([
        { attempted: 'form transfer-ownership', reason: 'Warden did not draw this form' },
        { attempted: `form ${REMEDIATION_CALLBACKS.reject}`, reason: 'Warden did not draw this form' },
      ]),
    );
    await expect.poll(() => dmsTo(EVE).length).toBe(dms + 2);
    expect(dmsTo(EVE).at(-1)!.args.text).toBe(
      ':no_entry: That form is not one Warden drew; nothing was done.',
    );
  });
});
