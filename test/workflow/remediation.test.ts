import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { AssumedRoles, auditRoleSpec } from '../../src/aws/credentials.js';
import type { Config } from '../../src/config.js';
import { auditEvents, type Finding, findings, remediationRequests } from '../../src/db/schema.js';
import type { PlannedCall } from '../../src/remediate/playbook.js';
import { PLAYBOOKS } from '../../src/remediate/registry.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import type { Identity } from '../../src/workflow/policy.js';
import {
  createRequest,
  decide,
  requestRollback,
  rollbackPlan,
  sweepRequests,
} from '../../src/workflow/remediation.js';
import { planProblem, preparePlan, runRequest } from '../../src/workflow/remediation-run.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// Remediation from request to verified change, against the simulated organization: who may approve,
// how many must, exactly one execution, dry runs, failures, the next scan, rollbacks, expiry, crashes.

const ALICE: Identity = { userId: 'U0ALICE', email: 'owner-1@example.com' }; // owns account-1 (tag)
const CAROL: Identity = { userId: 'U0CAROL', email: 'carol@example.com' }; // owns account-1 and -2 (policy file)
const ADMIN: Identity = { userId: 'U0ADMIN', email: 'admin@example.com' };
const EVE: Identity = { userId: 'U0EVE', email: 'eve@example.com' }; // owns nothing
const ADMIN_2: Identity = { userId: 'U0ADMIN2', email: 'admin2@example.com' }; // an admin, when a test makes them one
const ACCOUNT_1 = '100000000001';
const ACCOUNT_2 = '100000000002'; // its remediation role is refused every write
const HOUR = 3_600_000;

let clock = Date.now();
let h: ScanHarness;
let config: Config;
let clients: AwsClients;
let deps: Parameters<typeof runRequest>[0];

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 3, regions: ['us-east-1'], failedPerAccountRegion: 2 });
  for (const account of scenario.accounts.slice(1)) {
    account.iam = {
      users: [
        'deploy-bot',
        'ci-bot',
        'etl-bot',
        'build-bot',
        'sync-bot',
        'report-bot',
        'ops-bot',
        'web-bot',
      ].map((name) => ({
        name,
        createdDaysAgo: 400,
        keys: [{ ageDays: 200, lastUsedDaysAgo: 100 }],
      })),
      passwordPolicy: { MinimumPasswordLength: 8, RequireSymbols: true },
    };
    account.iam.users!.push({ name: 'old-admin', createdDaysAgo: 400, password: { lastUsedDaysAgo: 120 } });
  }
  scenario.accounts[2]!.faults = { writesDenied: true };
  h = await scanHarness(scenario, { WARDEN_REMEDIATION_MODE: 'execute' }, { simNow: () => clock });
  await h.scan({ full: true });
  config = (await import('../../src/config.js')).loadConfig({
    WARDEN_REMEDIATION_MODE: 'execute',
    LOG_LEVEL: 'silent',
  });
  config.policy.admins = [ADMIN.userId];
  config.policy.owners = { [ACCOUNT_1]: [CAROL.userId], [ACCOUNT_2]: [CAROL.userId] };
  clients = new AwsClients({ maxAttempts: 2, maxSockets: 8 });
  deps = {
    db: h.db.db,
    config,
    clients,
    auditRoles: auditRoles(),
  };
});
afterAll(async () => {
  clients.destroy();
  await h.close();
});

const auditRoles = () =>
  new AssumedRoles(clients.sts(), auditRoleSpec(config.aws.auditRole, config.aws.partition));

const taken = new Set<number>();
/** A stored finding of this account and Warden check (one a test has not used yet). */
async function findingOf(account: string, check: string, credential?: string): Promise<Finding> {
  const rows = await h.db.db
    .select()
    .from(findings)
    .where(
      and(
        eq(findings.accountId, account),
        eq(findings.generatorId, `warden/${check}`),
        eq(findings.status, 'open'),
      ),
    )
    .orderBy(findings.id);
  const f = rows.find(
    (r) =>
      !taken.has(r.id) &&
      (credential === undefined || (r.evidence as { credential?: string }).credential === credential),
  )!;
  taken.add(f.id);
  return f;
}

async function request(f: Finding, playbookId: string, by: Identity = ALICE, now = new Date(), cfg = config) {
  const playbook = PLAYBOOKS.get(playbookId)!;
  const { input, plan } = await preparePlan(deps, playbook, {
    finding: f,
    requester: by.email!,
    reason: 'stale key',
  });
  return createRequest(
    h.db.db,
    { finding: f, playbook, input, plan, reason: 'stale key', requestedBy: by.userId },
    cfg,
    now,
  );
}

/** Approves, and runs the request when this approval was the one that started it. */
async function approve(id: number, who: Identity, cfg = config) {
  const decision = await decide(h.db.db, { requestId: id, who, decision: 'approve', config: cfg });
  if (decision.outcome === 'execute') await runRequest({ ...deps, config: cfg }, id);
  return decision;
}

const current = async (id: number) =>
  (await h.db.db.select().from(remediationRequests).where(eq(remediationRequests.id, id)))[0]!;
const keyOf = (account: string, user: string) =>
  h.sim.world.account(account)!.users.find((u) => u.name === user)!.keys[0];
const callsOf = (id: number) =>
  h.sim.world.callLog.filter((c) => c.caller.endsWith(`/warden-remediation-${id}`));
/** A planned call as the simulator logs it: IAM's query protocol sends every value as text. */
const asSent = (c: PlannedCall) => ({
  operation: c.operation,
  params:
    c.service === 'iam'
      ? Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, String(v)]))
      : c.params,
});
const deniedFor = async (id: number) =>
  (
    await h.db.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `remediation:${id}`))
      .orderBy(auditEvents.seq)
  )
    .filter((e) => e.action === 'permission.denied')
    .map((e) => [e.actor, (e.details as { reason: string }).reason]);

describe('who may approve', () => {
  test('the requester cannot approve their own request, nor can someone who does not own the account; both are audited', async () => {
    const r = await request(await findingOf(ACCOUNT_1, 'access-key-not-rotated'), 'deactivate-access-key');
    expect(await decide(h.db.db, { requestId: r.id, who: ALICE, decision: 'approve', config })).toEqual({
      outcome: 'refused',
      reason: 'nobody decides their own request',
    });
    expect((await decide(h.db.db, { requestId: r.id, who: EVE, decision: 'approve', config })).outcome).toBe(
      'refused',
    );
    expect(await deniedFor(r.id)).toEqual([
      ['U0ALICE', 'nobody decides their own request'],
      ['U0EVE', `only the owners of account ${ACCOUNT_1}, the approvers and the admins may decide`],
    ]);
    expect((await current(r.id)).status).toBe('pending');
  });

  test('an irreversible playbook needs two approvals by two people: the first leaves it pending, the same person again is refused, another executes it', async () => {
    const f = await findingOf(ACCOUNT_1, 'unused-credentials', 'access_key_1');
    const r = await request(f, 'delete-access-key');
    expect(r.requiredApprovals).toBe(2);
    expect((await approve(r.id, CAROL)).outcome).toBe('approved');
    expect((await current(r.id)).status).toBe('pending');
    expect(await approve(r.id, CAROL)).toEqual({
      outcome: 'refused',
      reason: 'you have already decided this request',
    });
    expect(callsOf(r.id)).toEqual([]);
    expect((await approve(r.id, ADMIN)).outcome).toBe('execute');
    expect((await current(r.id)).status).toBe('succeeded');
    expect(
      h.sim.world
        .account(ACCOUNT_1)!
        .users.find((u) => u.name === (r.input as { userName: string }).userName)!.keys,
    ).toEqual([]);
  });

  test('a request that needs two approvals needs one from an owner: two admins are not enough, unless the policy says so', async () => {
    // Dry runs in account 2, so that no key the other tests use is touched.
    const twoAdmins = {
      ...config,
      aws: { ...config.aws, remediation: { ...config.aws.remediation, mode: 'dry-run' as const } },
      policy: { ...config.policy, admins: [ADMIN.userId, ADMIN_2.userId] },
    };
    const f = await findingOf(ACCOUNT_2, 'unused-credentials', 'access_key_1');
    const r = await request(f, 'delete-access-key', ALICE, new Date(), twoAdmins);
    expect(r.requiredApprovals).toBe(2);
    expect((await approve(r.id, ADMIN, twoAdmins)).outcome).toBe('approved');
    expect(await approve(r.id, ADMIN_2, twoAdmins)).toEqual({
      outcome: 'refused',
      reason: `one of its 2 approvals must come from an owner of account ${ACCOUNT_2}, and none has yet`,
    });
    expect((await current(r.id)).status).toBe('pending');
    expect((await approve(r.id, CAROL, twoAdmins)).outcome).toBe('execute');

    const either = {
      ...twoAdmins,
      policy: {
        ...twoAdmins.policy,
        remediation: { ...twoAdmins.policy.remediation, ownerAmongApprovers: false },
      },
    };
    const s = await request(f, 'delete-access-key', ALICE, new Date(), either);
    expect((await approve(s.id, ADMIN, either)).outcome).toBe('approved');
    expect((await approve(s.id, ADMIN_2, either)).outcome).toBe('execute');
  });

  test('a rejection needs a reason, and ends the request', async () => {
    const r = await request(await findingOf(ACCOUNT_1, 'access-key-not-rotated'), 'deactivate-access-key');
    expect(
      (await decide(h.db.db, { requestId: r.id, who: CAROL, decision: 'reject', reason: ' ', config }))
        .outcome,
    ).toBe('refused');
    expect(
      (
        await decide(h.db.db, {
          requestId: r.id,
          who: CAROL,
          decision: 'reject',
          reason: 'used by billing',
          config,
        })
      ).outcome,
    ).toBe('rejected');
    expect((await approve(r.id, ADMIN)).outcome).toBe('refused');
    expect((await current(r.id)).status).toBe('rejected');
  });
});

test('two approvals racing: exactly one execution, one write to AWS', async () => {
  const f = await findingOf(ACCOUNT_1, 'access-key-not-rotated');
  const r = await request(f, 'deactivate-access-key');
  expect(r.requiredApprovals).toBe(1);
  const outcomes = await Promise.all([approve(r.id, CAROL), approve(r.id, ADMIN)]);
  expect(outcomes.map((o) => o.outcome).sort()).toEqual(['execute', 'refused']);
  expect(callsOf(r.id).map((c) => c.operation)).toEqual(['UpdateAccessKey']);
  expect((await current(r.id)).status).toBe('succeeded');
});

test('the two approvals a request needs, given at the same moment: both count, and it executes once', async () => {
  const f = await findingOf(ACCOUNT_1, 'unused-credentials', 'access_key_1');
  const r = await request(f, 'delete-access-key');
  expect(r.requiredApprovals).toBe(2);
  const outcomes = await Promise.all([approve(r.id, CAROL), approve(r.id, ADMIN)]);
  expect(outcomes.map((o) => o.outcome).sort()).toEqual(['approved', 'execute']);
  expect(callsOf(r.id).map((c) => c.operation)).toEqual(['DeleteAccessKey']);
});

describe('modes', () => {
  test('dry-run records the plan as what would be called, and calls nothing, even once Warden executes', async () => {
    const dryRun = {
      ...config,
      aws: { ...config.aws, remediation: { ...config.aws.remediation, mode: 'dry-run' as const } },
    };
    const f = await findingOf(ACCOUNT_1, 'access-key-not-rotated');
    // Requested in dry-run mode; approved after WARDEN_REMEDIATION_MODE became execute.
    const r = await request(f, 'deactivate-access-key', ALICE, new Date(), dryRun);
    expect(r.mode).toBe('dry-run');
    const before = h.sim.world.callLog.length;
    await approve(r.id, CAROL, config);
    const done = await current(r.id);
    expect(done).toMatchObject({ status: 'dry-run', mode: 'dry-run', result: { wouldCall: r.plan } });
    expect(h.sim.world.callLog.length).toBe(before);
    expect(keyOf(ACCOUNT_1, (r.input as { userName: string }).userName)!.active).toBe(true);
  });

  test('execute makes exactly the planned calls, in order, and verifies with the audit role', async () => {
    const f = await findingOf(ACCOUNT_1, 'password-policy-weak');
    const r = await request(f, 'cis-password-policy');
    await approve(r.id, CAROL);
    expect(callsOf(r.id).map((c) => ({ operation: c.operation, params: c.params }))).toEqual(
      (r.plan as PlannedCall[]).map(asSent),
    );
    expect((r.plan as PlannedCall[]).map((c) => c.operation)).toEqual([
      'GetAccountPasswordPolicy',
      'UpdateAccountPasswordPolicy',
    ]);
    expect(await current(r.id)).toMatchObject({
      status: 'succeeded',
      result: { verification: { ok: true, detail: 'the password policy is length 14, reuse prevention 24' } },
    });
    const actions = (
      await h.db.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.subject, `remediation:${r.id}`))
        .orderBy(auditEvents.seq)
    ).map((e) => e.action);
    expect(actions).toEqual([
      'remediation.requested',
      'remediation.approved',
      'remediation.execution-started',
      'remediation.call',
      'remediation.call',
      'remediation.verified',
    ]);
    // Rollback: the old policy is back.
    const original = await current(r.id);
    const rollback = await requestRollback(
      h.db.db,
      { original, finding: f, reason: 'breaks SSO', requestedBy: ALICE.userId },
      config,
    );
    await approve(rollback.id, CAROL);
    expect(h.sim.world.account(ACCOUNT_1)!.passwordPolicy).toMatchObject({
      MinimumPasswordLength: 8,
      RequireSymbols: true,
    });
    expect(h.sim.world.account(ACCOUNT_1)!.passwordPolicy!.PasswordReusePrevention).toBeUndefined();
    expect(await current(rollback.id)).toMatchObject({
      status: 'succeeded',
      result: { verification: { ok: true } },
    });
  });
});

test('a failing execution (AccessDenied) marks the request failed with the AWS error; the finding and the key are unchanged', async () => {
  const f = await findingOf(ACCOUNT_2, 'access-key-not-rotated');
  const r = await request(f, 'deactivate-access-key', CAROL);
  await approve(r.id, ADMIN);
  const failed = await current(r.id);
  expect(failed.status).toBe('failed');
  expect(failed.error).toMatch(
    /^iam:UpdateAccessKey in account 100000000002 \(global\): AccessDenied: .*not authorized to perform: iam:UpdateAccessKey/,
  );
  expect((await h.db.db.select().from(findings).where(eq(findings.id, f.id)))[0]!.status).toBe('open');
  expect(keyOf(ACCOUNT_2, (r.input as { userName: string }).userName)!.active).toBe(true);
});

test('after a verified remediation, the next scan resolves the finding; a rollback makes the key active again', async () => {
  const f = await findingOf(ACCOUNT_1, 'access-key-not-rotated');
  const r = await request(f, 'deactivate-access-key');
  await approve(r.id, CAROL);
  const user = (r.input as { userName: string }).userName;
  expect(keyOf(ACCOUNT_1, user)!.active).toBe(false);
  // IAM regenerates a credential report at most every 4 hours.
  clock += 5 * HOUR;
  // Credentials issued before the simulator's clock jumped have expired there.
  deps.auditRoles = auditRoles();
  await h.scan({ full: true });
  expect((await h.db.db.select().from(findings).where(eq(findings.id, f.id)))[0]!.status).toBe('resolved');

  const original = await current(r.id);
  const rollback = await requestRollback(
    h.db.db,
    { original, finding: f, reason: 'still needed', requestedBy: ALICE.userId },
    config,
  );
  await approve(rollback.id, CAROL);
  expect(keyOf(ACCOUNT_1, user)!.active).toBe(true);
  expect((await current(rollback.id)).status).toBe('succeeded');
  expect(() => rollbackPlan(original, PLAYBOOKS.get('delete-access-key')!)).toThrow(/cannot be undone/);
});

test('an expired request cannot be approved; a request left executing by a crash is flagged, never run', async () => {
  const r = await request(
    await findingOf(ACCOUNT_1, 'unused-credentials', 'password'),
    'remove-console-password',
    ALICE,
    new Date(Date.now() - 73 * HOUR),
  );
  expect(await approve(r.id, CAROL)).toEqual({
    outcome: 'refused',
    reason: 'the request has expired; ask for it again',
  });
  expect((await current(r.id)).status).toBe('expired');

  // The scheduler's sweep expires what nobody approved in time, before anyone tries.
  const unapproved = await request(
    await findingOf(ACCOUNT_1, 'unused-credentials', 'access_key_1'),
    'delete-access-key',
    ALICE,
    new Date(Date.now() - 73 * HOUR),
  );
  const stuck = await request(await findingOf(ACCOUNT_1, 'access-key-not-rotated'), 'deactivate-access-key');
  await h.db.db
    .update(remediationRequests)
    .set({ status: 'executing', mode: 'execute', executionStartedAt: new Date(Date.now() - 20 * 60_000) })
    .where(eq(remediationRequests.id, stuck.id));
  const swept = await sweepRequests(h.db.db);
  expect(swept.expired.map((s) => s.id)).toEqual([unapproved.id]);
  expect((await current(unapproved.id)).status).toBe('expired');
  expect(swept.stuck.map((s) => s.id)).toEqual([stuck.id]);
  expect((await current(stuck.id)).status).toBe('needs-attention');
  await runRequest(deps, stuck.id);
  expect(callsOf(stuck.id)).toEqual([]);
});

describe('a stored plan is run only as it was requested', () => {
  test('a plan changed in the database after the request is refused: nothing is called, and it is audited', async () => {
    const f = await findingOf(ACCOUNT_1, 'access-key-not-rotated');
    const r = await request(f, 'deactivate-access-key');
    // Whoever holds Warden's database role points the approved call at another account.
    const moved = (r.plan as PlannedCall[]).map((c) => ({ ...c, account: ACCOUNT_2 }));
    await h.db.db.update(remediationRequests).set({ plan: moved }).where(eq(remediationRequests.id, r.id));
    const before = h.sim.world.callLog.length;
    await approve(r.id, CAROL);
    expect(await current(r.id)).toMatchObject({
      status: 'failed',
      error: 'the plan was refused: it differs from the plan audited when the request was made',
    });
    expect(h.sim.world.callLog.length).toBe(before);
    const refused = await h.db.db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.subject, `remediation:${r.id}`),
          eq(auditEvents.action, 'remediation.plan-refused'),
        ),
      );
    expect(refused).toHaveLength(1);
  });

  test('every call must stay in the request’s account and region, within the playbook’s permissions', () => {
    const call = (over: Partial<PlannedCall>): PlannedCall =>
      ({
        service: 'iam',
        operation: 'UpdateAccessKey',
        account: ACCOUNT_1,
        region: 'global',
        params: {},
        ...over,
      }) as PlannedCall;
    const scope = {
      account: ACCOUNT_1,
      region: 'us-east-1',
      permissions: ['iam:UpdateAccessKey', 'securityhub:BatchUpdateFindings'],
    };
    expect(planProblem([call({})], scope)).toBeUndefined();
    expect(planProblem([call({}), call({ account: ACCOUNT_2 })], scope)).toBe(
      `call 2 (iam:UpdateAccessKey in ${ACCOUNT_2}, global) is outside the request's account ${ACCOUNT_1}`,
    );
    expect(
      planProblem(
        [call({ service: 'securityhub', operation: 'BatchUpdateFindings', region: 'eu-west-1' })],
        scope,
      ),
    ).toBe(
      `call 1 (securityhub:BatchUpdateFindings in ${ACCOUNT_1}, eu-west-1) is outside the request's region us-east-1`,
    );
    expect(planProblem([call({ operation: 'DeleteAccessKey' })], scope)).toBe(
      `call 1 (iam:DeleteAccessKey in ${ACCOUNT_1}, global) is not among the playbook's permissions`,
    );
  });
});
