import { appendAudit } from '../audit/trail.js';
import type { Database } from '../db/client.js';

/** Records a refused action in the audit trail: who tried what, on what, and why it was refused. */
export async function recordDenial(
  db: Database,
  denial: { actor: string; attempted: string; subject: string; reason: string },
): Promise<void> {
  await appendAudit(db, {
    actor: denial.actor,
    action: 'permission.denied',
    subject: denial.subject,
    details: { attempted: denial.attempted, reason: denial.reason },
  });
}
