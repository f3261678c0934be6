import { AwsClients } from '../../src/aws/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { createLogger } from '../../src/log.js';
import { createSlackApp, startSlackApp } from '../../src/slack/app.js';
import { blockKitProblem, FakeSlack } from './fake-slack.js';
import { postToSlackEndpoint } from './signed-request.js';

export const SIGNING_SECRET = '0123456789abcdef0123456789abcdef';

export interface SlackHarness {
  slack: FakeSlack;
  config: Config;
  /** Posts a signed slash command as `user` and returns Warden's HTTP response. */
  command(command: string, text: string, user?: string, responseId?: string): Promise<Response>;
  /** Posts a signed `block_actions` payload, as Slack does when someone clicks a button. */
  click(actionId: string, value: string, user?: string, responseId?: string): Promise<Response>;
  /** Waits for the answer posted to a command's response_url, checked against Block Kit limits. */
  answer(responseId: string): Promise<{ args: Record<string, unknown>; text: string }>;
  endpoint: string;
  base: string;
  close(): Promise<void>;
}

/** Warden's real Bolt app, on a free port, talking to a fake Slack Web API, on the given database. */
export async function slackHarness(db: Database, env: Record<string, string> = {}): Promise<SlackHarness> {
  const slack = await new FakeSlack().start();
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'silent',
      ...env,
    },
    { requireSlack: true },
  );
  const clients = new AwsClients({ maxAttempts: config.aws.scan.maxAttempts, maxSockets: 16 });
  const app = createSlackApp({ config, slack: config.slack!, db, log: createLogger('silent'), clients });
  const base = `http://127.0.0.1:${await startSlackApp(app, 0)}`;
  const endpoint = `${base}/slack/events`;
  return {
    slack,
    config,
    base,
    endpoint,
    command: (command, text, user = 'U0ALICE', responseId = 'r1') =>
      postToSlackEndpoint(endpoint, SIGNING_SECRET, {
        command,
        text,
        user_id: user,
        user_name: user.toLowerCase(),
        channel_id: 'C0SEC',
        team_id: 'T0TEST',
        response_url: slack.responseUrl(responseId),
        trigger_id: '1.2.3',
      }),
    click: (actionId, value, user = 'U0ALICE', responseId = 'a1') =>
      postToSlackEndpoint(endpoint, SIGNING_SECRET, {
        payload: JSON.stringify({
          type: 'block_actions',
          team: { id: 'T0TEST', domain: 'warden-test' },
          user: { id: user, username: user.toLowerCase(), team_id: 'T0TEST' },
          api_app_id: 'A0WARDEN',
          token: 'legacy',
          trigger_id: '1.2.3',
          channel: { id: 'C0SEC', name: 'security' },
          container: {
            type: 'message',
            message_ts: '1700000000.000100',
            channel_id: 'C0SEC',
            is_ephemeral: true,
          },
          response_url: slack.responseUrl(responseId),
          actions: [
            { type: 'button', action_id: actionId, block_id: 'b1', value, action_ts: '1700000001.000200' },
          ],
        }),
      }),
    async answer(responseId) {
      const calls = await slack.waitFor(`/response/${responseId}`);
      const last = calls.at(-1)!;
      const problem = blockKitProblem('chat.postEphemeral', last.args);
      if (problem) throw new Error(`the answer breaks a Block Kit limit: ${problem}`);
      return { args: last.args, text: JSON.stringify(last.args.blocks) };
    },
    async close() {
      await app.stop();
      clients.destroy();
      await slack.stop();
    },
  };
}
