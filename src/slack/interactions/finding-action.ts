import type { RespondFn } from '@slack/bolt';
import type { WorkflowUpdate } from '../../aws/securityhub-updates.js';
import type { Finding } from '../../db/schema.js';
import { recordDenial } from '../../workflow/denials.js';
import { findingAccess } from '../../workflow/finding-access.js';
import type { Identity } from '../../workflow/policy.js';
import { writeBackWorkflow } from '../../workflow/securityhub-sync.js';
import type { TriageResult } from '../../workflow/triage.js';
import type { HandlerDeps } from '../app.js';
import { type FindingView, parseFindingBlockId } from '../blocks/finding.js';
import { homeTab, redrawMessage } from '../finding-views.js';
import { readAccess } from '../read-access.js';

/** Where a click came from: who clicked, and how to answer (a message's response_url, or the Home tab). */
export interface ClickOrigin {
  userId: string;
  /** Absent for clicks in the Home tab, which has no response_url. */
  respond: RespondFn | undefined;
}

/** What one action does to a finding the person may change. */
export type FindingChange = (input: { finding: Finding; who: Identity }) => Promise<
  TriageResult & {
    /** Written back to Security Hub when the state changed. */
    writeBack?: WorkflowUpdate;
    /** Done after the change (and the write-back), e.g. the DM to an assignee. */
    afterwards?: () => Promise<void>;
  }
>;

/** How a person is named in notes written to AWS: their email when Slack has it, else their user id. */
export const nameOf = (who: Identity) => who.email ?? who.userId;

/**
 * Runs one action on the finding named by a block id: reads the finding, re-checks that this person
 * may change it, changes its issue (state and audit event in one transaction), writes the new workflow
 * back to Security Hub for each of the findings, and draws the message (or Home tab) again with the new state. A block id that is
 * not Warden's, a finding that does not exist or a person who may not change it: refused, audited,
 * told why, and nothing changes.
 */
export async function actOnFinding(
  deps: HandlerDeps,
  origin: ClickOrigin,
  input: { blockId: string; attempted: string },
  change: FindingChange,
): Promise<void> {
  const target = parseFindingBlockId(input.blockId);
  const allowed = await findingFor(deps, origin, target?.findingId, input.attempted);
  if (!target || !allowed) return;
  const result = await change(allowed);
  // Every finding of the issue the change reached is written back (each Security Hub copy of it).
  if (result.changed && result.writeBack) {
    await writeBackWorkflow(deps.writeBack, result.sources, result.writeBack, origin.userId);
  }
  if (result.changed) await result.afterwards?.();
  await redraw(deps, origin, target.view, target.findingId);
}

/**
 * The finding a click is about and who clicked, when that person may change it: the finding read
 * again and permission checked again, whatever the button said. Otherwise (no such finding, a block
 * id that is not Warden's, someone who may not) the refusal is audited and told, and it returns
 * undefined.
 */
export async function findingFor(
  deps: HandlerDeps,
  origin: ClickOrigin,
  findingId: number | undefined,
  attempted: string,
  subject = findingId === undefined ? 'slack:block' : `finding:${findingId}`,
): Promise<{ finding: Finding; who: Identity } | undefined> {
  if (findingId === undefined) {
    await refuse(deps, origin, { attempted, subject, reason: 'the message does not name a Warden finding' });
    return undefined;
  }
  const who = await deps.directory.identify(origin.userId);
  const access = await findingAccess(deps.db, who, findingId, deps.config.policy);
  if (!access.allowed) {
    await refuse(deps, origin, { attempted, subject, reason: access.reason });
    return undefined;
  }
  return { finding: access.finding, who };
}

/** Draws the view a finding was clicked in again, from the database. */
export async function redraw(
  deps: HandlerDeps,
  origin: ClickOrigin,
  view: FindingView,
  findingId: number,
): Promise<void> {
  if (view.kind === 'home' || !origin.respond) {
    const who = await deps.directory.identify(origin.userId);
    await deps.web.views.publish({ user_id: origin.userId, view: await homeTab(deps, who) });
    return;
  }
  // The page is drawn again as its reader may read it (an owner sees only their accounts' findings).
  const { scope } = await readAccess(deps, origin.userId);
  const message = await redrawMessage(deps, view, origin.userId, findingId, scope);
  if (message) await origin.respond({ replace_original: true, ...message });
}

/** Refuses an action: audits who tried what and why not, and tells them, changing nothing else. */
export async function refuse(
  deps: HandlerDeps,
  origin: ClickOrigin,
  denial: { attempted: string; subject: string; reason: string },
): Promise<void> {
  await recordDenial(deps.db, { actor: origin.userId, ...denial });
  const text = `:no_entry: You cannot ${denial.attempted} this: ${denial.reason}.`;
  if (origin.respond) {
    await origin.respond({ response_type: 'ephemeral', replace_original: false, text });
    return;
  }
  // The Home tab has no response_url: the refusal is shown at its top.
  const who = await deps.directory.identify(origin.userId);
  await deps.web.views.publish({ user_id: origin.userId, view: await homeTab(deps, who, text) });
}
