import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findings } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { FINDING_ACTIONS, findingBlockId } from '../../src/slack/blocks/finding.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// A Slack call that fails after Warden acknowledged a request: Slack shows the person nothing, so
// Warden tells them (ephemerally where they clicked, else by DM) and logs the method and Slack's error.

const ALICE = 'U0ALICE'; // owns account-1
const ACCOUNT_1 = '100000000001';

let h: ScanHarness;
let s: SlackHarness;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  h = await scanHarness(generateScenario({ accounts: 2, regions: ['us-east-1'], failedPerAccountRegion: 3 }));
  await h.scan({ full: true });
  const log = createLogger('error', { write: (line: string) => logLines.push(JSON.parse(line)) });
  s = await slackHarness(h.db.db, {}, { log });
  s.slack.users.set(ALICE, 'owner-1@example.com');
});
afterAll(async () => {
  await s.close();
  await h.close();
});

test('Suppress… whose modal Slack refuses: the clicker is told which call failed and why, and it is logged', async () => {
  const [f] = await h.db.db
    .select()
    .from(findings)
    .where(and(eq(findings.accountId, ACCOUNT_1), eq(findings.source, 'securityhub')));
  s.slack.troubleNext('views.open', { error: 'expired_trigger_id' });
  const res = await s.act({
    actionId: FINDING_ACTIONS.suppress,
    blockId: findingBlockId(f!.id, { kind: 'card' }),
    user: ALICE,
    responseId: 'sup1',
  });
  expect(res.status).toBe(200);
  const { args } = await s.answer('sup1');
  expect(args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  expect(args.text).toMatch(
    /Warden could not finish what you asked: Slack answered views.open with expired_trigger_id/,
  );
  await expect
    .poll(() => logLines.find((l) => l.method === 'views.open'))
    .toMatchObject({
      slackError: 'expired_trigger_id',
      user: ALICE,
      msg: expect.stringMatching(/a Slack handler failed: Slack answered views.open with expired_trigger_id/),
    });
});

test('a Home tab Slack refuses to publish: with no response_url, the person is told by direct message', async () => {
  const before = s.slack.callsTo('chat.postMessage').length;
  s.slack.troubleNext('views.publish', { error: 'invalid_arguments' });
  const res = await s.event({ type: 'app_home_opened', user: ALICE, tab: 'home', channel: 'D0ALICE' });
  expect(res.status).toBe(200);
  const [dm] = (await s.slack.waitFor('chat.postMessage', before + 1)).slice(before);
  expect(dm!.args.channel).toBe(ALICE);
  expect(dm!.args.text).toMatch(/Slack answered views.publish with invalid_arguments/);
  expect(logLines.some((l) => l.method === 'views.publish' && l.slackError === 'invalid_arguments')).toBe(
    true,
  );
});
