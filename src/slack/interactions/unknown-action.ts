import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { recordDenial } from '../../workflow/denials.js';
import type { HandlerDeps } from '../app.js';
import { tell } from './tell.js';

/**
 * A click on a button Warden never drew, or the submission of a form it never opened (a forged or
 * stale payload), is acknowledged, refused and audited before any handler sees it, rather than left
 * for Slack to time out.
 */
export function refuseUnknownInteractions(
  deps: HandlerDeps,
  known: { actions: ReadonlySet<string>; views: ReadonlySet<string> },
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { body, next } = args;
    const b = body as {
      type?: string;
      actions?: Array<{ action_id?: string }>;
      view?: { callback_id?: string };
      user?: { id?: string };
    };
    const unknown =
      b.type === 'block_actions'
        ? (b.actions ?? []).map((a) => String(a.action_id)).filter((id) => !known.actions.has(id))
        : b.type === 'view_submission' || b.type === 'view_closed'
          ? [String(b.view?.callback_id)].filter((id) => !known.views.has(id))
          : [];
    if (unknown.length === 0) return next();
    const isView = b.type !== 'block_actions';
    const { ack, respond } = args as {
      ack?: () => Promise<void>;
      respond?: (m: unknown) => Promise<unknown>;
    };
    await ack?.();
    const actor = b.user?.id ?? 'unknown';
    await recordDenial(deps.db, {
      actor,
      attempted: `${isView ? 'form' : 'action'} ${unknown.join(', ').slice(0, 200)}`,
      subject: isView ? 'slack:view' : 'slack:action',
      reason: isView ? 'Warden did not draw this form' : 'Warden has no such action',
    });
    if (isView) {
      if (b.type === 'view_submission' && b.user?.id)
        await tell(
          deps,
          { userId: b.user.id, respond: undefined },
          ':no_entry: That form is not one Warden drew; nothing was done.',
        );
      return;
    }
    await respond?.({
      response_type: 'ephemeral',
      replace_original: false,
      text: ':no_entry: That button is not one of Warden’s; nothing was done.',
    });
  };
}
