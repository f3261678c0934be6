import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { requestRollback, rollbackRefusal } from '../../workflow/remediation.js';
import { requestById } from '../../workflow/remediation-queue.js';
import type { HandlerDeps } from '../app.js';
import { REMEDIATION_CALLBACKS } from '../blocks/remediation.js';
import { announceRequest, refreshRequest } from '../remediation-messages.js';
import { respondVia } from '../respond.js';
import { findingFor } from './finding-action.js';
import { readModalMetadata, refuseForm, takeReason } from './modal-form.js';
import { askWhyButton } from './remediation-decision.js';
import { tell } from './tell.js';

/** Roll back… on a finished request: asks why first, of someone who may change the finding, when it can be undone. */
export const rollbackButton = (deps: HandlerDeps) =>
  askWhyButton(
    deps,
    (id) => ({
      callbackId: REMEDIATION_CALLBACKS.rollback,
      title: `Roll back #${id}`,
      submit: 'Request rollback',
      label: 'Why roll it back?',
      about: `Ask to undo remediation #${id}. The rollback is approved like any request before it runs.`,
    }),
    async (id, origin) => {
      const original = await requestById(deps.db, id);
      if (!original) return false;
      if (!(await findingFor(deps, origin, original.findingId, 'roll back', `remediation:${id}`)))
        return false;
      const refused = rollbackRefusal(original);
      if (refused)
        await tell(deps, origin, `:no_entry: Remediation #${id} cannot be rolled back: ${refused}.`);
      return !refused;
    },
  );

/**
 * A rollback is a new request (`rollbackOf` the original) whose plan restores what the original
 * saved; it goes through the same approval policy. Requested by the finding's owners and the admins.
 */
export function submitRollback(deps: HandlerDeps) {
  return async ({ ack, body, view }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const reason = await takeReason(ack, view);
    if (!reason) return;
    const metadata = readModalMetadata(view.private_metadata);
    const origin = { userId: body.user.id, respond: respondVia(metadata?.r, deps.slackConfig) };
    const original = metadata ? await requestById(deps.db, metadata.id) : undefined;
    if (!original) return refuseForm(deps, origin, REMEDIATION_CALLBACKS.rollback);
    const allowed = await findingFor(
      deps,
      origin,
      original.findingId,
      'roll back',
      `remediation:${original.id}`,
    );
    if (!allowed) return;
    try {
      const request = await requestRollback(
        deps.db,
        { original, finding: allowed.finding, reason, requestedBy: allowed.who.userId },
        deps.config,
      );
      await announceRequest(deps, request.id);
      await refreshRequest(deps, original.id);
      await tell(
        deps,
        origin,
        `:inbox_tray: Rollback #${request.id} of remediation #${original.id} is waiting for approval.`,
      );
    } catch (err) {
      await tell(deps, origin, `:no_entry: Nothing was requested: ${(err as Error).message}.`);
    }
  };
}
