import type { ComplianceScopeOf, Framework } from '../posture/frameworks.js';
import { makeEvidencePack } from '../workflow/evidence.js';
import type { Identity } from '../workflow/policy.js';
import type { HandlerDeps } from './app.js';
import { escapeMrkdwn } from './blocks/text.js';

/**
 * Makes an evidence pack and sends it to the person who asked, in a direct message: a line saying
 * what it is, with its four files (HTML, PDF, CSV, manifest) in the message's thread. Returns the
 * DM's channel and each file's name and SHA-256.
 */
export async function sendEvidencePack(
  deps: Pick<HandlerDeps, 'db' | 'web' | 'now'>,
  who: Identity,
  request: { framework: Framework; scope: ComplianceScopeOf; from: Date; to: Date },
): Promise<{ channel: string; files: Array<{ name: string; sha256: string }> }> {
  const { pack, files } = await makeEvidencePack(deps.db, {
    ...request,
    generatedBy: who.email ? `${who.email} (Slack ${who.userId})` : `Slack ${who.userId}`,
    actor: who.userId,
    now: deps.now(),
  });
  const c = pack.summary.counts;
  const text =
    `Evidence pack: ${pack.framework.name} ${pack.framework.version}, ${pack.scope.title}, ` +
    `${pack.period.from.toISOString().slice(0, 10)} to ${new Date(pack.period.to.getTime() - 1).toISOString().slice(0, 10)}: ` +
    `${c.passed} passed, ${c.failed} failed, ${c.unknown} unknown, ${c['no-data']} without data, ${c.manual} manual requirements. ` +
    `Audit chain head ${pack.auditHead ? `${pack.auditHead.seq}:${pack.auditHead.hash}` : 'none'}; the manifest holds each file's SHA-256.`;
  // Posting to the user's id opens the DM; the files go to that DM's channel, in the message's thread.
  const posted = await deps.web.chat.postMessage({ channel: who.userId, text: escapeMrkdwn(text) });
  await deps.web.files.uploadV2({
    channel_id: posted.channel!,
    thread_ts: posted.ts!,
    file_uploads: files.map((f) => ({ file: f.content, filename: f.name, title: f.name })),
  });
  return { channel: posted.channel!, files: files.map(({ name, sha256 }) => ({ name, sha256 })) };
}
