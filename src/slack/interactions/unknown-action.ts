import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { recordDenial } from '../../workflow/denials.js';
import type { HandlerDeps } from '../app.js';

/**
 * A click on a button Warden never drew (a forged or stale payload) is acknowledged, refused and
 * audited before any handler sees it, rather than left for Slack to time out.
 */
export function refuseUnknownActions(
  deps: HandlerDeps,
  known: ReadonlySet<string>,
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { body, next } = args;
    const b = body as { type?: string; actions?: Array<{ action_id?: string }>; user?: { id?: string } };
    if (b.type !== 'block_actions') return next();
    const unknown = (b.actions ?? []).map((a) => String(a.action_id)).filter((id) => !known.has(id));
    if (unknown.length === 0) return next();
    const { ack, respond } = args as {
      ack?: () => Promise<void>;
      respond?: (m: unknown) => Promise<unknown>;
    };
    await ack?.();
    await recordDenial(deps.db, {
      actor: b.user?.id ?? 'unknown',
      attempted: `action ${unknown.join(', ').slice(0, 200)}`,
      subject: 'slack:action',
      reason: 'Warden has no such action',
    });
    await respond?.({
      response_type: 'ephemeral',
      replace_original: false,
      text: ':no_entry: That button is not one of Warden’s; nothing was done.',
    });
  };
}
