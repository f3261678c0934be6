import { sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import {
  type EvaluatedStatus,
  type Framework,
  noRequirementCounts,
  type Requirement,
  type RequirementStatus,
  requirementStatus,
  SECURITY_CONTROL_ID,
  withRelatedRequirements,
  worstStatus,
} from '../findings/frameworks.js';
import { findAccount, findOu, knownAccounts } from './accounts.js';
import { standardAlias, standardName } from './compliance.js';

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
  const counts = noRequirementCounts();
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

/**
 * What a word names: a framework by its id (with the standard it scores, when enabled), or an
 * enabled standard by its alias (with the framework that maps it, if any). Undefined: neither.
 */
export function frameworkNamed(
  frameworks: Framework[],
  enabledStandards: string[],
  word: string,
): { framework: Framework | undefined; standard: string | undefined } | undefined {
  const w = word.toLowerCase();
  const framework = frameworks.find((f) => f.id === w);
  if (framework) {
    const standard =
      framework.standard && enabledStandards.includes(framework.standard) ? framework.standard : undefined;
    return { framework, standard };
  }
  const standard = enabledStandards.find((id) => standardAlias(id) === w);
  if (!standard) return undefined;
  return { framework: frameworks.find((f) => f.standard === standard), standard };
}

/**
 * A standard no mapping file covers, as a framework: each of its controls is a requirement, evaluated
 * by the security control its results carry (FSBP's IAM.4 is IAM.4; CIS v1.2.0's 1.12 is IAM.4).
 */
export async function standardAsFramework(db: Database, standardId: string): Promise<Framework> {
  const rows = await rawRows<{ control_id: string; title: string; security_control_id: string | null }>(
    db,
    sql`select c.control_id, c.title,
        coalesce((select min(s.security_control_id) from control_statuses s
          where s.standard_id = c.standard_id and s.control_id = c.control_id),
          case when c.control_id ~ ${SECURITY_CONTROL_ID.source} then c.control_id end) as security_control_id
      from standard_controls c where c.standard_id = ${standardId}`,
  );
  return {
    id: standardAlias(standardId),
    name: standardName(standardId),
    version: '',
    standard: standardId,
    relatedRequirements: null,
    requirements: rows
      .map((r) => ({
        id: r.control_id,
        title: r.title,
        controls: r.security_control_id ? [r.security_control_id] : [],
        checks: [],
      }))
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })),
    file: `Security Hub's ${standardName(standardId)}`,
  };
}

/** The organization, an OU or an account, with its accounts: what compliance is read and reported for. */
export interface ComplianceScopeOf {
  kind: 'organization' | 'ou' | 'account';
  /** '' for the organization, the OU path, or the account id. */
  id: string;
  title: string;
  accountIds: string[];
}

/**
 * What `where` names: nothing (the organization), an account (id, name or alias), or an OU (name, path
 * or id; the root is the organization); `ambiguous` lists the OUs a name ends; undefined: nothing.
 */
export async function complianceScopeNamed(
  db: Database,
  where: string,
): Promise<ComplianceScopeOf | { ambiguous: string[] } | undefined> {
  const accounts = await knownAccounts(db);
  const organization: ComplianceScopeOf = {
    kind: 'organization',
    id: '',
    title: 'the organization',
    accountIds: accounts.map((a) => a.id),
  };
  if (!where.trim()) return organization;
  const found = await findAccount(db, where);
  if (found.account) {
    const { id, name } = found.account;
    return { kind: 'account', id, title: `${name} (${id})`, accountIds: [id] };
  }
  const ou = await findOu(db, where);
  if (!ou || 'ambiguous' in ou) return ou;
  if (!ou.path.includes('/')) return organization;
  return { kind: 'ou', id: ou.path, title: ou.path, accountIds: ou.accounts.map((a) => a.id) };
}
