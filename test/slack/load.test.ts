import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/log.js';
import { BUSY } from '../../src/slack/load.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postToSlackEndpoint } from '../support/signed-request.js';
import { type SlackHarness, slackHarness } from '../support/slack-harness.js';

// Under load: the work after the ack is bounded per kind, and past the bound the person is told at
// once that Warden is busy; requests with a bad signature are refused without filling the logs.

let t: TestDatabase;
let s: SlackHarness;
const lines: string[] = [];

beforeAll(async () => {
  t = await openTestDatabase();
  const log = createLogger('info', { write: (l: string) => lines.push(l) });
  s = await slackHarness(t.db, { WARDEN_SLACK_CONCURRENCY: '1' }, { log });
  s.slack.users.set('U0ALICE', 'alice@example.com');
});
afterAll(async () => {
  await s.close();
  await t.close();
});

test('past the bound, a command is answered "busy" at once, and nothing else happens; then work resumes', async () => {
  // The first /posture's answer is slow to reach Slack: its work is still under way.
  s.slack.troubleNext('/response/slow', { delayMs: 1500 });
  expect((await s.command('/posture', '', 'U0ALICE', 'slow')).status).toBe(200);
  await s.slack.waitFor('users.info');
  const started = Date.now();
  const busy = await s.command('/posture', '', 'U0ALICE', 'second');
  expect(await busy.json()).toEqual({ response_type: 'ephemeral', text: BUSY });
  expect(Date.now() - started).toBeLessThan(1000);
  expect((await s.answer('slow')).args.text).toBe('Organization posture');
  expect(s.slack.callsTo('/response/second')).toEqual([]);
  // Once the first is done, the next is worked on again.
  let retries = 0;
  await expect
    .poll(
      async () =>
        (await (await s.command('/posture', '', 'U0ALICE', `again${++retries}`)).text()).includes('busy'),
      { timeout: 5000, interval: 100 },
    )
    .toBe(false);
  expect((await s.answer(`again${retries}`)).args.text).toBe('Organization posture');
  expect(lines.join('')).toContain('Slack interactions refused: Warden is busy');
});

test('a flood of forged requests is refused (401) and logged a bounded number of times, with a count', async () => {
  const before = lines.length;
  for (let i = 0; i < 200; i++) {
    const res = await postToSlackEndpoint(s.endpoint, 'not-the-signing-secret', {
      command: '/posture',
      text: '',
      user_id: 'U0MALLORY',
    });
    expect(res.status).toBe(401);
  }
  const logged = lines.slice(before).filter((l) => /signature|verif|unauthori/i.test(l));
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.length).toBeLessThanOrEqual(3);
});
