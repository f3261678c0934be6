import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestModal } from '../../src/slack/blocks/remediation.js';
import { FakeSlack } from '../support/fake-slack.js';
import { viewProblems } from '../support/slack-validation.js';

// The fake Web API refuses what Slack refuses, with Slack's errors: a test that sends such a payload
// fails, as a real workspace would have.

let slack: FakeSlack;
let web: webApi.WebClient;

beforeAll(async () => {
  slack = await new FakeSlack().start();
  web = new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(() => slack.stop());

const slackError = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (err) {
    const data = (err as { data: { error: string; response_metadata?: { messages?: string[] } } }).data;
    return { error: data.error, messages: data.response_metadata?.messages ?? [] };
  }
  return undefined;
};

const input = {
  type: 'input',
  block_id: 'reason',
  label: { type: 'plain_text', text: 'Why?' },
  element: { type: 'plain_text_input', action_id: 'value' },
};
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Request remediation' },
  submit: { type: 'plain_text', text: 'Request' },
  blocks: [input],
  ...extra,
});
let trigger = 0;
const open = (view: Record<string, unknown>) =>
  slackError(web.views.open({ trigger_id: `t${++trigger}`, view: view as never }));

test('a modal with an input block and no submit is refused as Slack refuses it', async () => {
  const { submit: _, ...noSubmit } = modal();
  expect(await open(noSubmit)).toEqual({
    error: 'invalid_arguments',
    messages: ['[ERROR] must define `submit` to use `input` block [json-pointer:/view/blocks/0/input]'],
  });
  expect(await open(modal())).toBeUndefined();
});

test('a modal’s title, submit and close take 24 characters; callback_id 255; private_metadata 3,000', async () => {
  const long = (n: number) => ({ type: 'plain_text', text: 'x'.repeat(n) });
  expect((await open(modal({ title: long(25) })))?.messages).toEqual([
    '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]',
  ]);
  expect((await open(modal({ submit: long(25) })))?.error).toBe('invalid_arguments');
  expect((await open(modal({ close: long(25) })))?.error).toBe('invalid_arguments');
  expect((await open(modal({ callback_id: 'c'.repeat(256) })))?.error).toBe('invalid_arguments');
  expect((await open(modal({ private_metadata: 'm'.repeat(3001) })))?.messages).toEqual([
    '[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]',
  ]);
  expect(await open(modal({ title: long(24), private_metadata: 'm'.repeat(3000) }))).toBeUndefined();
});

test('block ids are unique in a view and action ids in a block; an input label takes 2,000 characters', async () => {
  expect((await open(modal({ blocks: [input, input] })))?.messages[0]).toMatch(/duplicate block_id "reason"/);
  const button = { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'A' } };
  const twice = { type: 'actions', elements: [button, button] };
  expect((await open(modal({ blocks: [input, twice] })))?.messages[0]).toMatch(/duplicate action_id "a"/);
  const label = { ...input, label: { type: 'plain_text', text: 'l'.repeat(2001) } };
  expect((await open(modal({ blocks: [label] })))?.error).toBe('invalid_arguments');
  expect(
    (await open(modal({ blocks: Array.from({ length: 101 }, (_, i) => ({ ...input, block_id: `b${i}` })) })))
      ?.messages[0],
  ).toMatch(/no more than 100 items allowed/);
});

test('a trigger opens one view; views.update needs a view that is open, with its current hash', async () => {
  expect(await slackError(web.views.open({ trigger_id: 'once', view: modal() as never }))).toBeUndefined();
  expect((await slackError(web.views.open({ trigger_id: 'once', view: modal() as never })))?.error).toBe(
    'exchanged_trigger_id',
  );
  const opened = await web.views.open({ trigger_id: 'another', view: modal() as never });
  const id = opened.view!.id!;
  expect((await slackError(web.views.update({ view_id: 'V404', view: modal() as never })))?.error).toBe(
    'not_found',
  );
  expect(
    (await slackError(web.views.update({ view_id: id, hash: 'stale', view: modal() as never })))?.error,
  ).toBe('hash_conflict');
  expect(
    await slackError(web.views.update({ view_id: id, hash: opened.view!.hash!, view: modal() as never })),
  ).toBeUndefined();
});

test('messages: at most 50 blocks, button values 2,000 and action ids 255 characters, a text or blocks', async () => {
  const post = (blocks: unknown[]) =>
    slackError(web.chat.postMessage({ channel: 'C1', text: 't', blocks: blocks as never }));
  const section = { type: 'section', text: { type: 'mrkdwn', text: 'x' } };
  expect((await post(Array.from({ length: 51 }, () => section)))?.error).toBe('invalid_blocks');
  const button = (extra: object) => ({
    type: 'actions',
    elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'A' }, ...extra }],
  });
  expect((await post([button({ value: 'v'.repeat(2001) })]))?.messages).toEqual([
    '[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
  ]);
  expect((await post([button({ action_id: 'a'.repeat(256) })]))?.error).toBe('invalid_blocks');
  expect((await post([{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }]))?.error).toBe(
    'invalid_blocks',
  );
  expect((await slackError(web.chat.postMessage({ channel: 'C1' } as never)))?.error).toBe('no_text');
  expect(await post(Array.from({ length: 50 }, () => section))).toBeUndefined();
});

test('chat.update edits a message that was posted, by its channel id: a DM’s id, never the user’s', async () => {
  const posted = await web.chat.postMessage({ channel: 'U0ALICE', text: 'hello' });
  expect(posted.channel).toBe('D0ALICE');
  expect(
    await slackError(web.chat.update({ channel: posted.channel!, ts: posted.ts!, text: 'edited' })),
  ).toBeUndefined();
  expect((await slackError(web.chat.update({ channel: 'U0ALICE', ts: posted.ts!, text: 'x' })))?.error).toBe(
    'channel_not_found',
  );
  expect((await slackError(web.chat.update({ channel: 'D0ALICE', ts: '1.000001', text: 'x' })))?.error).toBe(
    'message_not_found',
  );
  expect(slack.refusals.map((r) => r.error)).toContain('message_not_found');
});

test('every version of the Request remediation modal is one Slack opens: reading the plan, the plan, and why not', () => {
  const base = {
    finding: { title: 'Access key not rotated', severity: 'high', accountId: '111122223333' },
    playbooks: [
      { id: 'deactivate-access-key', title: 'Deactivate the key', description: 'd', reversible: true },
    ],
    selected: 'deactivate-access-key',
    mode: 'dry-run' as const,
    metadata: '{}',
  };
  for (const plan of ['loading' as const, { error: 'the key is gone' }, { calls: [], approvals: 1 }]) {
    expect(viewProblems('views.open', requestModal({ ...base, plan }))).toEqual([]);
  }
});
