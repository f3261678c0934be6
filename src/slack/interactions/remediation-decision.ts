import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { publishAnchor } from '../../workflow/audit-anchor.js';
import { decide, decisionRefusal } from '../../workflow/remediation.js';
import type { RequestDetails } from '../../workflow/remediation-queue.js';
import { runRequest } from '../../workflow/remediation-run.js';
import type { HandlerDeps } from '../app.js';
import { parseRequestBlockId, REMEDIATION_CALLBACKS, reasonModal } from '../blocks/remediation.js';
import { escapeMrkdwn } from '../blocks/text.js';
import { homeTab } from '../finding-views.js';
import { announceOutcome, refreshRequest, requestMessage } from '../remediation-messages.js';
import { respondVia } from '../respond.js';
import type { ClickOrigin } from './finding-action.js';
import { modalMetadata, readModalMetadata, refuseForm, takeReason } from './modal-form.js';
import { tell } from './tell.js';

/**
 * Records a decision and follows it through: a refusal is told (decide() audits it); an approval
 * that completes the request runs it here, exactly once, and announces the outcome; otherwise the
 * request's messages are redrawn. A click in the Home tab republishes the tab.
 */
async function decideAndFollow(
  deps: HandlerDeps,
  origin: ClickOrigin & { inHome: boolean },
  requestId: number,
  decision: 'approve' | 'reject',
  reason?: string,
): Promise<void> {
  const who = await deps.directory.identify(origin.userId);
  const outcome = await decide(deps.db, {
    requestId,
    who,
    decision,
    config: deps.config,
    ...(reason ? { reason } : {}),
  });
  if (outcome.outcome === 'refused') {
    await tell(
      deps,
      origin,
      `:no_entry: You cannot ${decision} remediation #${requestId}: ${outcome.reason}.`,
    );
  } else if (outcome.outcome === 'execute') {
    await refreshRequest(deps, requestId);
    await runRequest(deps, requestId);
    await announceOutcome(deps, requestId);
    // A change to an account is anchored at once, not at the end of the day.
    await publishAnchor(deps, 'remediation').catch((err: unknown) =>
      deps.log.error({ err, request: requestId }, 'publishing the audit head after a remediation failed'),
    );
  } else if (outcome.outcome === 'rejected') {
    await announceOutcome(deps, requestId);
  } else {
    await refreshRequest(deps, requestId);
  }
  if (origin.inHome) await deps.web.views.publish({ user_id: origin.userId, view: await homeTab(deps, who) });
}

const originOf = (body: BlockAction, respond: ClickOrigin['respond']) => ({
  userId: body.user.id,
  respond: body.response_url ? respond : undefined,
  inHome: body.container?.type === 'view',
});

/** Approve, on a request's message or in the Home tab. */
export function approveButton(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const origin = originOf(body, respond);
    const id = parseRequestBlockId(action.block_id);
    if (id === undefined) return tell(deps, origin, NOT_A_REQUEST);
    await decideAndFollow(deps, origin, id, 'approve');
  };
}

const NOT_A_REQUEST = 'That button does not name a Warden remediation request.';

/**
 * A request's button that asks why before anything happens (Reject…, Roll back…): reads the request
 * its block id names, checks that this person may do it (telling them, and auditing, when not), then
 * opens the reason modal, which carries the request's id back. The submission checks again.
 */
export function askWhyButton(
  deps: HandlerDeps,
  modal: (id: number, details: RequestDetails) => Omit<Parameters<typeof reasonModal>[0], 'metadata'>,
  allowed: (id: number, origin: ClickOrigin) => Promise<boolean>,
) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const id = parseRequestBlockId(action.block_id);
    const message = id === undefined ? undefined : await requestMessage(deps, id);
    const origin = originOf(body, respond);
    if (id === undefined || !message) return tell(deps, origin, NOT_A_REQUEST);
    if (!(await allowed(id, origin))) return;
    await deps.web.views.open({
      trigger_id: body.trigger_id,
      view: reasonModal({ ...modal(id, message.details), metadata: modalMetadata(id, body.response_url) }),
    });
  };
}

/** Reject…: asks why first, of someone who may decide the request. */
export const rejectButton = (deps: HandlerDeps) =>
  askWhyButton(
    deps,
    (id, details) => ({
      callbackId: REMEDIATION_CALLBACKS.reject,
      title: `Reject #${id}`,
      submit: 'Reject',
      label: 'Why not?',
      about: `Reject remediation #${id}: *${escapeMrkdwn(details.finding.title)}*. The requester is told your reason.`,
    }),
    async (id, origin) => {
      const who = await deps.directory.identify(origin.userId);
      const refused = await decisionRefusal(
        deps.db,
        { requestId: id, who, decision: 'reject', config: deps.config },
        deps.now(),
      );
      if (refused) await tell(deps, origin, `:no_entry: You cannot reject remediation #${id}: ${refused}.`);
      return !refused;
    },
  );

/** The rejection's reason is required; then the request is rejected and everyone concerned is told. */
export function submitRejection(deps: HandlerDeps) {
  return async ({ ack, body, view }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const reason = await takeReason(ack, view);
    if (!reason) return;
    const metadata = readModalMetadata(view.private_metadata);
    const origin = {
      userId: body.user.id,
      respond: respondVia(metadata?.r, deps.slackConfig),
      inHome: !metadata?.r,
    };
    if (!metadata) return refuseForm(deps, origin, REMEDIATION_CALLBACKS.reject);
    await decideAndFollow(deps, origin, metadata.id, 'reject', reason);
  };
}
