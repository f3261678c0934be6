import { sql } from 'drizzle-orm';
import { type Database, rawRows } from './client.js';
import { textArray } from './compliance.js';
import { retryOnDeadlock } from './errors.js';

/**
 * One issue per problem (`findings.issue_key`): of an issue's findings, the primary is the first stored
 * one that is not resolved, or the first of all when every one is; the others point at it
 * (`duplicate_of`) and no count, list, SLA or digest reads them. Regrouping locks the issues' findings
 * in id order, so two regroupings, or a regrouping and a triage fanned out to an issue, wait for each
 * other rather than deadlock. Returns how many findings changed primary.
 */
export async function regroupIssues(db: Database, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const rows = await retryOnDeadlock(() => regroupStatement(db, keys));
  return Number(rows[0]?.n ?? 0);
}

function regroupStatement(db: Database, keys: readonly string[]) {
  return rawRows<{ n: number }>(
    db,
    sql`with locked as (
        select id, issue_key, status, duplicate_of from findings
        where issue_key = any(${textArray([...keys])}::text[]) order by id for update
      ),
      ranked as (
        select id, duplicate_of,
          first_value(id) over (partition by issue_key order by status = 'resolved', id) as head
        from locked
      ),
      moved as (
        update findings f set duplicate_of = nullif(r.head, r.id) from ranked r
        where f.id = r.id and r.duplicate_of is distinct from nullif(r.head, r.id)
        returning 1
      )
      select count(*)::int as n from moved`,
  );
}

/** How many issue keys a regrouping statement takes. */
const REGROUP_CHUNK = 1000;

/**
 * Finds the issues whose grouping is not as `regroupIssues` leaves it (none or several primaries, or
 * a resolved primary beside a finding that is not: two statements that each stored an issue's first
 * finding at the same moment, or a process stopped between a statement and its regrouping) and
 * regroups them. A scan's conclusion runs it. Returns how many findings changed primary.
 */
export async function repairIssues(db: Database): Promise<number> {
  const broken = await rawRows<{ issue_key: string }>(
    db,
    sql`select issue_key from findings group by issue_key
      having count(*) filter (where duplicate_of is null) <> 1
        or (bool_or(duplicate_of is null and status = 'resolved') and bool_or(status <> 'resolved'))`,
  );
  let moved = 0;
  for (let i = 0; i < broken.length; i += REGROUP_CHUNK)
    moved += await regroupIssues(
      db,
      broken.slice(i, i + REGROUP_CHUNK).map((r) => r.issue_key),
    );
  return moved;
}
