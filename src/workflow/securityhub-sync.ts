import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import type { AwsClients } from '../aws/clients.js';
import { AssumedRoles, roleSession } from '../aws/credentials.js';
import { explainAwsError, TargetError } from '../aws/errors.js';
import {
  type FindingIdentifier,
  securityHubUpdater,
  updateWorkflow,
  updateWorkflowV2,
  type WorkflowUpdate,
} from '../aws/securityhub-updates.js';
import { ocsfIdentity } from '../collect/securityhub-v2.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { type Finding, findings } from '../db/schema.js';
import { TRIAGE_CARRIER } from '../domain.js';
import { expireSuppressions } from './triage.js';

/**
 * Writes triage decisions back to Security Hub, so that its console and every tool reading it agree
 * with Warden: acknowledge → NOTIFIED, suppress → SUPPRESSED with a note, reopen → NEW. Writes go
 * through the remediation role (the audit role is read-only), from the finding's own account in
 * per-account mode or from the delegated administrator in aggregator mode. Warden's own change has
 * already committed: a failed write-back is recorded on the finding and audited, and the change stands.
 */
export interface WriteBackDeps {
  db: Database;
  config: Config;
  clients: AwsClients;
  /** The remediation role, assumed per account and cached (see writeBackRoles). */
  roles: AssumedRoles;
}

export type WriteBackResult =
  | { status: 'skipped' }
  | { status: 'synced'; workflow: string }
  | { status: 'failed'; error: string };

/** The remediation role as the write-back assumes it; one per process, so credentials are cached. */
export function writeBackRoles(clients: AwsClients, config: Config): AssumedRoles {
  return new AssumedRoles(
    clients.sts(),
    roleSession(config.aws.triageRole, 'warden-triage', config.aws.partition),
  );
}

/** The call each Security Hub takes the update by: CSPM's, or the new one's for findings read through it. */
const CALLS = { cspm: 'securityhub:BatchUpdateFindings', v2: 'securityhub:BatchUpdateFindingsV2' } as const;

/**
 * Sets the Security Hub workflow of these findings (Warden's own checks have nothing to update and
 * are skipped), grouped by the account and region that may update them. Returns each finding's result.
 */
export async function writeBackWorkflow(
  deps: WriteBackDeps,
  rows: Finding[],
  update: WorkflowUpdate,
  actor: string,
  now = new Date(),
): Promise<Map<number, WriteBackResult>> {
  const results = new Map<number, WriteBackResult>(rows.map((r) => [r.id, { status: 'skipped' }]));
  if (!deps.config.aws.securityHubSync) return results;
  const groups = new Map<
    string,
    { where: { account: string; region: string }; api: keyof typeof CALLS; rows: Finding[] }
  >();
  for (const row of rows) {
    if (row.source !== 'securityhub') continue;
    // A finding read through the new Security Hub is updated through it, by the administrator.
    const api = ocsfIdentity(row.evidence) ? 'v2' : 'cspm';
    const where = securityHubUpdater(row, deps.config.aws.securityHub);
    const key = `${where.account}|${where.region}|${api}`;
    const group = groups.get(key) ?? { where, api, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  for (const { where, api, rows: group } of groups.values()) {
    const at = { ...where, call: CALLS[api] };
    const errors = new Map<number, string>();
    try {
      const credentials = await deps.roles.credentialsFor(where.account);
      const client = deps.clients.securityHub(credentials, where.account, where.region);
      const outcome = await (api === 'v2' ? updateWorkflowV2 : updateWorkflow)(
        client,
        group.map(identifierOf),
        update,
      );
      for (const u of outcome.unprocessed) {
        const row = group.find((r) => r.externalId === u.Id && r.productArn === u.ProductArn);
        if (row) errors.set(row.id, new TargetError('error', at, `${u.code}: ${u.message}`).message);
      }
    } catch (err) {
      const message = explainAwsError(err, at).message;
      for (const row of group) errors.set(row.id, message);
    }
    await record(deps.db, group, errors, update, actor, at, now);
    for (const row of group) {
      const error = errors.get(row.id);
      results.set(
        row.id,
        error ? { status: 'failed', error } : { status: 'synced', workflow: update.status },
      );
    }
  }
  return results;
}

const identifierOf = (f: Finding): FindingIdentifier => ({ Id: f.externalId, ProductArn: f.productArn });

/** Stores each finding's write-back outcome and audits it, in one transaction. */
async function record(
  db: Database,
  rows: Finding[],
  errors: Map<number, string>,
  update: WorkflowUpdate,
  actor: string,
  where: { account: string; region: string; call: string },
  now: Date,
): Promise<void> {
  const synced = rows.filter((r) => !errors.has(r.id)).map((r) => r.id);
  await db.transaction(async (tx) => {
    if (synced.length) {
      await tx
        .update(findings)
        .set({ awsWorkflowStatus: update.status, awsSyncedAt: now, awsSyncError: null })
        .where(inArray(findings.id, synced));
    }
    for (const row of rows) {
      const error = errors.get(row.id);
      if (error) await tx.update(findings).set({ awsSyncError: error }).where(eq(findings.id, row.id));
      await appendAudit(tx, {
        actor,
        action: error ? 'finding.securityhub-update-failed' : 'finding.securityhub-updated',
        subject: `finding:${row.id}`,
        details: {
          workflow: update.status,
          ...(update.note ? { note: update.note.text } : {}),
          ...where,
          ...(error ? { error } : {}),
        },
        at: now,
      });
    }
  });
}

/**
 * Reopens the findings whose suppression has ended and sets them back to NEW in Security Hub, then
 * writes back the triage findings took from their issues (the scheduler runs this on a timer).
 * Returns how many were reopened.
 */
export async function reopenExpiredSuppressions(deps: WriteBackDeps, now = new Date()): Promise<number> {
  const reopened = await expireSuppressions(deps.db, now);
  await writeBackWorkflow(
    deps,
    reopened,
    { status: 'NEW', note: { text: 'suppression ended; reopened by Warden', updatedBy: 'Warden' } },
    'warden:expiry',
    now,
  );
  await writeBackCarriedTriage(deps, now);
  return reopened.length;
}

/** How a carried state reads in Security Hub. */
const CARRIED_WORKFLOW = { acknowledged: 'NOTIFIED', suppressed: 'SUPPRESSED' } as const;

/**
 * Sets in Security Hub the workflow of the findings that took their issue's triage (issue-triage.ts)
 * since it last heard of them, as the person's decision was written to the other copies. A
 * write that fails is recorded on the finding (and shown in Slack), and not tried again.
 */
export async function writeBackCarriedTriage(deps: WriteBackDeps, now = new Date()): Promise<void> {
  if (!deps.config.aws.securityHubSync) return;
  const due = await deps.db
    .select()
    .from(findings)
    .where(
      and(
        eq(findings.statusChangedBy, TRIAGE_CARRIER),
        eq(findings.source, 'securityhub'),
        inArray(findings.status, ['acknowledged', 'suppressed']),
        isNull(findings.awsSyncError),
        or(isNull(findings.awsSyncedAt), lt(findings.awsSyncedAt, findings.statusChangedAt)),
      ),
    );
  for (const [status, workflow] of Object.entries(CARRIED_WORKFLOW)) {
    const rows = due.filter((f) => f.status === status);
    if (rows.length)
      await writeBackWorkflow(
        deps,
        rows,
        { status: workflow, note: { text: `${status} with the rest of its issue`, updatedBy: 'Warden' } },
        TRIAGE_CARRIER,
        now,
      );
  }
}
