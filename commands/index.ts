import type { App } from '@slack/bolt';
import type { SlackDeps } from '../src/slack/app.js';
import { wardenCommand } from './warden.js';

/** Every slash command Warden answers, registered in one place. */
export function registerCommands(app: App, deps: SlackDeps): void {
  app.command('/warden', wardenCommand(deps));
}
