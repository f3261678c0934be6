import { auditEventPages } from '../db/audit-events.js';
import type { Database } from '../db/client.js';
import { eventHash, GENESIS_HASH, type HashedContent } from './hash.js';

/** An event as the chain stores it: its content, and its own hash. */
export type ChainedEvent = HashedContent & { hash: string };

/** An event whose hash was published (an anchor, a head kept by a person): the chain must still hold it. */
export interface ExpectedEvent {
  seq: number;
  hash: string;
}

export type VerifyResult =
  | { ok: true; count: number; head: string; first: number }
  | { ok: false; count: number; brokenSeq: number; reason: string };

/**
 * Walks a chain in sequence order and checks, for every event, that the sequence has no gap, that it
 * points at the previous event's hash, and that its own hash matches its content; then that every
 * expected event is there with the hash it had when it was published. A chain rewritten and re-hashed
 * from some event on passes the first checks but not the last; so does one cut short.
 * Stops at the first broken event and names it.
 *
 * `from: 'given'` checks a chain that starts later than event 1 (an export since a date): its first
 * event's prev_hash is taken as given.
 */
export async function verifyEvents(
  pages: AsyncIterable<ChainedEvent[]>,
  options: { expect?: readonly ExpectedEvent[]; from?: 'genesis' | 'given' } = {},
): Promise<VerifyResult> {
  const expected = new Map((options.expect ?? []).map((e) => [e.seq, e.hash]));
  let expectedSeq: number | undefined = options.from === 'given' ? undefined : 1;
  let prevHash: string | undefined = options.from === 'given' ? undefined : GENESIS_HASH;
  let first = expectedSeq ?? 1;
  let count = 0;
  for await (const page of pages) {
    for (const e of page) {
      const broken = (reason: string): VerifyResult => ({ ok: false, count, brokenSeq: e.seq, reason });
      if (expectedSeq === undefined) first = e.seq;
      else if (e.seq !== expectedSeq) {
        return {
          ok: false,
          count,
          brokenSeq: expectedSeq,
          reason: `event ${expectedSeq} is missing (next present is ${e.seq})`,
        };
      }
      if (prevHash !== undefined && e.prevHash !== prevHash) {
        return broken(
          `its prev_hash does not match the hash of event ${e.seq - 1} (one of the two was rewritten)`,
        );
      }
      if (eventHash(e) !== e.hash)
        return broken('its content does not match its hash (the event was altered)');
      const published = expected.get(e.seq);
      if (published !== undefined && published !== e.hash)
        return broken(
          `its hash is ${e.hash}, not the ${published} published for it (the chain was rewritten from here or before)`,
        );
      expected.delete(e.seq);
      prevHash = e.hash;
      expectedSeq = e.seq + 1;
      count += 1;
    }
  }
  const [missing] = [...expected.keys()].sort((a, b) => a - b);
  if (missing !== undefined)
    return {
      ok: false,
      count,
      brokenSeq: missing,
      reason:
        missing < first
          ? `event ${missing} comes before the first event checked (${first})`
          : `event ${missing} is missing: the chain ends at event ${first + count - 1} (events were cut off the end)`,
    };
  return { ok: true, count, head: prevHash ?? GENESIS_HASH, first };
}

/** The database's whole chain, from event 1. */
export function verifyAuditChain(db: Database, expect: readonly ExpectedEvent[] = []): Promise<VerifyResult> {
  return verifyEvents(auditEventPages(db), { expect });
}

/** `SEQ:HASH`, as `warden audit verify` prints a head and `--expect` takes one; undefined when malformed. */
export function parseExpected(text: string): ExpectedEvent | undefined {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: m[2]! } : undefined;
}
