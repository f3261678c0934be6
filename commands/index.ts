import type { App } from '@slack/bolt';
import type { HandlerDeps } from '../src/slack/app.js';
import { postureCommand } from './posture.js';
import { wardenCommand } from './warden.js';

/** Every slash command Warden answers, registered in one place. */
export function registerCommands(app: App, deps: HandlerDeps): void {
  app.command('/posture', postureCommand(deps));
  app.command('/warden', wardenCommand(deps));
}
