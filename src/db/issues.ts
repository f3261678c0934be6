import { sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { type Database, rawRows } from './client.js';
import { textArray } from './compliance.js';
import { retryOnDeadlock } from './errors.js';
import { TRIAGED_FINDING } from './schema.js';

/** Who opens a finding without a person deciding: a scan, or the findings events. */
export const OPENED_BY_WARDEN = sql`('warden:scan', 'warden:events')`;

/**
 * Whether an issue's findings (rows grouped by `issue_key`) lack the triage one of them has: an
 * unresolved one is acknowledged or suppressed while another was opened by a scan or an event, or
 * one is assigned while another is not (src/workflow/issue-triage.ts carries it).
 */
const LACKS_TRIAGE = sql`(bool_or(status in ('acknowledged', 'suppressed'))
    and bool_or(status = 'open' and status_changed_by in ${OPENED_BY_WARDEN}))
  or (bool_or(status <> 'resolved' and assignee is not null)
    and bool_or(status <> 'resolved' and assignee is null))`;

/**
 * Runs `work` in a transaction (a savepoint, in a caller's) that reads issues' rows by their keys
 * through `findings_issue_idx` and `findings_triaged_idx` whatever the table's statistics: a table
 * that grew from nothing during a first scan has none until autovacuum's next ANALYZE, and without
 * them PostgreSQL reads every finding for a few hundred keys (50 ms against 7 at 60,000 findings),
 * or for the triaged issues when there are none (1.3 s at 1,000 accounts), in parallel workers
 * whose start alone took 95 ms. In a caller's transaction the settings are put back before it ends:
 * set in a savepoint, they would last for the rest of it (a durable scan's conclusion), whose reads
 * of every finding need a sequential scan. In a transaction of its own, its commit puts them back,
 * and no statement is spent on it (a scan of 1,000 accounts regroups about 1,300 times). (The same
 * missing statistics once had every regrouping statement compiled with LLVM; JIT is off for all of
 * Warden's sessions, `SESSION_SETTINGS`.)
 */
export function throughIssueIndex<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  const nested = db instanceof PgTransaction;
  return db.transaction(async (tx) => {
    const [before] = await rawRows<{ seqscan: string; parallel: string }>(
      tx,
      sql`with before as materialized (
          select current_setting('enable_seqscan') as seqscan,
            current_setting('max_parallel_workers_per_gather') as parallel
        )
        select seqscan, parallel, set_config('enable_seqscan', 'off', true),
          set_config('max_parallel_workers_per_gather', '0', true)
        from before`,
    );
    const result = await work(tx);
    if (!nested) return result;
    await rawRows(
      tx,
      sql`select set_config('enable_seqscan', ${before!.seqscan}, true),
        set_config('max_parallel_workers_per_gather', ${before!.parallel}, true)`,
    );
    return result;
  });
}

/**
 * One issue per problem (`findings.issue_key`): of an issue's findings, the primary is the first stored
 * one that is not resolved, or the first of all when every one is; the others point at it
 * (`duplicate_of`) and no count, list, SLA or digest reads them. Regrouping locks the issues' findings
 * in id order, so two regroupings, or a regrouping and a triage fanned out to an issue, wait for each
 * other rather than deadlock. Returns how many findings changed primary, and the issues whose
 * findings lack the triage one of them has.
 */
export async function regroupIssues(
  db: Database,
  keys: readonly string[],
): Promise<{ moved: number; lackingTriage: string[] }> {
  if (keys.length === 0) return { moved: 0, lackingTriage: [] };
  const [row] = await retryOnDeadlock(() => throughIssueIndex(db, (tx) => regroupStatement(tx, keys)));
  return { moved: Number(row?.n ?? 0), lackingTriage: row?.lacking ?? [] };
}

function regroupStatement(db: Database, keys: readonly string[]) {
  return rawRows<{ n: number; lacking: string[] }>(
    db,
    sql`with locked as (
        select id, issue_key, status, duplicate_of, status_changed_by, assignee from findings
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
      select (select count(*)::int from moved) as n,
        (select coalesce(array_agg(issue_key), '{}') from
          (select issue_key from locked group by issue_key having ${LACKS_TRIAGE}) l) as lacking`,
  );
}

/**
 * The issues whose findings lack the triage one of them has, as a process stopped between storing a
 * finding and carrying left them (a scan's conclusion carries them). Only an issue with a triaged
 * finding can lack its triage: those are found by `findings_triaged_idx`, and only their findings
 * read, each issue's by its key (every unresolved finding, grouped, took 0.66 s at 400,000 findings).
 */
export async function issuesLackingTriage(db: Database): Promise<string[]> {
  const rows = await throughIssueIndex(db, (tx) =>
    rawRows<{ issue_key: string }>(tx, LACKING_TRIAGE_STATEMENT),
  );
  return rows.map((r) => r.issue_key);
}

/** `issuesLackingTriage`'s statement (its plan is tested: test/db/issue-index.test.ts). */
export const LACKING_TRIAGE_STATEMENT = sql`select t.issue_key
  from (select distinct issue_key from findings where ${sql.raw(TRIAGED_FINDING)}) t
    cross join lateral (
      select ${LACKS_TRIAGE} as lacks from findings f
      where f.issue_key = t.issue_key and f.status <> 'resolved'
    ) l
  where l.lacks
  order by t.issue_key`;

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
    moved += (
      await regroupIssues(
        db,
        broken.slice(i, i + REGROUP_CHUNK).map((r) => r.issue_key),
      )
    ).moved;
  return moved;
}
