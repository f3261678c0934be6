import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { HandlerDeps } from './app.js';

/** What Slack sends, grouped by the work each asks for. */
type Kind = 'command' | 'action' | 'form' | 'event';

/**
 * What a request is, for the handling-time metric: the command (`/posture`), the action or form
 * (`finding-acknowledge`), the event (`app_home_opened`). Requests are signed by Slack, and the names
 * are Warden's own, so the series stay few.
 */
function nameOf(body: unknown): string {
  const b = body as {
    command?: string;
    actions?: Array<{ action_id?: string }>;
    view?: { callback_id?: string };
    event?: { type?: string };
  };
  const name = b.command ?? b.actions?.[0]?.action_id ?? b.view?.callback_id ?? b.event?.type ?? 'other';
  return name.slice(0, 40);
}

export const BUSY = ':hourglass: Warden is busy; try again in a minute. Nothing was done.';

/**
 * Bounds the work after the ack: at most `limit` interactions of each kind are worked on at once.
 * Past that, the person is told at once that Warden is busy (and nothing is done), instead of an
 * answer that arrives 20 seconds later, and memory stays flat under sustained overload. Events (the
 * Home tab) past the limit are dropped: the next opening draws it again.
 */
export function boundWork(
  deps: Pick<HandlerDeps, 'log' | 'web' | 'metrics'>,
  limit: number,
): Middleware<AnyMiddlewareArgs> {
  const inFlight: Record<Kind, number> = { command: 0, action: 0, form: 0, event: 0 };
  let refused = 0;
  return async (args) => {
    const body = args.body as { type?: string; command?: string; user_id?: string; user?: { id?: string } };
    const kind: Kind | undefined = body.command
      ? 'command'
      : body.type === 'block_actions'
        ? 'action'
        : body.type === 'view_submission'
          ? 'form'
          : body.type === 'event_callback'
            ? 'event'
            : undefined;
    if (!kind) return args.next();
    if (inFlight[kind] >= limit) {
      refused += 1;
      if (refused === 1 || refused % 100 === 0)
        deps.log.warn({ kind, limit, refused }, 'Slack interactions refused: Warden is busy');
      const { ack, respond } = args as {
        ack?: (answer?: unknown) => Promise<void>;
        respond?: (m: unknown) => Promise<unknown>;
      };
      if (kind === 'command') return ack?.({ response_type: 'ephemeral', text: BUSY });
      await ack?.();
      if (kind === 'action')
        await respond?.({ response_type: 'ephemeral', replace_original: false, text: BUSY });
      const user = body.user?.id;
      if (kind === 'form' && user) await deps.web.chat.postMessage({ channel: user, text: BUSY });
      return;
    }
    inFlight[kind] += 1;
    const done = deps.metrics.slackHandlingSeconds.startTimer({ kind, name: nameOf(args.body) });
    try {
      await args.next();
    } finally {
      inFlight[kind] -= 1;
      done();
    }
  };
}
