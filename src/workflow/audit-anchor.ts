import type { webApi } from '@slack/bolt';
import { appendAudit } from '../audit/trail.js';
import type { ExpectedEvent } from '../audit/verify.js';
import {
  type Anchor,
  type AnchorPlace,
  anchorKey,
  getAnchor,
  listAnchorKeys,
  putAnchor,
} from '../aws/anchors.js';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config.js';
import { chainHead } from '../db/audit-events.js';
import type { Database } from '../db/client.js';
import { WardenError } from '../errors.js';

const DAY_MS = 86_400_000;

export interface AnchorDeps {
  db: Database;
  config: Config;
  clients: AwsClients;
  now: () => Date;
  /** Slack's Web API client, when Slack is configured. */
  web: webApi.WebClient | undefined;
}

/** Why a head was published: the daily job, or a remediation that changed an account. */
export type AnchorReason = 'schedule' | 'remediation';

export type AnchorResult =
  | { skipped: string }
  | {
      seq: number;
      hash: string;
      slack?: { channel: string; ts: string };
      s3?: { key: string; versionId?: string };
    };

/** The S3 bucket and prefix the anchors go to (WARDEN_ANCHOR_BUCKET), when one is configured. */
export function anchorPlace(config: Config): AnchorPlace | undefined {
  return config.anchors.bucket ? { bucket: config.anchors.bucket, prefix: config.anchors.prefix } : undefined;
}

/**
 * Publishes the audit trail's head where Warden's database role cannot rewrite it: the Slack audit
 * channel (routing.auditChannel) and, when WARDEN_ANCHOR_BUCKET is set, an S3 object locked in
 * compliance mode for WARDEN_ANCHOR_RETENTION_DAYS. Then records the anchor as an audit event of its
 * own. An S3 anchor that already exists for the head with the same hash is taken as published; one
 * with another hash means the chain was rewritten, and fails loudly.
 */
export async function publishAnchor(deps: AnchorDeps, reason: AnchorReason): Promise<AnchorResult> {
  const { db, config } = deps;
  const channel = config.policy.routing.auditChannel;
  const place = anchorPlace(config);
  if (!place && !(channel && deps.web))
    return {
      skipped: 'no anchor destination: set routing.auditChannel (with Slack) or WARDEN_ANCHOR_BUCKET',
    };
  const head = await chainHead(db);
  if (!head) return { skipped: 'the audit trail is empty' };
  const now = deps.now();
  const anchor: Anchor = {
    format: 'warden-audit-anchor/1',
    seq: head.seq,
    hash: head.hash,
    eventAt: head.at.toISOString(),
    publishedAt: now.toISOString(),
  };
  const published: Extract<AnchorResult, { seq: number }> = { seq: head.seq, hash: head.hash };
  const failures: string[] = [];
  if (place) {
    const retainUntil = new Date(now.getTime() + config.anchors.retentionDays * DAY_MS);
    try {
      const s3 = deps.clients.s3();
      const put = await putAnchor(s3, place, anchor, retainUntil);
      if (put === 'exists') {
        const { anchor: there } = await getAnchor(s3, place, anchorKey(place, head.seq));
        if (there.hash !== head.hash)
          throw new WardenError(
            'audit-anchor-conflict',
            `the anchor published for event ${head.seq} holds hash ${there.hash}, but the chain now has ${head.hash}: the audit trail was rewritten`,
          );
      } else published.s3 = { key: put.key, ...(put.versionId ? { versionId: put.versionId } : {}) };
    } catch (err) {
      if (err instanceof WardenError && err.code === 'audit-anchor-conflict') throw err;
      failures.push((err as Error).message);
    }
  }
  if (channel && deps.web) {
    try {
      const posted = await deps.web.chat.postMessage({
        channel,
        text: `Audit trail head: event ${head.seq} (${head.at.toISOString()}), \`${head.seq}:${head.hash}\`. Check it any time with \`warden audit verify --expect ${head.seq}:${head.hash}\`.`,
      });
      published.slack = { channel: posted.channel ?? channel, ts: posted.ts! };
    } catch (err) {
      failures.push(
        `Slack chat.postMessage to ${channel}: ${(err as { data?: { error?: string } }).data?.error ?? (err as Error).message}`,
      );
    }
  }
  if (published.s3 || published.slack)
    await appendAudit(db, {
      actor: 'warden:anchor',
      action: 'audit.anchored',
      subject: `audit:${head.seq}`,
      at: now,
      details: {
        seq: head.seq,
        hash: head.hash,
        reason,
        ...(published.s3 ? { s3: { bucket: place!.bucket, ...published.s3 } } : {}),
        ...(published.slack ? { slack: published.slack } : {}),
      },
    });
  if (failures.length)
    throw new WardenError('aws', `publishing the audit head failed: ${failures.join('; ')}`);
  return published;
}

/**
 * Every anchor published in S3, as events the chain must still hold; and the anchors that are not
 * locked in compliance mode (someone wrote them another way, or may not read retention).
 */
export async function publishedAnchors(
  clients: AwsClients,
  place: AnchorPlace,
): Promise<{ expected: ExpectedEvent[]; unlocked: string[] }> {
  const s3 = clients.s3();
  const expected: ExpectedEvent[] = [];
  const unlocked: string[] = [];
  for (const key of await listAnchorKeys(s3, place)) {
    const { anchor, lock } = await getAnchor(s3, place, key);
    expected.push({ seq: anchor.seq, hash: anchor.hash });
    if (lock?.mode !== 'COMPLIANCE') unlocked.push(key);
  }
  return { expected, unlocked };
}
