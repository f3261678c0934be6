import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { HandlerDeps } from '../app.js';
import { section } from '../blocks/text.js';
import { homeTab } from '../finding-views.js';
import { readAccess, refuseRead } from '../read-access.js';

/** Opening Warden's Home tab publishes it afresh for that person; someone who may read nothing is told why. */
export function homeOpened(deps: HandlerDeps) {
  return async ({ event }: AllMiddlewareArgs & SlackEventMiddlewareArgs<'app_home_opened'>) => {
    if (event.tab !== 'home') return;
    const { who, scope } = await readAccess(deps, event.user);
    const view =
      scope.kind === 'none'
        ? {
            type: 'home' as const,
            blocks: [section(await refuseRead(deps, event.user, 'open Warden’s Home tab', scope.reason))],
          }
        : await homeTab(deps, who);
    await deps.web.views.publish({ user_id: event.user, view });
  };
}
