import { registerCommands } from '../../commands/index.js';
import { AwsClients } from '../../src/aws/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { createLogger, type Logger } from '../../src/log.js';
import { runtimeOn } from '../../src/runtime.js';
import { servicesOn } from '../../src/services.js';
import { createSlackApp, startSlackApp } from '../../src/slack/app.js';
import { blockKitProblem, FakeSlack, type Refusal } from './fake-slack.js';
import { postToSlackEndpoint } from './signed-request.js';

export const SIGNING_SECRET = '0123456789abcdef0123456789abcdef';

/** A click on an element of a message (or of the Home tab), as Slack posts it. */
export interface Click {
  actionId: string;
  blockId?: string;
  /** A button's value. */
  value?: string;
  /** A users_select's choice. */
  selectedUser?: string;
  user?: string;
  /** Where the answer goes (the message's response_url); ignored for clicks in the Home tab. */
  responseId?: string;
  /** The click happened in the App Home tab, which has no response_url. */
  home?: boolean;
}

export interface SlackHarness {
  slack: FakeSlack;
  config: Config;
  /** Posts a signed slash command as `user` and returns Warden's HTTP response. */
  command(command: string, text: string, user?: string, responseId?: string): Promise<Response>;
  /** Posts a signed `block_actions` payload with one button, as Slack does when someone clicks it. */
  click(actionId: string, value: string, user?: string, responseId?: string): Promise<Response>;
  /** Posts a signed `block_actions` payload for any element, in a message or in the Home tab. */
  act(click: Click): Promise<Response>;
  /** Posts a signed `view_submission` (a modal's Submit); the response carries any field errors. */
  submit(input: {
    callbackId: string;
    privateMetadata: string;
    values: Record<string, Record<string, Record<string, unknown>>>;
    user?: string;
  }): Promise<Response>;
  /** Posts a signed Events API callback. */
  event(event: Record<string, unknown>): Promise<Response>;
  /** Waits for the answer posted to a response_url, checked against Block Kit limits. */
  answer(responseId: string, count?: number): Promise<{ args: Record<string, unknown>; text: string }>;
  endpoint: string;
  base: string;
  /** Marks the refused calls made since the last check as expected (there must be `count`), and returns them. */
  expectRefusals(count: number): Refusal[];
  /** Stops everything; fails when Slack would have refused a call Warden made that no test expected. */
  close(): Promise<void>;
}

/** Warden's real Bolt app, on a free port, talking to a fake Slack Web API, on the given database. */
export async function slackHarness(
  db: Database,
  env: Record<string, string> = {},
  options: { log?: Logger } = {},
): Promise<SlackHarness> {
  const slack = await new FakeSlack().start();
  const expectedRefusals = new Set<Refusal>();
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
  const runtime = runtimeOn(config, db, { log: options.log ?? createLogger('silent') });
  const { app } = createSlackApp(servicesOn(runtime, { clients }), registerCommands);
  const base = `http://127.0.0.1:${await startSlackApp(app, 0)}`;
  const endpoint = `${base}/slack/events`;
  const user = (id: string) => ({ id, username: id.toLowerCase(), team_id: 'T0TEST' });
  // Slack gives each interaction its own trigger_id, good for opening one view within 3 seconds.
  let triggers = 0;
  const trigger = () => `${++triggers}.${Date.now()}.trigger`;
  const act = (c: Click) =>
    postToSlackEndpoint(endpoint, SIGNING_SECRET, {
      payload: JSON.stringify({
        type: 'block_actions',
        team: { id: 'T0TEST', domain: 'warden-test' },
        user: user(c.user ?? 'U0ALICE'),
        api_app_id: 'A0WARDEN',
        token: 'legacy',
        trigger_id: trigger(),
        ...(c.home
          ? {
              container: { type: 'view', view_id: 'V0HOME' },
              view: { id: 'V0HOME', type: 'home', blocks: [], private_metadata: '', callback_id: '' },
            }
          : {
              channel: { id: 'C0SEC', name: 'security' },
              container: {
                type: 'message',
                message_ts: '1700000000.000100',
                channel_id: 'C0SEC',
                is_ephemeral: true,
              },
              response_url: slack.responseUrl(c.responseId ?? 'a1'),
            }),
        actions: [
          c.selectedUser !== undefined
            ? {
                type: 'users_select',
                action_id: c.actionId,
                block_id: c.blockId ?? 'b1',
                selected_user: c.selectedUser,
                action_ts: '1700000001.000200',
              }
            : {
                type: 'button',
                action_id: c.actionId,
                block_id: c.blockId ?? 'b1',
                ...(c.value !== undefined ? { value: c.value } : {}),
                action_ts: '1700000001.000200',
              },
        ],
      }),
    });
  return {
    slack,
    config,
    base,
    endpoint,
    command: (command, text, userId = 'U0ALICE', responseId = 'r1') =>
      postToSlackEndpoint(endpoint, SIGNING_SECRET, {
        command,
        text,
        user_id: userId,
        user_name: userId.toLowerCase(),
        channel_id: 'C0SEC',
        team_id: 'T0TEST',
        response_url: slack.responseUrl(responseId),
        trigger_id: trigger(),
      }),
    click: (actionId, value, userId = 'U0ALICE', responseId = 'a1') =>
      act({ actionId, value, user: userId, responseId }),
    act,
    submit: ({ callbackId, privateMetadata, values, user: userId = 'U0ALICE' }) =>
      postToSlackEndpoint(endpoint, SIGNING_SECRET, {
        payload: JSON.stringify({
          type: 'view_submission',
          team: { id: 'T0TEST', domain: 'warden-test' },
          user: user(userId),
          api_app_id: 'A0WARDEN',
          token: 'legacy',
          trigger_id: trigger(),
          view: {
            id: 'V0MODAL',
            type: 'modal',
            callback_id: callbackId,
            private_metadata: privateMetadata,
            blocks: [],
            state: { values },
            hash: '1.abc',
          },
          response_urls: [],
        }),
      }),
    event: (event) =>
      postToSlackEndpoint(endpoint, SIGNING_SECRET, {
        json: {
          token: 'legacy',
          team_id: 'T0TEST',
          api_app_id: 'A0WARDEN',
          type: 'event_callback',
          event_id: `Ev${Date.now()}`,
          event_time: Math.floor(Date.now() / 1000),
          event,
        },
      }),
    async answer(responseId, count = 1) {
      const calls = await slack.waitFor(`/response/${responseId}`, count);
      const last = calls.at(-1)!;
      const problem = blockKitProblem('chat.postEphemeral', last.args);
      if (problem) throw new Error(`the answer breaks a Block Kit limit: ${problem}`);
      return { args: last.args, text: JSON.stringify(last.args.blocks ?? last.args.text) };
    },
    async close() {
      // Whatever a test did, Warden sent nothing that real Slack would have refused.
      const refused = slack.refusals.filter((r) => !expectedRefusals.has(r));
      await app.stop();
      clients.destroy();
      await slack.stop();
      if (refused.length > 0)
        throw new Error(
          `Slack would have refused ${refused.length} call(s) Warden made: ${refused
            .map((r) => `${r.method}: ${r.error} ${r.messages.join('; ')}`)
            .join(' | ')}`,
        );
    },
    expectRefusals(count) {
      const fresh = slack.refusals.filter((r) => !expectedRefusals.has(r));
      if (fresh.length !== count)
        throw new Error(`expected ${count} refused call(s), Slack refused ${fresh.length}`);
      for (const r of fresh) expectedRefusals.add(r);
      return fresh;
    },
  };
}
