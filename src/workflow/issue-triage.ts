import { sql } from 'drizzle-orm';
import { appendAudit } from '../audit/trail.js';
import { type Database, rawRows } from '../db/client.js';
import { textArray } from '../db/compliance.js';
import { retryOnDeadlock } from '../db/errors.js';
import { OPENED_BY_WARDEN, throughIssueIndex } from '../db/issues.js';
import { TRIAGE_CARRIER } from '../domain.js';

/**
 * Triage follows the issue. A finding that joins an issue after a person acknowledged, suppressed or
 * assigned it (the new Security Hub's copy of a CSPM finding, a region enabled later, a global control
 * seen in one more region, a copy that comes back) takes on that triage: an acknowledged or
 * suppressed state (suppressed before acknowledged, the latest decision first), the suppression's
 * reason, author and end, and the assignee. Only findings a scan or the findings events opened are
 * changed, never one a person reopened. One audit event per issue names the findings and where their
 * triage came from (`finding.triage-carried`, by `warden:issue`). The issue's rows are locked in id
 * order, as triage and regrouping lock them.
 */
export interface CarriedTriage {
  /** The finding whose triage was taken. */
  from: number;
  findings: number[];
  status?: 'acknowledged' | 'suppressed';
  assignee?: string;
}

/** Carries triage within these issues (those a statement's regrouping found lacking it). */
export function carryIssueTriage(db: Database, keys: readonly string[], now: Date): Promise<CarriedTriage[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return retryOnDeadlock(() => throughIssueIndex(db, (tx) => carryInTransaction(tx, keys, now)));
}

async function carryInTransaction(tx: Database, keys: readonly string[], now: Date) {
  const issues = sql`${textArray([...keys])}::text[]`;
  const at = now.toISOString();
  await rawRows(tx, sql`select id from findings where issue_key = any(${issues}) order by id for update`);
  const statuses = await rawRows<{ id: number; from_id: number; status: 'acknowledged' | 'suppressed' }>(
    tx,
    sql`with heir as (
        select distinct on (issue_key) issue_key, id, status from findings
        where issue_key = any(${issues}) and status in ('acknowledged', 'suppressed')
        order by issue_key, status = 'suppressed' desc, status_changed_at desc, id
      )
      update findings f set status = h.status, status_changed_at = ${at}::timestamptz,
        status_changed_by = ${TRIAGE_CARRIER}
      from heir h
      where f.issue_key = h.issue_key and f.status = 'open' and f.status_changed_by in ${OPENED_BY_WARDEN}
      returning f.id, h.id as from_id, h.status`,
  );
  const suppressed = statuses.filter((s) => s.status === 'suppressed');
  if (suppressed.length)
    await rawRows(
      tx,
      sql`insert into suppressions (finding_id, reason, created_by, created_at, expires_at)
        select c.id, s.reason, s.created_by, ${at}::timestamptz, s.expires_at
        from unnest(${`{${suppressed.map((r) => r.id).join(',')}}`}::int[],
                    ${`{${suppressed.map((r) => r.from_id).join(',')}}`}::int[]) as c(id, from_id)
        cross join lateral (select reason, created_by, expires_at from suppressions
          where finding_id = c.from_id and lifted_at is null order by id desc limit 1) s`,
    );
  const assigned = await rawRows<{ id: number; from_id: number; assignee: string }>(
    tx,
    sql`with heir as (
        select distinct on (issue_key) issue_key, id, assignee from findings
        where issue_key = any(${issues}) and status <> 'resolved' and assignee is not null
        order by issue_key, status_changed_at desc, id
      )
      update findings f set assignee = h.assignee
      from heir h
      where f.issue_key = h.issue_key and f.assignee is null and f.status <> 'resolved'
      returning f.id, h.id as from_id, h.assignee`,
  );
  if (assigned.length)
    await rawRows(
      tx,
      sql`insert into assignments (finding_id, assignee, assigned_by, assigned_at)
        select id, assignee, ${TRIAGE_CARRIER}, ${at}::timestamptz
        from unnest(${`{${assigned.map((r) => r.id).join(',')}}`}::int[],
                    ${textArray(assigned.map((r) => r.assignee))}::text[]) as a(id, assignee)`,
    );
  const carried = new Map<number, CarriedTriage>();
  const entry = (from: number) => {
    const c = carried.get(from) ?? { from, findings: [] };
    carried.set(from, c);
    return c;
  };
  for (const s of statuses) {
    const c = entry(Number(s.from_id));
    c.status = s.status;
    if (!c.findings.includes(Number(s.id))) c.findings.push(Number(s.id));
  }
  for (const a of assigned) {
    const c = entry(Number(a.from_id));
    c.assignee = a.assignee;
    if (!c.findings.includes(Number(a.id))) c.findings.push(Number(a.id));
  }
  for (const c of carried.values())
    await appendAudit(tx, {
      actor: TRIAGE_CARRIER,
      action: 'finding.triage-carried',
      subject: `finding:${c.from}`,
      details: {
        findings: c.findings.sort((a, b) => a - b),
        ...(c.status ? { status: c.status } : {}),
        ...(c.assignee ? { assignee: c.assignee } : {}),
      },
      at: now,
    });
  return [...carried.values()];
}
