import canonicalize from 'canonicalize';
import { and, eq } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import type { AwsClients } from '../aws/clients.js';
import { AssumedRoles, roleSession } from '../aws/credentials.js';
import { explainAwsError } from '../aws/errors.js';
import { actionOf, isKnownCall, type PlannedCall, sendPlannedCall } from '../aws/remediation-calls.js';
import type { Config } from '../config.js';
import { eventsAbout } from '../db/audit-events.js';
import type { Database } from '../db/client.js';
import { findings, type RemediationRequest, remediationRequests } from '../db/schema.js';
import type { RequestStatus } from '../domain.js';
import type { PlanContext, Playbook, Readers, Saved, Verification } from '../remediate/playbook.js';
import { PLAYBOOKS } from '../remediate/registry.js';

export interface RunDeps {
  db: Database;
  config: Config;
  clients: AwsClients;
  /** The read-only audit role: what plans are prepared and changes verified with. */
  auditRoles: AssumedRoles;
}

/** Clients with the audit role, for preparing plans and verifying changes. */
export function auditReaders(deps: Pick<RunDeps, 'clients' | 'auditRoles'>): Readers {
  return {
    iam: async (account) => deps.clients.iam(await deps.auditRoles.credentialsFor(account)),
    securityHub: async (account, region) =>
      deps.clients.securityHub(await deps.auditRoles.credentialsFor(account), account, region),
  };
}

/**
 * Reads, with the audit role, what a playbook's plan needs, and returns its input and the exact calls
 * it would make. Throws NotApplicable when the playbook cannot fix this finding as things are now.
 */
export async function preparePlan(
  deps: Pick<RunDeps, 'config' | 'clients' | 'auditRoles'>,
  playbook: Playbook,
  context: Omit<PlanContext, 'config'>,
): Promise<{ input: unknown; plan: PlannedCall[] }> {
  const input = await playbook.prepare({ ...context, config: deps.config }, auditReaders(deps));
  return { input, plan: playbook.plan(input) };
}

/** The answer of a call as it is kept and audited: the SDK's metadata dropped. */
function answerOf(out: unknown): unknown {
  if (!out || typeof out !== 'object') return out ?? null;
  const { $metadata: _m, ...rest } = out as Record<string, unknown>;
  return rest;
}

/**
 * Executes a request that decide() moved to `executing`, once. In dry-run mode it records the plan as
 * what would have been called, and calls nothing. Otherwise it assumes the remediation role in the
 * account (session `warden-remediation-<id>`, so CloudTrail names the request), sends the stored plan
 * call by call, audits each call and its result, stops at the first failure, then verifies with the
 * audit role. The outcome is stored only if the request is still `executing`.
 */
export async function runRequest(
  deps: RunDeps,
  requestId: number,
  now = () => new Date(),
): Promise<RemediationRequest | undefined> {
  const { db } = deps;
  const [request] = await db.select().from(remediationRequests).where(eq(remediationRequests.id, requestId));
  if (request?.status !== 'executing') return request;
  const subject = `remediation:${request.id}`;
  const plan = request.plan as PlannedCall[];
  const playbook = PLAYBOOKS.get(request.playbookId);
  if (!playbook || !plan.every(isKnownCall)) {
    return finish(
      db,
      request,
      { status: 'failed', error: `unknown playbook or call in ${request.playbookId}` },
      now(),
    );
  }
  // The plan is read from the database, which Warden's own role can write: it runs only if it is
  // the plan audited when the request was made, and every call stays in the request's account and
  // region and within the playbook's permissions.
  const [finding] = await db
    .select({ region: findings.region })
    .from(findings)
    .where(eq(findings.id, request.findingId));
  const refused =
    (await planDiffersFromAudited(db, request)) ??
    planProblem(plan, {
      account: request.accountId,
      region: finding?.region ?? '',
      permissions: playbook.permissions,
    });
  if (refused) {
    await appendAudit(db, {
      actor: 'warden:remediation',
      action: 'remediation.plan-refused',
      subject,
      details: { error: refused },
    });
    return finish(db, request, { status: 'failed', error: `the plan was refused: ${refused}` }, now());
  }

  if (request.mode === 'dry-run') {
    await appendAudit(db, {
      actor: 'warden:remediation',
      action: 'remediation.dry-run',
      subject,
      details: { wouldCall: plan },
    });
    return finish(db, request, { status: 'dry-run', result: { wouldCall: plan } }, now());
  }

  const roles = new AssumedRoles(deps.clients.sts(), {
    ...roleSession(
      deps.config.aws.remediationRole,
      `warden-remediation-${request.id}`,
      deps.config.aws.partition,
    ),
    durationSeconds: 900,
  });
  const calls: Array<{ call: string; account: string; region: string; ok: boolean }> = [];
  const saved: Saved = {};
  for (const call of plan) {
    const where = { account: call.account, region: call.region, call: actionOf(call) };
    try {
      const credentials = await roles.credentialsFor(call.account);
      const out = await sendPlannedCall(call, {
        iam: () => deps.clients.iam(credentials),
        securityHub: () => deps.clients.securityHub(credentials, call.account, call.region),
      });
      if (call.saveAs) saved[call.saveAs] = answerOf(out);
      calls.push({ ...where, ok: true });
      await appendAudit(db, {
        actor: 'warden:remediation',
        action: 'remediation.call',
        subject,
        details: {
          ...where,
          params: call.params,
          outcome: 'ok',
          ...(call.saveAs ? { answer: answerOf(out) } : {}),
        },
      });
    } catch (err) {
      const error = explainAwsError(err, where).message;
      calls.push({ ...where, ok: false });
      await appendAudit(db, {
        actor: 'warden:remediation',
        action: 'remediation.call',
        subject,
        details: { ...where, params: call.params, outcome: 'failed', error },
      });
      await appendAudit(db, {
        actor: 'warden:remediation',
        action: 'remediation.failed',
        subject,
        details: { error },
      });
      return finish(db, request, { status: 'failed', error, result: { calls, saved } }, now());
    }
  }

  const verification = await verify(deps, request, saved);
  await appendAudit(db, {
    actor: 'warden:remediation',
    action: verification.ok ? 'remediation.verified' : 'remediation.unverified',
    subject,
    details: { ...verification },
  });
  return finish(
    db,
    request,
    {
      status: verification.ok ? 'succeeded' : 'unverified',
      result: { calls, saved, verification },
      ...(verification.ok
        ? {}
        : { error: `the change was made, but reading it back found: ${verification.detail}` }),
    },
    now(),
  );
}

/**
 * Why a stored plan may not run: a call outside the request's account, outside its region (IAM's
 * calls are `global`), or beyond its playbook's declared permissions. Undefined when every call fits.
 */
export function planProblem(
  plan: readonly PlannedCall[],
  scope: { account: string; region: string; permissions: readonly string[] },
): string | undefined {
  for (const [i, call] of plan.entries()) {
    const action = actionOf(call);
    const where = `call ${i + 1} (${action} in ${call.account}, ${call.region})`;
    if (call.account !== scope.account) return `${where} is outside the request's account ${scope.account}`;
    const region = call.service === 'iam' ? 'global' : scope.region;
    if (call.region !== region) return `${where} is outside the request's region ${region}`;
    if (!scope.permissions.includes(action)) return `${where} is not among the playbook's permissions`;
  }
  return undefined;
}

/** The plan as it was audited when the request was made; a stored plan changed since is refused. */
async function planDiffersFromAudited(
  db: Database,
  request: RemediationRequest,
): Promise<string | undefined> {
  const [requested] = await eventsAbout(db, `remediation:${request.id}`, [
    'remediation.requested',
    'remediation.rollback-requested',
  ]);
  const audited = (requested?.details as { plan?: unknown } | undefined)?.plan;
  if (audited === undefined) return 'no audited plan was found for the request';
  return canonicalize(audited) === canonicalize(request.plan)
    ? undefined
    : 'it differs from the plan audited when the request was made';
}

/** Reads back, with the audit role, that the change (or the rollback) took effect. */
async function verify(deps: RunDeps, request: RemediationRequest, saved: Saved): Promise<Verification> {
  const playbook = PLAYBOOKS.get(request.playbookId)!;
  const read = auditReaders(deps);
  try {
    const input = playbook.input.parse(request.input);
    if (!request.rollbackOf) return await playbook.verify(input, read);
    const [original] = await deps.db
      .select()
      .from(remediationRequests)
      .where(eq(remediationRequests.id, request.rollbackOf));
    const originalSaved = ((original?.result ?? {}) as { saved?: Saved }).saved ?? saved;
    return await playbook.rollback!.verify(input, originalSaved, read);
  } catch (err) {
    return { ok: false, detail: `the read-back failed: ${(err as Error).message}` };
  }
}

async function finish(
  db: Database,
  request: RemediationRequest,
  outcome: { status: RequestStatus; result?: Record<string, unknown>; error?: string },
  at: Date,
): Promise<RemediationRequest> {
  const [row] = await db
    .update(remediationRequests)
    .set({
      status: outcome.status,
      result: outcome.result ?? null,
      error: outcome.error ?? null,
      executionFinishedAt: at,
    })
    .where(and(eq(remediationRequests.id, request.id), eq(remediationRequests.status, 'executing')))
    .returning();
  return row ?? request;
}
