import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import { eq } from 'drizzle-orm';
import { remediationRequests } from '../../db/schema.js';
import { PLAYBOOKS } from '../../remediate/registry.js';
import { findingAccess } from '../../workflow/finding-access.js';
import { createRequest, rollbackPlan } from '../../workflow/remediation.js';
import type { HandlerDeps } from '../app.js';
import {
  parseRequestBlockId,
  REMEDIATION_CALLBACKS,
  REMEDIATION_FIELDS,
  reasonModal,
} from '../blocks/remediation.js';
import { announceRequest, refreshRequest } from '../remediation-messages.js';
import { respondVia } from '../respond.js';
import { refuse } from './finding-action.js';
import { tell } from './tell.js';

interface RollbackMetadata {
  id: number;
  r?: string;
}

/** Roll back… on a finished request: asks why first. */
export function rollbackButton(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    const id = parseRequestBlockId(action.block_id);
    if (id === undefined) {
      return tell(
        deps,
        { userId: body.user.id, respond: body.response_url ? respond : undefined },
        'That button does not name a Warden remediation request.',
      );
    }
    const metadata: RollbackMetadata = { id, ...(body.response_url ? { r: body.response_url } : {}) };
    await deps.web.views.open({
      trigger_id: body.trigger_id,
      view: reasonModal({
        callbackId: REMEDIATION_CALLBACKS.rollback,
        title: `Roll back #${id}`,
        submit: 'Request rollback',
        label: 'Why roll it back?',
        about: `Ask to undo remediation #${id}. The rollback is approved like any request before it runs.`,
        metadata: JSON.stringify(metadata),
      }),
    });
  };
}

/**
 * A rollback is a new request (`rollbackOf` the original) whose plan restores what the original
 * saved; it goes through the same approval policy. Requested by the finding's owners and the admins.
 */
export function submitRollback(deps: HandlerDeps) {
  return async ({ ack, body, view }: AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>) => {
    const reason = (view.state.values[REMEDIATION_FIELDS.reason]?.value?.value ?? '').trim();
    if (!reason) {
      await ack({
        response_action: 'errors',
        errors: { [REMEDIATION_FIELDS.reason]: 'A reason is required.' },
      });
      return;
    }
    await ack();
    let metadata: RollbackMetadata | undefined;
    try {
      metadata = JSON.parse(view.private_metadata) as RollbackMetadata;
    } catch {}
    const origin = { userId: body.user.id, respond: respondVia(metadata?.r, deps.slack) };
    const [original] = metadata
      ? await deps.db
          .select()
          .from(remediationRequests)
          .where(eq(remediationRequests.id, Number(metadata.id)))
      : [];
    const playbook = original && PLAYBOOKS.get(original.playbookId);
    if (!original || !playbook)
      return tell(deps, origin, 'That form does not name a Warden remediation request.');
    const who = await deps.directory.identify(body.user.id);
    const access = await findingAccess(deps.db, who, original.findingId, deps.config.policy);
    if (!access.allowed) {
      await refuse(deps, origin, {
        attempted: 'roll back',
        subject: `remediation:${original.id}`,
        reason: access.reason,
      });
      return;
    }
    try {
      const request = await createRequest(
        deps.db,
        {
          finding: access.finding,
          playbook,
          input: original.input,
          plan: rollbackPlan(original, playbook),
          reason,
          requestedBy: who.userId,
          rollbackOf: original.id,
        },
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
