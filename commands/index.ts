import type { App } from '@slack/bolt';
import type { HandlerDeps } from '../src/slack/app.js';
import { FINDINGS_OPEN_ACTION, PAGER_ACTIONS } from '../src/slack/blocks/findings.js';
import { complianceCommand } from './compliance.js';
import { findingsCommand, findingsOpener, findingsPager } from './findings.js';
import { postureCommand } from './posture.js';
import { remediateCommand } from './remediate.js';
import { wardenCommand } from './warden.js';

/** Every slash command Warden answers, registered in one place. */
export function registerCommands(app: App, deps: HandlerDeps): void {
  app.command('/compliance', complianceCommand(deps));
  app.command('/findings', findingsCommand(deps));
  for (const id of Object.values(PAGER_ACTIONS)) app.action(id, findingsPager(deps));
  app.action(FINDINGS_OPEN_ACTION, findingsOpener(deps));
  app.command('/posture', postureCommand(deps));
  app.command('/remediate', remediateCommand(deps));
  app.command('/warden', wardenCommand(deps));
}
