import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { HandlerDeps } from '../app.js';
import { homeTab } from '../finding-views.js';

/** Opening Warden's Home tab publishes it afresh for that person. */
export function homeOpened(deps: HandlerDeps) {
  return async ({ event }: AllMiddlewareArgs & SlackEventMiddlewareArgs<'app_home_opened'>) => {
    if (event.tab !== 'home') return;
    const who = await deps.directory.identify(event.user);
    await deps.web.views.publish({ user_id: event.user, view: await homeTab(deps, who) });
  };
}
