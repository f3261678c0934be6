import { auditEventPages } from '../db/audit-events.js';
import type { Database } from '../db/client.js';
import { eventHash, GENESIS_HASH } from './hash.js';

export type VerifyResult =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; brokenSeq: number; reason: string };

/**
 * Walks the whole chain in sequence order and checks, for every event, that the sequence has no gap,
 * that it points at the previous event's hash, and that its own hash matches its content.
 * Stops at the first broken event and names it.
 */
export async function verifyAuditChain(db: Database): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for await (const page of auditEventPages(db)) {
    for (const e of page) {
      const broken = (reason: string): VerifyResult => ({ ok: false, count, brokenSeq: e.seq, reason });
      if (e.seq !== expectedSeq) {
        return {
          ok: false,
          count,
          brokenSeq: expectedSeq,
          reason: `event ${expectedSeq} is missing (next present is ${e.seq})`,
        };
      }
      if (e.prevHash !== prevHash) {
        return broken(
          `its prev_hash does not match the hash of event ${e.seq - 1} (one of the two was rewritten)`,
        );
      }
      if (eventHash(e) !== e.hash)
        return broken('its content does not match its hash (the event was altered)');
      prevHash = e.hash;
      expectedSeq += 1;
      count += 1;
    }
  }
  return { ok: true, count, head: prevHash };
}
