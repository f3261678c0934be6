import type { App } from '@slack/bolt';

/**
 * Every interactive action Warden answers, registered in one place. A link button still sends an
 * action to the app; it is acknowledged so Slack shows no error.
 */
export function registerInteractions(app: App): void {
  app.action(/^console-\d+$/, async ({ ack }) => {
    await ack();
  });
}
