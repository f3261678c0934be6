import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openBySeverity } from '../../src/posture/summary.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { createSlackApp, startSlackApp, type WardenSlackApp } from '../../src/slack/app.js';
import { blockKitProblem, FakeSlack } from '../support/fake-slack.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { postToSlackEndpoint } from '../support/signed-request.js';

// From a real scan of the simulated organization to what /posture shows in Slack.

const SECRET = 'fedcba9876543210fedcba9876543210';
let h: ScanHarness;
let slack: FakeSlack;
let app: WardenSlackApp;
let base: string;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 5, regions: ['us-east-1'], failedPerAccountRegion: 12 });
  scenario.accounts[4]!.roles = { audit: false };
  h = await scanHarness(scenario);
  await h.scan({ full: true });
  slack = await new FakeSlack().start();
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: 'xoxb-posture',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'silent',
    },
    { requireSlack: true },
  );
  app = createSlackApp({ config, slack: config.slack!, db: h.db.db, log: createLogger('silent') });
  base = `http://127.0.0.1:${await startSlackApp(app, 0)}`;
});
afterAll(async () => {
  await app.stop();
  await slack.stop();
  await h.close();
});

let asked = 0;
async function posture(text: string) {
  const id = `p${asked++}`;
  const res = await postToSlackEndpoint(`${base}/slack/events`, SECRET, {
    command: '/posture',
    text,
    user_id: 'U0ALICE',
    channel_id: 'C0SEC',
    team_id: 'T0TEST',
    response_url: slack.responseUrl(id),
    trigger_id: '1.2.3',
  });
  expect(res.status).toBe(200);
  const [answer] = await slack.waitFor(`/response/${id}`);
  expect(blockKitProblem('chat.postEphemeral', answer!.args)).toBeUndefined();
  return { args: answer!.args, text: JSON.stringify(answer!.args.blocks) };
}

test('/posture shows the organization: open findings by severity, worst accounts, and what was not scanned', async () => {
  const { text } = await posture('');
  const open = await openBySeverity(h.db.db);
  expect(text).toContain(`${open.critical} critical`);
  expect(text).toContain(`${open.high} high`);
  expect(text).toContain('Worst accounts');
  expect(text).toContain('Last scan');
  expect(text).toContain('Not scanned');
  expect(text).toContain('arn:aws:iam::100000000004:role/WardenAudit');
});

test('/posture <account> shows its owners, OU and worst findings, each with a console link', async () => {
  const { args, text } = await posture('account-2');
  expect(text).toContain('account-2 (100000000002)');
  expect(text).toContain('owner-2@example.com');
  expect(text).toMatch(/Root\/[A-Za-z]+/);
  const blocks = args.blocks as Array<{ accessory?: { url?: string } }>;
  expect(blocks.filter((b) => b.accessory?.url?.startsWith('https://')).length).toBeGreaterThan(0);
  expect(text).toMatch(/more open findings/);
});

test('/posture with an unknown account offers the closest matches', async () => {
  const { text } = await posture('acount-3');
  expect(text).toContain('No account matches');
  expect(text).toContain('Did you mean');
  expect(text).toContain('account-3');
});
