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
import type { Identity } from '../../workflow/policy.js';
import { approvalsRequired, createRequest } from '../../workflow/remediation.js';
import { preparePlan } from '../../workflow/remediation-run.js';
import type { HandlerDeps } from '../app.js';
import { parseFindingBlockId } from '../blocks/finding.js';
import { REMEDIATION_CALLBACKS, REMEDIATION_FIELDS, requestModal } from '../blocks/remediation.js';
import { announceRequest } from '../remediation-messages.js';
import { respondVia } from '../respond.js';
import { type ClickOrigin, findingFor, nameOf } from './finding-action.js';
import { modalMetadata, readModalMetadata, refuseForm, takeReason } from './modal-form.js';
import { tell } from './tell.js';

/** The plan a playbook would run on this finding now, read with the audit role; or why it cannot. */
async function planFor(deps: HandlerDeps, finding: Finding, playbook: Playbook, who: Identity) {
  try {
    const { plan } = await preparePlan(deps, playbook, { finding, requester: nameOf(who), reason: '…' });
    return { calls: plan, approvals: approvalsRequired(playbook, finding, deps.config.policy) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const REQUEST = 'request a remediation of';

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
  const allowed = await findingFor(deps, origin, input.findingId, REQUEST);
  if (!allowed) return;
  const { finding, who } = allowed;
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
      metadata: modalMetadata(finding.id, input.responseUrl),
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
      await findingFor(deps, origin, undefined, REQUEST);
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

/** Choosing another playbook in the modal: its plan is read and shown in place of the last one. */
export function choosePlaybook(deps: HandlerDeps) {
  return async ({ ack, action, body }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const view = body.view;
    const metadata = readModalMetadata(view?.private_metadata);
    const selected = (action as StaticSelectAction).selected_option?.value;
    if (!view || !selected) return;
    if (!metadata)
      return refuseForm(deps, { userId: body.user.id, respond: undefined }, REMEDIATION_CALLBACKS.request);
    const allowed = await findingFor(
      deps,
      { userId: body.user.id, respond: undefined },
      metadata.id,
      REQUEST,
    );
    if (!allowed) return;
    const { finding, who } = allowed;
    const playbooks = playbooksFor(finding);
    const playbook = playbooks.find((p) => p.id === selected);
    if (!playbook) return;
    await deps.web.views.update({
      view_id: view.id,
      hash: view.hash,
      view: requestModal({
        finding,
        playbooks: choices(playbooks),
        selected,
        plan: await planFor(deps, finding, playbook, who),
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
    const playbookId =
      Object.values(view.state.values[REMEDIATION_FIELDS.playbook] ?? {})[0]?.selected_option?.value ?? '';
    const reason = await takeReason(ack, view);
    if (!reason) return;
    const metadata = readModalMetadata(view.private_metadata);
    const origin: ClickOrigin = { userId: body.user.id, respond: respondVia(metadata?.r, deps.slackConfig) };
    if (!metadata) return refuseForm(deps, origin, REMEDIATION_CALLBACKS.request);
    const allowed = await findingFor(deps, origin, metadata.id, REQUEST);
    if (!allowed) return;
    const { finding, who } = allowed;
    const playbook = playbooksFor(finding).find((p) => p.id === playbookId);
    if (!playbook)
      return tell(deps, origin, `The playbook ${playbookId} cannot fix this finding; nothing was requested.`);
    try {
      const { input, plan } = await preparePlan(deps, playbook, { finding, requester: nameOf(who), reason });
      const request = await createRequest(
        deps.db,
        { finding, playbook, input, plan, reason, requestedBy: who.userId },
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
