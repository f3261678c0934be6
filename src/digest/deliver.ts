import type { webApi } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { Database } from '../db/client.js';
import { deliveryRow, recordAttempt, recordPosted, unsentDeliveries } from '../db/digests-sent.js';
import type { DigestSent } from '../db/schema.js';

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
  const row = await deliveryRow(db, {
    kind: d.kind,
    period: d.period,
    channel: d.channel,
    message: { text: d.message.text, blocks: d.message.blocks },
    chart: d.message.chart ? d.message.chart.png.toString('base64') : null,
  });
  return send(
    db,
    web,
    row,
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
        await recordPosted(db, current.id, { messageTs, postedChannel });
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
      current = await recordAttempt(db, current, { sentAt: new Date() });
    } catch (err) {
      const e = err as { data?: { error?: string }; message?: string };
      current = await recordAttempt(db, current, { error: e.data?.error ?? e.message ?? String(err) });
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
  const since = new Date(now.getTime() - days * 86_400_000);
  const rows = await unsentDeliveries(db, kind, since, MAX_DELIVERY_ATTEMPTS);
  const out: DigestSent[] = [];
  for (const row of rows) out.push(await send(db, web, row, `${kind}-${row.period}.png`, undefined, []));
  return out;
}
