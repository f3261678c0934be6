import type { webApi } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { type DigestSent, digestsSent } from '../db/schema.js';

/** What one delivery sends: the message, and a chart posted in its thread. */
export interface DigestMessage {
  text: string;
  blocks: KnownBlock[];
  chart?: { png: Buffer; filename: string; title: string };
}

/** Waits between a delivery's attempts (Slack's rate-limit answers are waited out by the Web API client itself). */
export const DELIVERY_RETRY_DELAYS_MS = [2_000, 10_000];
/** A delivery that failed this many times is left failed, for a person to look at. */
export const MAX_DELIVERY_ATTEMPTS = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one digest to one channel (or person) once. Its row (kind, period, channel) is unique and
 * records what is sent, the message's ts and how it went: a digest already sent is never sent again
 * (a restart, a second replica, a retry); a failed one is tried again up to 3 times now, and again
 * by the next run; the chart goes in the message's thread once the message is out.
 */
export async function deliverDigest(
  db: Database,
  web: webApi.WebClient,
  d: { kind: 'daily' | 'weekly'; period: string; channel: string; message: DigestMessage },
  delaysMs: readonly number[] = DELIVERY_RETRY_DELAYS_MS,
): Promise<DigestSent> {
  const stored = { text: d.message.text, blocks: d.message.blocks };
  await db
    .insert(digestsSent)
    .values({
      kind: d.kind,
      period: d.period,
      channel: d.channel,
      message: stored,
      chart: d.message.chart ? d.message.chart.png.toString('base64') : null,
    })
    .onConflictDoNothing();
  const [row] = await db
    .select()
    .from(digestsSent)
    .where(
      and(eq(digestsSent.kind, d.kind), eq(digestsSent.period, d.period), eq(digestsSent.channel, d.channel)),
    );
  return send(
    db,
    web,
    row!,
    d.message.chart?.filename ?? `${d.kind}-${d.period}.png`,
    d.message.chart?.title,
    delaysMs,
  );
}

async function send(
  db: Database,
  web: webApi.WebClient,
  row: DigestSent,
  filename: string,
  title: string | undefined,
  delaysMs: readonly number[],
): Promise<DigestSent> {
  let current = row;
  for (let attempt = 0; current.status !== 'sent'; attempt++) {
    if (current.attempts >= MAX_DELIVERY_ATTEMPTS) return current;
    try {
      let { messageTs, postedChannel } = current;
      if (!messageTs || !postedChannel) {
        const posted = await web.chat.postMessage({
          channel: current.channel,
          text: current.message!.text,
          blocks: current.message!.blocks,
        });
        messageTs = posted.ts!;
        postedChannel = posted.channel ?? current.channel;
        // Recorded at once: a retry after this point posts the chart only, never the message again.
        await db.update(digestsSent).set({ messageTs, postedChannel }).where(eq(digestsSent.id, current.id));
      }
      if (current.chart) {
        await web.files.uploadV2({
          channel_id: postedChannel,
          thread_ts: messageTs,
          file: Buffer.from(current.chart, 'base64'),
          filename,
          ...(title ? { title } : {}),
        });
      }
      current = (
        await db
          .update(digestsSent)
          .set({ status: 'sent', sentAt: new Date(), attempts: current.attempts + 1, error: null })
          .where(eq(digestsSent.id, current.id))
          .returning()
      )[0]!;
    } catch (err) {
      const e = err as { data?: { error?: string }; message?: string };
      current = (
        await db
          .update(digestsSent)
          .set({
            status: 'failed',
            attempts: current.attempts + 1,
            error: e.data?.error ?? e.message ?? String(err),
          })
          .where(eq(digestsSent.id, current.id))
          .returning()
      )[0]!;
      if (attempt >= delaysMs.length) return current;
      await sleep(delaysMs[attempt]!);
    }
  }
  return current;
}

/** Tries again the deliveries of this kind that failed (or were cut short) in the last `days`, each once. */
export async function retryFailedDeliveries(
  db: Database,
  web: webApi.WebClient,
  kind: 'daily' | 'weekly',
  now: Date,
  days = 7,
): Promise<DigestSent[]> {
  const rows = await db
    .select()
    .from(digestsSent)
    .where(
      and(
        eq(digestsSent.kind, kind),
        inArray(digestsSent.status, ['pending', 'failed']),
        gte(digestsSent.createdAt, new Date(now.getTime() - days * 86_400_000)),
        lt(digestsSent.attempts, MAX_DELIVERY_ATTEMPTS),
      ),
    );
  const out: DigestSent[] = [];
  for (const row of rows) out.push(await send(db, web, row, `${kind}-${row.period}.png`, undefined, []));
  return out;
}
