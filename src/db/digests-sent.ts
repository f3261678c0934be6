import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import type { Database } from './client.js';
import { type DigestSent, digestsSent } from './schema.js';

type Delivery = Pick<DigestSent, 'kind' | 'period' | 'channel'>;

/**
 * The delivery of one digest to one channel: its row, made on first sight with what is to be sent.
 * (kind, period, channel) is unique, so every caller (a restart, a second replica) gets the same row.
 */
export async function deliveryRow(
  db: Database,
  d: Delivery & Pick<DigestSent, 'message' | 'chart'>,
): Promise<DigestSent> {
  await db.insert(digestsSent).values(d).onConflictDoNothing();
  const [row] = await db
    .select()
    .from(digestsSent)
    .where(
      and(eq(digestsSent.kind, d.kind), eq(digestsSent.period, d.period), eq(digestsSent.channel, d.channel)),
    );
  return row!;
}

/** The message is out: recorded at once, so a retry posts the chart only, never the message again. */
export async function recordPosted(
  db: Database,
  id: number,
  posted: { messageTs: string; postedChannel: string },
): Promise<void> {
  await db.update(digestsSent).set(posted).where(eq(digestsSent.id, id));
}

/** How an attempt ended: sent (with when), or failed (with Slack's error). */
export async function recordAttempt(
  db: Database,
  row: Pick<DigestSent, 'id' | 'attempts'>,
  outcome: { sentAt: Date } | { error: string },
): Promise<DigestSent> {
  const set =
    'sentAt' in outcome
      ? { status: 'sent' as const, sentAt: outcome.sentAt, error: null }
      : { status: 'failed' as const, error: outcome.error };
  const [updated] = await db
    .update(digestsSent)
    .set({ ...set, attempts: row.attempts + 1 })
    .where(eq(digestsSent.id, row.id))
    .returning();
  return updated!;
}

/** Deliveries of this kind made since `since` that are not sent yet and may be tried again. */
export function unsentDeliveries(
  db: Database,
  kind: DigestSent['kind'],
  since: Date,
  maxAttempts: number,
): Promise<DigestSent[]> {
  return db
    .select()
    .from(digestsSent)
    .where(
      and(
        eq(digestsSent.kind, kind),
        inArray(digestsSent.status, ['pending', 'failed']),
        gte(digestsSent.createdAt, since),
        lt(digestsSent.attempts, maxAttempts),
      ),
    );
}
