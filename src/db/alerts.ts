import { sql } from 'drizzle-orm';
import type { AlertMessageKind } from '../domain.js';
import { type Database, rawRows } from './client.js';

/** An alert a replica has claimed: its finding as it stands now. */
export interface ClaimedAlert {
  id: number;
  findingId: number;
  accountId: string;
  queuedAt: Date;
  /** The finding's status and issue now: an alert is posted only for an open finding that stands for its issue. */
  status: string;
  duplicateOf: number | null;
}

/**
 * Claims the alerts whose account's window has ended (its oldest waiting alert was queued at least
 * `windowMs` ago), every waiting alert of those accounts, for one replica: rows another replica holds
 * are skipped (SKIP LOCKED), so two replicas never claim the same alert. A claim older than `staleMs`
 * with nothing posted was left by a process that died: its alerts wait again, for the next tick.
 */
export async function claimDueAlerts(
  db: Database,
  options: { now: Date; windowMs: number; staleMs: number; claimer: string },
): Promise<ClaimedAlert[]> {
  const now = options.now.toISOString();
  await rawRows(
    db,
    sql`update alerts set status = 'pending', claimed_by = null, claimed_at = null
      where status = 'claimed' and claimed_at < ${now}::timestamptz - make_interval(secs => ${options.staleMs / 1000})`,
  );
  const rows = await rawRows<{
    id: number;
    finding_id: number;
    account_id: string;
    queued_at: string | Date;
    status: string;
    duplicate_of: number | null;
  }>(
    db,
    sql`
    with due as (
      select account_id from alerts where status = 'pending'
      group by account_id
      having min(queued_at) <= ${now}::timestamptz - make_interval(secs => ${options.windowMs / 1000})
    ),
    claimed as (
      update alerts a set status = 'claimed', claimed_by = ${options.claimer}, claimed_at = ${now}::timestamptz
      where a.id in (
        select id from alerts where status = 'pending' and account_id in (select account_id from due)
        order by id for update skip locked
      )
      returning a.id, a.finding_id, a.account_id, a.queued_at
    )
    select c.id, c.finding_id, c.account_id, c.queued_at, f.status, f.duplicate_of
    from claimed c join findings f on f.id = c.finding_id
    order by c.id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    findingId: Number(r.finding_id),
    accountId: r.account_id,
    queuedAt: new Date(r.queued_at),
    status: r.status,
    duplicateOf: r.duplicate_of === null ? null : Number(r.duplicate_of),
  }));
}

/** Alerts that will not be posted after all, and why (suppressed meanwhile, part of an existing issue…). */
export async function skipAlerts(
  db: Database,
  skipped: Array<{ id: number; reason: string }>,
): Promise<void> {
  if (skipped.length === 0) return;
  await rawRows(
    db,
    sql`update alerts a set status = 'skipped', skip_reason = s.reason, claimed_by = null
      from unnest(${`{${skipped.map((s) => s.id).join(',')}}`}::int[],
                  ${`{${skipped.map((s) => JSON.stringify(s.reason)).join(',')}}`}::text[]) as s(id, reason)
      where a.id = s.id`,
  );
}

export interface PostedMessage {
  kind: AlertMessageKind;
  channel: string;
  ts: string;
  accountId: string | null;
  findingIds: number[];
  postedAt: Date;
}

/**
 * Records where an alert message landed (under the id reserved for it), and marks the alerts it
 * carried as posted.
 */
export async function recordAlertMessage(
  db: Database,
  id: number,
  message: PostedMessage,
  alertIds: number[],
): Promise<void> {
  await rawRows(
    db,
    sql`insert into alert_messages (id, kind, channel, ts, account_id, finding_ids, posted_at)
      values (${id}, ${message.kind}, ${message.channel}, ${message.ts}, ${message.accountId},
        ${`{${message.findingIds.join(',')}}`}::int[], ${message.postedAt.toISOString()}::timestamptz)`,
  );
  if (alertIds.length)
    await rawRows(
      db,
      sql`update alerts set status = 'posted', message_id = ${id}, posted_at = ${message.postedAt.toISOString()}::timestamptz,
        claimed_by = null
      where id = any(${`{${alertIds.join(',')}}`}::int[])`,
    );
}

/** The id a message will be recorded under, taken before it is posted: its buttons carry it. */
export async function reserveAlertMessageId(db: Database): Promise<number> {
  const [row] = await rawRows<{ id: number }>(
    db,
    sql`select nextval(pg_get_serial_sequence('alert_messages', 'id')) as id`,
  );
  return Number(row!.id);
}
