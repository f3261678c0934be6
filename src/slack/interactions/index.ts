import type { App } from '@slack/bolt';
import type { HandlerDeps } from '../app.js';
import { FINDING_ACTIONS } from '../blocks/finding.js';
import { PAGER_ACTIONS } from '../blocks/findings.js';
import { SUPPRESS_CALLBACK } from '../blocks/suppress.js';
import { assignSelect } from './assign.js';
import { homeOpened } from './home.js';
import { openSuppressModal, submitSuppression } from './suppress.js';
import { TRIAGE_BUTTONS, triageButton } from './triage.js';
import { refuseUnknownActions } from './unknown-action.js';

/**
 * Every interactive action, modal and event Warden answers, registered in one place. A button no
 * handler knows is refused and audited before any handler runs.
 */
export function registerInteractions(app: App, deps: HandlerDeps): void {
  app.use(
    refuseUnknownActions(deps, new Set([...Object.values(FINDING_ACTIONS), ...Object.values(PAGER_ACTIONS)])),
  );
  for (const id of TRIAGE_BUTTONS) app.action(id, triageButton(deps));
  app.action(FINDING_ACTIONS.assign, assignSelect(deps));
  app.action(FINDING_ACTIONS.suppress, openSuppressModal(deps));
  app.view(SUPPRESS_CALLBACK, submitSuppression(deps));
  // A link button still sends an action; acknowledging it is all there is to do.
  app.action(FINDING_ACTIONS.console, async ({ ack }) => {
    await ack();
  });
  app.event('app_home_opened', homeOpened(deps));
}
