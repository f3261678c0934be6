import type {
  AllMiddlewareArgs,
  BlockAction,
  RespondFn,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  StaticSelectAction,
  ViewSubmitAction,
} from '@slack/bolt';
import type { Finding } from '../../db/schema.js';
import type { Playbook } from '../../remediate/playbook.js';
import { playbooksFor } from '../../remediate/registry.js';
import { findingAccess } from '../../workflow/finding-access.js';
import type { Identity } from '../../workflow/policy.js';
import { approvalsRequired, createRequest } from '../../workflow/remediation.js';
import { preparePlan } from '../../workflow/remediation-run.js';
import type { HandlerDeps } from '../app.js';
import { parseFindingBlockId } from '../blocks/finding.js';
import { REMEDIATION_FIELDS, requestModal } from '../blocks/remediation.js';
import { announceRequest } from '../remediation-messages.js';
import { respondVia } from '../respond.js';
import { type ClickOrigin, nameOf, refuse } from './finding-action.js';
import { tell } from './tell.js';

/** What the request modal carries: the finding, and where to answer (the message's response_url). */
interface RequestMetadata {
  f: number;
  r?: string;
}

/** The plan a playbook would run on this finding now, read with the audit role; or why it cannot. */
async function planFor(deps: HandlerDeps, finding: Finding, playbook: Playbook, who: Identity) {
  try {
    const { plan } = await preparePlan(deps, playbook, { finding, requester: nameOf(who), reason: '…' });
    return { calls: plan, approvals: approvalsRequired(playbook, finding, deps.config.policy) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const choices = (playbooks: Playbook[]) =>
  playbooks.map((p) => ({ id: p.id, title: p.title, description: p.description, reversible: p.reversible }));

/**
 * Request remediation… (a finding's button, or `/remediate <finding>`): for the finding's owners and
 * the admins, opens the modal at once, then fills in the plan of the first applicable playbook once
 * it has been read from AWS (the trigger to open a modal lasts 3 seconds; reading may take longer).
 */
export async function openRequestModal(
  deps: HandlerDeps,
  input: {
    userId: string;
    triggerId: string;
    findingId: number;
    /** The message or command being answered: the modal keeps its response_url to answer it later. */
    responseUrl: string | undefined;
    respond: RespondFn | undefined;
  },
): Promise<void> {
  const origin: ClickOrigin = { userId: input.userId, respond: input.respond };
  const who = await deps.directory.identify(input.userId);
  const access = await findingAccess(deps.db, who, input.findingId, deps.config.policy);
  if (!access.allowed) {
    await refuse(deps, origin, {
      attempted: 'request a remediation of',
      subject: `finding:${input.findingId}`,
      reason: access.reason,
    });
    return;
  }
  const { finding } = access;
  const playbooks = playbooksFor(finding);
  if (playbooks.length === 0) {
    await tell(deps, origin, `No playbook can fix finding #${finding.id} (${finding.title}).`);
    return;
  }
  const modal = (plan: Parameters<typeof requestModal>[0]['plan'], selected = playbooks[0]!.id) =>
    requestModal({
      finding,
      playbooks: choices(playbooks),
      selected,
      plan,
      mode: deps.config.aws.remediation.mode,
      metadata: JSON.stringify({
        f: finding.id,
        ...(input.responseUrl ? { r: input.responseUrl } : {}),
      }),
    });
  const opened = await deps.web.views.open({ trigger_id: input.triggerId, view: modal('loading') });
  const plan = await planFor(deps, finding, playbooks[0]!, who);
  await deps.web.views.update({ view_id: opened.view!.id!, view: modal(plan) });
}

/** The finding's button. */
export function requestRemediationButton(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const target = parseFindingBlockId(action.block_id);
    const origin: ClickOrigin = { userId: body.user.id, respond: body.response_url ? respond : undefined };
    if (!target) {
      await refuse(deps, origin, {
        attempted: 'request a remediation of',
        subject: 'slack:block',
        reason: 'the message does not name a Warden finding',
      });
      return;
    }
    await openRequestModal(deps, {
      userId: body.user.id,
      triggerId: body.trigger_id,
      findingId: target.findingId,
      responseUrl: body.response_url,
      respond: origin.respond,
    });
  };
}

function metadataOf(raw: string | undefined): RequestMetadata | undefined {
  try {
    const m = JSON.parse(raw ?? '') as RequestMetadata;
    return Number.isInteger(m.f) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Choosing another playbook in the modal: its plan is read and shown in place of the last one. */
export function choosePlaybook(deps: HandlerDeps) {
  return async ({ ack, action, body }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const view = body.view;
    const metadata = metadataOf(view?.private_metadata);
    const selected = (action as StaticSelectAction).selected_option?.value;
    if (!view || !metadata || !selected) return;
    const who = await deps.directory.identify(body.user.id);
    const access = await findingAccess(deps.db, who, metadata.f, deps.config.policy);
    if (!access.allowed) return;
    const playbooks = playbooksFor(access.finding);
    const playbook = playbooks.find((p) => p.id === selected);
    if (!playbook) return;
    await deps.web.views.update({
      view_id: view.id,
      hash: view.hash,
      view: requestModal({
        finding: access.finding,
        playbooks: choices(playbooks),
        selected,
        plan: await planFor(deps, access.finding, playbook, who),
        mode: deps.config.aws.remediation.mode,
        metadata: view.private_metadata,
      }),
    });
  };
}

/**
 * Request: a reason is required (shown on the field). Then, with permission checked again and the
 * plan read again (what approvers see is what was read now), the request is stored and announced to
 * the people who may approve it; the requester is told where it stands.
 */
export function submitRemediationRequest(deps: HandlerDeps) {
  return async ({ ack, body, view }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const values = view.state.values;
    const reason = (values[REMEDIATION_FIELDS.reason]?.value?.value ?? '').trim();
    const playbookId =
      Object.values(values[REMEDIATION_FIELDS.playbook] ?? {})[0]?.selected_option?.value ?? '';
    if (!reason) {
      await ack({
        response_action: 'errors',
        errors: { [REMEDIATION_FIELDS.reason]: 'A reason is required.' },
      });
      return;
    }
    await ack();
    const metadata = metadataOf(view.private_metadata);
    const origin: ClickOrigin = { userId: body.user.id, respond: respondVia(metadata?.r, deps.slack) };
    if (!metadata) return tell(deps, origin, 'That form is not one Warden drew; nothing was requested.');
    const who = await deps.directory.identify(body.user.id);
    const access = await findingAccess(deps.db, who, metadata.f, deps.config.policy);
    if (!access.allowed) {
      await refuse(deps, origin, {
        attempted: 'request a remediation of',
        subject: `finding:${metadata.f}`,
        reason: access.reason,
      });
      return;
    }
    const playbook = playbooksFor(access.finding).find((p) => p.id === playbookId);
    if (!playbook)
      return tell(deps, origin, `The playbook ${playbookId} cannot fix this finding; nothing was requested.`);
    try {
      const { input, plan } = await preparePlan(deps, playbook, {
        finding: access.finding,
        requester: nameOf(who),
        reason,
      });
      const request = await createRequest(
        deps.db,
        { finding: access.finding, playbook, input, plan, reason, requestedBy: who.userId },
        deps.config,
      );
      await announceRequest(deps, request.id);
      await tell(
        deps,
        origin,
        `:inbox_tray: Remediation #${request.id} (${playbook.title}) is waiting for ${request.requiredApprovals === 1 ? 'an approval' : `${request.requiredApprovals} approvals`}; the approvers have it.`,
      );
    } catch (err) {
      await tell(deps, origin, `:no_entry: Nothing was requested: ${(err as Error).message}.`);
    }
  };
}
