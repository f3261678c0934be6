import { appendAudit } from '../audit/trail.js';
import type { Database } from '../db/client.js';
import { buildEvidence, type EvidencePack, type EvidenceRequest } from '../report/evidence.js';
import { renderPack } from '../report/pack.js';

/**
 * Makes an evidence pack (data and files) and records it in the audit trail: who asked for which
 * framework, scope and period, and each file's SHA-256, so a pack handed to an auditor can be matched
 * to the trail (its cover names the head before this event).
 */
export async function makeEvidencePack(
  db: Database,
  request: EvidenceRequest & { actor: string },
): Promise<{ pack: EvidencePack; files: Array<{ name: string; content: Buffer; sha256: string }> }> {
  const pack = await buildEvidence(db, request);
  const rendered = await renderPack(pack);
  await appendAudit(db, {
    actor: request.actor,
    action: 'report.generated',
    subject: `framework:${pack.framework.id}`,
    details: {
      scope: { kind: pack.scope.kind, id: pack.scope.id },
      from: pack.period.from.toISOString(),
      to: pack.period.to.toISOString(),
      auditHead: pack.auditHead,
      files: rendered.files.map(({ name, sha256 }) => ({ name, sha256 })),
    },
    at: request.now,
  });
  return { pack, files: rendered.files };
}
