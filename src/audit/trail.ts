import { appendToChain } from '../db/audit-events.js';
import type { Database } from '../db/client.js';
import type { AuditEvent } from '../db/schema.js';
import { eventHash, GENESIS_HASH } from './hash.js';
import { scrubSecrets } from './redact.js';

export interface AuditInput {
  /** Who did it: a Slack user id, `warden:<job>` for Warden itself, or `cli:<user>`. */
  actor: string;
  /** What was done, dotted: `finding.acknowledged`, `remediation.approved`, `permission.denied`, … */
  action: string;
  /** What it was done to: `finding:42`, `account:111122223333`, `remediation:7`. */
  subject: string;
  details?: Record<string, unknown>;
  /** Defaults to now; tests pass their own clock. */
  at?: Date;
}

/**
 * Appends one event to the hash chain (src/db/audit-events.ts: inside the caller's transaction when
 * given one, serialised across processes): its secrets scrubbed, linked to the head, hashed.
 */
export function appendAudit(db: Database, input: AuditInput): Promise<AuditEvent> {
  return appendToChain(db, (head) => {
    const content = {
      seq: (head?.seq ?? 0) + 1,
      at: input.at ?? new Date(),
      actor: input.actor,
      action: input.action,
      subject: input.subject,
      details: scrubSecrets(input.details ?? {}),
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    return { ...content, hash: eventHash(content) };
  });
}
