import { sql } from 'drizzle-orm';
import { type Database, rawRows } from '../db/client.js';
import type { AlertMessageKind } from '../domain.js';

/** An alert message as recorded: what it was about and the findings it named, for drawing it again after a click. */
export async function alertMessageOf(
  db: Database,
  messageId: number,
): Promise<{ kind: AlertMessageKind; accountId: string | null; findingIds: number[] } | undefined> {
  const [row] = await rawRows<{ kind: AlertMessageKind; account_id: string | null; finding_ids: number[] }>(
    db,
    sql`select kind, account_id, finding_ids from alert_messages where id = ${messageId}`,
  );
  return row
    ? { kind: row.kind, accountId: row.account_id, findingIds: row.finding_ids.map(Number) }
    : undefined;
}
