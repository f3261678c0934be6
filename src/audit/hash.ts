import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The `prev_hash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an event's hash covers: all of its content and the hash of the event before it. */
export interface HashedContent {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
}

/**
 * SHA-256 (hex) over the RFC 8785 (JCS) canonical JSON of the event. JCS fixes key order and number
 * formatting, so the hash is the same whether the details come from memory or back out of jsonb.
 */
export function eventHash(e: HashedContent): string {
  const canonical = canonicalize({
    seq: e.seq,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    details: e.details,
    prevHash: e.prevHash,
  });
  if (canonical === undefined) throw new Error('audit event cannot be serialised');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
