import { sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import {
  type EvaluatedStatus,
  type Framework,
  type Requirement,
  type RequirementStatus,
  requirementStatus,
  withRelatedRequirements,
  worstStatus,
} from '../findings/frameworks.js';

export type { Framework, RequirementStatus };

/** A control's (or Warden check's) evaluation in one account: its status and how many resources failed and passed. */
export interface EvaluatedControl {
  status: EvaluatedStatus;
  failed: number;
  passed: number;
}

/** A requirement evaluated in a scope: its status there, and each account's. */
export interface EvaluatedRequirement extends Requirement {
  status: RequirementStatus;
  /** Each account of the scope with the requirement's status there, by account id. */
  accounts: Array<{ accountId: string; status: RequirementStatus }>;
}

export interface FrameworkEvaluation {
  framework: Framework;
  requirements: EvaluatedRequirement[];
  /** How many requirements have each status in the scope. */
  counts: Record<RequirementStatus, number>;
  /** Each account's controls and checks as evaluated, by account id then control id (the evidence). */
  controls: Map<string, Map<string, EvaluatedControl>>;
}

/** Each security control Warden has seen with the framework requirements its findings relate it to. */
export async function relatedRequirements(
  db: Database,
): Promise<Array<{ controlId: string; requirements: string[] }>> {
  const rows = await rawRows<{ control_id: string; requirements: string[] }>(
    db,
    sql`select control_id, requirements from security_controls where jsonb_array_length(requirements) > 0`,
  );
  return rows.map((r) => ({ controlId: r.control_id, requirements: r.requirements }));
}

/**
 * The statuses of these controls and Warden checks in these accounts, as the last scans left them:
 * a security control from `control_statuses` (its evaluations in every standard where it is enabled
 * for the account: failed in one is failed), a check from its latest result. Suppressed evaluations do
 * not count, as in Security Hub. Accounts without an evaluation of a control are absent.
 */
export async function evaluatedControls(
  db: Database,
  ids: { controls: string[]; checks: string[] },
  accountIds: string[],
): Promise<Map<string, Map<string, EvaluatedControl>>> {
  const accounts = textArray(accountIds);
  const rows = await rawRows<{
    account_id: string;
    control_id: string;
    status: EvaluatedStatus;
    failed: number;
    passed: number;
  }>(
    db,
    sql`
    select c.account_id, c.security_control_id as control_id,
      case when bool_or(c.status = 'failed') then 'failed' when bool_or(c.status = 'unknown') then 'unknown'
        when bool_or(c.status = 'passed') then 'passed' else 'no-data' end as status,
      max(c.failed)::int as failed, max(c.passed)::int as passed
    from control_statuses c
    where c.security_control_id = any(${textArray(ids.controls)}::text[]) and c.status <> 'disabled'
      and c.account_id = any(${accounts}::text[])
    group by c.account_id, c.security_control_id
    union all
    select r.account_id, r.control_id,
      case when bool_or(r.status = 'FAILED') then 'failed'
        when bool_or(r.status in ('WARNING', 'NOT_AVAILABLE')) then 'unknown'
        when bool_or(r.status = 'PASSED') then 'passed' else 'no-data' end,
      coalesce(sum((r.evidence->>'failing')::int), 0)::int, count(*) filter (where r.status = 'PASSED')::int
    from control_results r
    where r.source = 'credential-report' and r.control_id = any(${textArray(ids.checks)}::text[])
      and not r.suppressed and r.account_id = any(${accounts}::text[])
    group by r.account_id, r.control_id`,
  );
  const byAccount = new Map<string, Map<string, EvaluatedControl>>();
  for (const r of rows) {
    const controls = byAccount.get(r.account_id) ?? new Map<string, EvaluatedControl>();
    controls.set(r.control_id, { status: r.status, failed: r.failed, passed: r.passed });
    byAccount.set(r.account_id, controls);
  }
  return byAccount;
}

/**
 * A framework's requirements evaluated in a scope (these accounts): each requirement's status in
 * each account from its controls and checks, and in the scope the worst of them (failed in one
 * account is failed in the OU).
 */
export async function evaluateFramework(
  db: Database,
  framework: Framework,
  accountIds: string[],
): Promise<FrameworkEvaluation> {
  const requirements = withRelatedRequirements(framework, await relatedRequirements(db));
  const ids = {
    controls: [...new Set(requirements.flatMap((r) => r.controls))],
    checks: [...new Set(requirements.flatMap((r) => r.checks))],
  };
  const controls = await evaluatedControls(db, ids, accountIds);
  const counts: Record<RequirementStatus, number> = {
    failed: 0,
    unknown: 0,
    passed: 0,
    'no-data': 0,
    manual: 0,
  };
  const evaluated = requirements.map((req): EvaluatedRequirement => {
    const accounts = accountIds.map((accountId) => ({
      accountId,
      status: requirementStatus(req, (id) => controls.get(accountId)?.get(id)?.status),
    }));
    const status =
      accounts.length === 0
        ? requirementStatus(req, () => undefined)
        : worstStatus(accounts.map((a) => a.status));
    counts[status]++;
    return { ...req, status, accounts };
  });
  return { framework, requirements: evaluated, counts, controls };
}

/**
 * The requirements' score as a standard's is read: passed over those with data (passed, failed,
 * unknown), in basis points; null when none has data.
 */
export function requirementScore(counts: Record<RequirementStatus, number>): number | null {
  const decided = counts.passed + counts.failed + counts.unknown;
  return decided === 0 ? null : Math.round((10_000 * counts.passed) / decided);
}
