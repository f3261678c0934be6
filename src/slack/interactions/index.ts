import type { App } from '@slack/bolt';
import type { HandlerDeps } from '../app.js';
import { REVIEW_ACTIONS, REVIEW_CALLBACKS } from '../blocks/access-review.js';
import { FINDING_ACTIONS } from '../blocks/finding.js';
import { FINDINGS_OPEN_ACTION, PAGER_ACTIONS } from '../blocks/findings.js';
import { REMEDIATION_ACTIONS, REMEDIATION_CALLBACKS } from '../blocks/remediation.js';
import { SUPPRESS_CALLBACK } from '../blocks/suppress.js';
import { reviewButton, submitKeep, submitNotMine, submitRevoke } from './access-review.js';
import { assignSelect } from './assign.js';
import { homeOpened } from './home.js';
import { approveButton, rejectButton, submitRejection } from './remediation-decision.js';
import { choosePlaybook, requestRemediationButton, submitRemediationRequest } from './remediation-request.js';
import { rollbackButton, submitRollback } from './remediation-rollback.js';
import { openSuppressModal, submitSuppression } from './suppress.js';
import { TRIAGE_BUTTONS, triageButton } from './triage.js';
import { refuseUnknownInteractions } from './unknown-action.js';

/**
 * Every interactive action, modal and event Warden answers, registered in one place. A button no
 * handler knows, or a form Warden never opened, is refused and audited before any handler runs.
 */
export function registerInteractions(app: App, deps: HandlerDeps): void {
  app.use(
    refuseUnknownInteractions(deps, {
      actions: new Set([
        ...Object.values(FINDING_ACTIONS),
        ...Object.values(PAGER_ACTIONS),
        FINDINGS_OPEN_ACTION,
        ...Object.values(REMEDIATION_ACTIONS),
        ...Object.values(REVIEW_ACTIONS),
      ]),
      views: new Set([
        SUPPRESS_CALLBACK,
        ...Object.values(REMEDIATION_CALLBACKS),
        ...Object.values(REVIEW_CALLBACKS),
      ]),
    }),
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
  app.action(FINDING_ACTIONS.remediate, requestRemediationButton(deps));
  app.action(REMEDIATION_ACTIONS.choosePlaybook, choosePlaybook(deps));
  app.view(REMEDIATION_CALLBACKS.request, submitRemediationRequest(deps));
  app.action(REMEDIATION_ACTIONS.approve, approveButton(deps));
  app.action(REMEDIATION_ACTIONS.reject, rejectButton(deps));
  app.view(REMEDIATION_CALLBACKS.reject, submitRejection(deps));
  app.action(REMEDIATION_ACTIONS.rollback, rollbackButton(deps));
  app.view(REMEDIATION_CALLBACKS.rollback, submitRollback(deps));
  for (const id of Object.values(REVIEW_ACTIONS)) app.action(id, reviewButton(deps));
  app.view(REVIEW_CALLBACKS.keep, submitKeep(deps));
  app.view(REVIEW_CALLBACKS.revoke, submitRevoke(deps));
  app.view(REVIEW_CALLBACKS.notMine, submitNotMine(deps));
}
