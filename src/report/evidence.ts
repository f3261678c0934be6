import { sql } from 'drizzle-orm';
import { verifyAuditChain } from '../audit/verify.js';
import { auditEventPages, chainHead } from '../db/audit-events.js';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import type { Account } from '../db/schema.js';
import { WARDEN_GENERATOR } from '../findings/checks.js';
import { type Framework, noRequirementCounts, type RequirementStatus } from '../findings/frameworks.js';
import { periodReviews, type ReviewReport } from '../posture/access-reviews.js';
import { knownAccounts } from '../posture/accounts.js';
import { type StandardScore, standardName, standardScoreOf } from '../posture/compliance.js';
import {
  type ComplianceScopeOf,
  type EvaluatedControl,
  evaluateFramework,
  requirementScore,
} from '../posture/frameworks.js';

/**
 * The auditor's evidence pack for one framework, one scope and one period, as data: what every
 * rendering (HTML, PDF, CSV) shows. Built from what Warden keeps: the requirements' statuses from
 * the last scans, the findings of the period (first seen, resolved), suppressions, remediation
 * requests and the audit trail.
 */

export type EvidenceScope = ComplianceScopeOf;

export interface EvidenceRequest {
  framework: Framework;
  scope: EvidenceScope;
  /** The period: from its first instant to `to`, excluded. */
  from: Date;
  to: Date;
  generatedBy: string;
  now: Date;
}

/** A failing resource of the period: a finding of one of a requirement's controls or checks. */
export interface EvidenceFinding {
  findingId: number;
  accountId: string;
  /** The control or Warden check it is a finding of. */
  controlId: string;
  title: string;
  severity: string;
  region: string;
  resourceId: string;
  firstSeenAt: Date;
  resolvedAt: Date | null;
  /** Its state now (open, acknowledged, suppressed, resolved). */
  status: string;
}

export interface EvidenceRequirement {
  id: string;
  title: string | null;
  controls: string[];
  checks: string[];
  status: RequirementStatus;
  accounts: Array<{
    accountId: string;
    status: RequirementStatus;
    /** Its controls and checks as evaluated in the account (passing counts, failing counts). */
    controls: Array<{ id: string } & EvaluatedControl>;
    findings: EvidenceFinding[];
  }>;
}

export interface EvidenceException {
  findingId: number;
  accountId: string;
  controlId: string | null;
  title: string;
  resourceId: string;
  reason: string;
  by: string;
  at: Date;
  until: Date;
  liftedAt: Date | null;
  liftedBy: string | null;
}

export interface EvidenceRemediation {
  id: number;
  findingId: number;
  accountId: string;
  title: string;
  playbook: string;
  reason: string;
  requestedBy: string;
  requestedAt: Date;
  status: string;
  decisions: Array<{ by: string; decision: string; reason: string | null; at: Date }>;
  /** The calls made (account, region, call, whether it worked); none before it ran. */
  calls: Array<{ call: string; account: string; region: string; ok: boolean }>;
  /** What reading the change back found; null when it did not run that far. */
  verification: { ok: boolean; detail?: string } | null;
  error: string | null;
}

export interface EvidenceAuditEvent {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  hash: string;
}

export interface EvidencePack {
  framework: { id: string; name: string; version: string; file: string };
  standard: { id: string; name: string } | null;
  scope: EvidenceScope;
  period: { from: Date; to: Date };
  generatedBy: string;
  generatedAt: Date;
  /** When the last scan whose results the statuses come from was taken; null before any. */
  statusesAt: Date | null;
  /** The audit trail's head when the pack was made: an auditor can check it against `warden audit verify`. */
  auditHead: { seq: number; hash: string } | null;
  summary: { counts: Record<RequirementStatus, number>; score: number | null };
  accounts: Array<{
    id: string;
    name: string;
    ouPath: string | null;
    counts: Record<RequirementStatus, number>;
    score: number | null;
  }>;
  /**
   * The standard the framework scores: the scope's and each OU's below it at the period's end with a
   * weekly trend, then each account's at the period's end.
   */
  standardScores: Array<{
    title: string;
    atEnd: StandardScore | null;
    trend: Array<{ at: Date; score: number | null }>;
  }>;
  requirements: EvidenceRequirement[];
  exceptions: EvidenceException[];
  remediations: EvidenceRemediation[];
  /** Access reviews running in the period, for the scope's accounts: who decided what, when and why. */
  accessReviews: ReviewReport[];
  audit: {
    events: EvidenceAuditEvent[];
    /** The whole chain, from event 1, checked when the pack was made. */
    verification:
      | { ok: true; count: number; head: string }
      | { ok: false; brokenSeq: number; reason: string };
  };
}

const WEEK = 7 * 86_400_000;

/** Points from the period's start to its end, a week apart, the end included. */
function weeklyPoints(from: Date, to: Date): Date[] {
  const points: Date[] = [];
  for (let t = from.getTime() + WEEK; t < to.getTime(); t += WEEK) points.push(new Date(t));
  points.push(to);
  return points;
}

/** Builds the evidence pack: every query runs against the database as it is now. */
export async function buildEvidence(db: Database, request: EvidenceRequest): Promise<EvidencePack> {
  const { framework, scope, from, to } = request;
  const accountIds = scope.accountIds;
  const known = new Map((await knownAccounts(db)).map((a): [string, Account] => [a.id, a]));
  const evaluation = await evaluateFramework(db, framework, accountIds);
  const controlIds = [...new Set(evaluation.requirements.flatMap((r) => r.controls))];
  const checkIds = [...new Set(evaluation.requirements.flatMap((r) => r.checks))];

  // The period's findings by account and control: each requirement takes its controls' from there.
  const findings = new Map<string, Map<string, EvidenceFinding[]>>();
  for (const f of await periodFindings(db, { accountIds, controlIds, checkIds, from, to })) {
    const byControl = findings.get(f.accountId) ?? new Map<string, EvidenceFinding[]>();
    byControl.set(f.controlId, [...(byControl.get(f.controlId) ?? []), f]);
    findings.set(f.accountId, byControl);
  }
  const requirements = evaluation.requirements.map((r): EvidenceRequirement => {
    const mine = new Set([...r.controls, ...r.checks]);
    return {
      id: r.id,
      title: r.title,
      controls: r.controls,
      checks: r.checks,
      status: r.status,
      accounts: r.accounts.map(({ accountId, status }) => ({
        accountId,
        status,
        controls: [...mine].flatMap((id) => {
          const c = evaluation.controls.get(accountId)?.get(id);
          return c ? [{ id, ...c }] : [];
        }),
        findings: [...mine].flatMap((id) => findings.get(accountId)?.get(id) ?? []),
      })),
    };
  });

  const perAccount = accountIds.map((id) => {
    const counts = noRequirementCounts();
    for (const r of evaluation.requirements) counts[r.accounts.find((a) => a.accountId === id)!.status]++;
    const a = known.get(id);
    return { id, name: a?.name ?? id, ouPath: a?.ouPath ?? null, counts, score: requirementScore(counts) };
  });

  const head = await chainHead(db);
  const verified = await verifyAuditChain(db);
  return {
    framework: { id: framework.id, name: framework.name, version: framework.version, file: framework.file },
    standard: framework.standard ? { id: framework.standard, name: standardName(framework.standard) } : null,
    scope,
    period: { from, to },
    generatedBy: request.generatedBy,
    generatedAt: request.now,
    statusesAt: await lastScanAt(db),
    auditHead: head ? { seq: head.seq, hash: head.hash } : null,
    summary: { counts: evaluation.counts, score: requirementScore(evaluation.counts) },
    accounts: perAccount,
    standardScores: framework.standard
      ? await standardScores(
          db,
          framework.standard,
          scope,
          (id) => ({ name: known.get(id)?.name ?? id, ouPath: known.get(id)?.ouPath ?? null }),
          from,
          to,
        )
      : [],
    requirements,
    exceptions: await periodExceptions(db, { accountIds, controlIds, checkIds, from, to }),
    remediations: await periodRemediations(db, { accountIds, controlIds, checkIds, from, to }),
    accessReviews: await periodReviews(db, { accountIds, from, to, now: request.now }),
    audit: {
      events: await periodAuditEvents(db, from, to),
      verification: verified.ok
        ? { ok: true, count: verified.count, head: verified.head }
        : { ok: false, brokenSeq: verified.brokenSeq, reason: verified.reason },
    },
  };
}

interface PeriodQuery {
  accountIds: string[];
  controlIds: string[];
  checkIds: string[];
  from: Date;
  to: Date;
}

/** Findings of these controls or checks, in these accounts. */
const ofControls = (q: PeriodQuery) => sql`f.account_id = any(${textArray(q.accountIds)}::text[])
  and (f.control_id = any(${textArray(q.controlIds)}::text[])
    or f.generator_id = any(${textArray(q.checkIds.map((c) => `${WARDEN_GENERATOR}${c}`))}::text[]))`;

/** What a Warden check's finding counts for: its check, not the security control it names. */
const controlOf = (r: { control_id: string | null; generator_id: string | null }) =>
  r.generator_id?.startsWith(WARDEN_GENERATOR)
    ? r.generator_id.slice(WARDEN_GENERATOR.length)
    : (r.control_id ?? '');

/** The findings open at some time in the period: first seen before its end, not resolved before its start. */
async function periodFindings(db: Database, q: PeriodQuery): Promise<EvidenceFinding[]> {
  const rows = await rawRows<
    Record<string, unknown> & { control_id: string | null; generator_id: string | null }
  >(
    db,
    sql`select f.id, f.account_id, f.control_id, f.generator_id, f.title, f.severity, f.region, f.resource_id,
        f.first_seen_at, f.resolved_at, f.status
      from findings f
      where ${ofControls(q)} and f.first_seen_at < ${q.to.toISOString()}::timestamptz
        and (f.resolved_at is null or f.resolved_at >= ${q.from.toISOString()}::timestamptz)
      order by f.account_id, f.first_seen_at, f.id`,
  );
  return rows.map((r) => ({
    findingId: Number(r.id),
    accountId: String(r.account_id),
    controlId: controlOf(r),
    title: String(r.title),
    severity: String(r.severity),
    region: String(r.region),
    resourceId: String(r.resource_id),
    firstSeenAt: new Date(String(r.first_seen_at)),
    resolvedAt: r.resolved_at ? new Date(String(r.resolved_at)) : null,
    status: String(r.status),
  }));
}

/**
 * Suppressions (risk acceptances) of those findings in force at some time in the period: one per
 * decision, which suppressed every finding of its issue (shown on the issue's primary where it can be).
 */
async function periodExceptions(db: Database, q: PeriodQuery): Promise<EvidenceException[]> {
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select * from (
      select distinct on (f.issue_key, s.created_at, s.created_by) s.id, s.finding_id, f.account_id,
        f.control_id, f.title, f.resource_id, s.reason, s.created_by, s.created_at, s.expires_at, s.lifted_at,
        s.lifted_by
      from suppressions s join findings f on f.id = s.finding_id
      where ${ofControls(q)} and s.created_at < ${q.to.toISOString()}::timestamptz
        and coalesce(s.lifted_at, s.expires_at) >= ${q.from.toISOString()}::timestamptz
      order by f.issue_key, s.created_at, s.created_by, f.duplicate_of is null desc, s.id
    ) decisions order by created_at, id`,
  );
  return rows.map((r) => ({
    findingId: Number(r.finding_id),
    accountId: String(r.account_id),
    controlId: r.control_id === null ? null : String(r.control_id),
    title: String(r.title),
    resourceId: String(r.resource_id),
    reason: String(r.reason),
    by: String(r.created_by),
    at: new Date(String(r.created_at)),
    until: new Date(String(r.expires_at)),
    liftedAt: r.lifted_at ? new Date(String(r.lifted_at)) : null,
    liftedBy: r.lifted_by === null ? null : String(r.lifted_by),
  }));
}

/** Remediation requests on those findings made in the period, with their decisions and what ran. */
async function periodRemediations(db: Database, q: PeriodQuery): Promise<EvidenceRemediation[]> {
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select r.id, r.finding_id, r.account_id, f.title, r.playbook_id, r.reason, r.requested_by, r.requested_at,
        r.status, r.result, r.error,
        coalesce((select jsonb_agg(jsonb_build_object('by', d.decided_by, 'decision', d.decision,
          'reason', d.reason, 'at', d.decided_at) order by d.decided_at)
          from remediation_decisions d where d.request_id = r.id), '[]'::jsonb) as decisions
      from remediation_requests r join findings f on f.id = r.finding_id
      where ${ofControls(q)} and r.requested_at >= ${q.from.toISOString()}::timestamptz
        and r.requested_at < ${q.to.toISOString()}::timestamptz
      order by r.requested_at, r.id`,
  );
  return rows.map((r) => {
    const result = (r.result ?? {}) as {
      calls?: EvidenceRemediation['calls'];
      verification?: EvidenceRemediation['verification'];
    };
    const decisions = r.decisions as Array<{
      by: string;
      decision: string;
      reason: string | null;
      at: string;
    }>;
    return {
      id: Number(r.id),
      findingId: Number(r.finding_id),
      accountId: String(r.account_id),
      title: String(r.title),
      playbook: String(r.playbook_id),
      reason: String(r.reason),
      requestedBy: String(r.requested_by),
      requestedAt: new Date(String(r.requested_at)),
      status: String(r.status),
      decisions: decisions.map((d) => ({ ...d, at: new Date(d.at) })),
      // Only where each call went and whether it worked: what a call answered stays in the audit trail.
      calls: (result.calls ?? []).map(({ call, account, region, ok }) => ({ call, account, region, ok })),
      verification: result.verification
        ? {
            ok: result.verification.ok,
            ...(result.verification.detail ? { detail: result.verification.detail } : {}),
          }
        : null,
      error: r.error === null ? null : String(r.error),
    };
  });
}

/** The audit events of the period, by sequence number. */
async function periodAuditEvents(db: Database, from: Date, to: Date): Promise<EvidenceAuditEvent[]> {
  const events: EvidenceAuditEvent[] = [];
  for await (const page of auditEventPages(db, { since: from })) {
    for (const e of page) {
      if (e.at >= to) return events;
      events.push({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        hash: e.hash,
      });
    }
  }
  return events;
}

/** When the last scan recorded the organization's scores (the scope index's organization rows, not the whole history). */
async function lastScanAt(db: Database): Promise<Date | null> {
  const [row] = await rawRows<{ at: string | null }>(
    db,
    sql`select max(taken_at) as at from compliance_snapshots where scope = 'organization' and scope_id = ''`,
  );
  return row?.at ? new Date(row.at) : null;
}

/** Each scope's latest score for one standard at `at`: one index lookup per scope. */
async function latestScores(
  db: Database,
  standardId: string,
  scopes: Array<{ kind: EvidenceScope['kind']; id: string }>,
  at: Date,
): Promise<Map<string, StandardScore>> {
  if (scopes.length === 0) return new Map();
  const rows = await rawRows<Record<string, unknown>>(
    db,
    sql`select s.kind, s.id, x.standard_id, x.passed, x.failed, x.unknown, x.no_data, x.disabled, x.score, x.taken_at
      from unnest(${textArray(scopes.map((x) => x.kind))}::text[], ${textArray(scopes.map((x) => x.id))}::text[])
        as s(kind, id)
        cross join lateral (
          select * from compliance_snapshots c
          where c.scope = s.kind and c.scope_id = s.id and c.standard_id = ${standardId}
            and c.taken_at <= ${at.toISOString()}::timestamptz
          order by c.taken_at desc limit 1
        ) x`,
  );
  return new Map(rows.map((r) => [`${r.kind} ${r.id}`, standardScoreOf(r)]));
}

/** The OUs at or below every level of an account's OU path, the root left out: Root/A/B gives Root/A and Root/A/B. */
const ouLevels = (ouPath: string | null) =>
  (ouPath ?? '')
    .split('/')
    .map((_, i, parts) => parts.slice(0, i + 1).join('/'))
    .slice(1);

/**
 * The standard's score in the scope and in each OU below it, at the period's end and a week apart
 * over it; and each account's at the period's end.
 */
async function standardScores(
  db: Database,
  standardId: string,
  scope: EvidenceScope,
  account: (id: string) => { name: string; ouPath: string | null },
  from: Date,
  to: Date,
): Promise<EvidencePack['standardScores']> {
  const ous =
    scope.kind === 'account'
      ? []
      : [...new Set(scope.accountIds.flatMap((id) => ouLevels(account(id).ouPath)))]
          .filter((path) => scope.kind === 'organization' || path.startsWith(`${scope.id}/`))
          .sort();
  const trended = [{ kind: scope.kind, id: scope.id }, ...ous.map((id) => ({ kind: 'ou' as const, id }))];
  const points = weeklyPoints(from, to);
  const atPoints = await Promise.all(points.map((p) => latestScores(db, standardId, trended, p)));
  const atEnd = atPoints.at(-1)!;
  const withTrend = trended.map((x) => ({
    title: x.kind === scope.kind && x.id === scope.id ? scope.title : x.id,
    atEnd: atEnd.get(`${x.kind} ${x.id}`) ?? null,
    trend: points.map((p, i) => ({ at: p, score: atPoints[i]!.get(`${x.kind} ${x.id}`)?.score ?? null })),
  }));
  if (scope.kind === 'account') return withTrend;
  const accounts = await latestScores(
    db,
    standardId,
    scope.accountIds.map((id) => ({ kind: 'account', id })),
    to,
  );
  return [
    ...withTrend,
    ...scope.accountIds
      .filter((id) => accounts.has(`account ${id}`))
      .sort()
      .map((id) => ({ title: account(id).name, atEnd: accounts.get(`account ${id}`)!, trend: [] })),
  ];
}
