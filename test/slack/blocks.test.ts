import { expect, test } from 'vitest';
import { consoleUrl, findingBlockId, parseFindingBlockId } from '../../src/slack/blocks/finding.js';
import { clip, fitList, header, linesWithin, section } from '../../src/slack/blocks/text.js';
import { BLOCK_KIT } from '../../src/slack/limits.js';
import { blockKitProblem } from '../support/fake-slack.js';

test('texts are clipped to their Block Kit limits with an ellipsis', () => {
  expect(clip('abc', 5)).toBe('abc');
  expect(clip('abcdef', 5)).toBe('abcd…');
  expect((header('x'.repeat(400)).text as { text: string }).text).toHaveLength(BLOCK_KIT.headerText);
  expect((section('y'.repeat(5000)).text as { text: string }).text).toHaveLength(BLOCK_KIT.sectionText);
});

test('a long list fills the message and ends with "and N more", never over 50 blocks', () => {
  const items = Array.from({ length: 1000 }, (_, i) => `account ${i}`);
  const blocks = [
    header('Worst accounts'),
    ...fitList(items, (i) => [section(i), section(`${i} detail`)], { reserved: 1 }),
  ];
  expect(blocks).toHaveLength(BLOCK_KIT.blocksPerMessage);
  const last = JSON.stringify(blocks.at(-1));
  expect(last).toContain('and 976 more');
  expect(blockKitProblem('chat.postMessage', { blocks })).toBeUndefined();
});

test('a list of lines is cut between lines, and says how many it left out', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
  const text = linesWithin(lines, 60, (n) => `…and ${n} more`);
  expect(text.length).toBeLessThanOrEqual(60);
  expect(text).toBe('line 0\nline 1\nline 2\nline 3\nline 4\nline 5\n…and 94 more');
  expect(linesWithin(['a', 'b'], 60, (n) => `…and ${n} more`)).toBe('a\nb');
});

test('a list that fits is shown whole, with no "more" line', () => {
  const blocks = fitList(['a', 'b', 'c'], (i) => [section(i)], { reserved: 2 });
  expect(blocks.map((b) => (b.type === 'section' ? b.text?.text : b.type))).toEqual(['a', 'b', 'c']);
});

test('the fake Web API rejects what Slack would', () => {
  expect(
    blockKitProblem('chat.postMessage', { blocks: Array.from({ length: 51 }, () => section('x')) }),
  ).toMatch(/no more than 50 items allowed \[json-pointer:\/blocks\]/);
  expect(
    blockKitProblem('chat.postMessage', {
      blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
    }),
  ).toMatch(/must be less than 151 characters \[json-pointer:\/blocks\/0\/text\/text\]/);
});

test('a finding’s block id carries its id and its view, and nothing else reads as one', () => {
  const views = [
    { kind: 'findings', query: 'critical <@U0BOB|bob> prod: web', offset: 30 },
    { kind: 'account', accountId: '111122223333' },
    { kind: 'card' },
    { kind: 'home' },
  ] as const;
  for (const view of views) {
    const id = findingBlockId(42, view);
    expect(id.length).toBeLessThanOrEqual(BLOCK_KIT.blockId);
    expect(parseFindingBlockId(id)).toEqual({ findingId: 42, view });
  }
  expect(
    findingBlockId(7, { kind: 'findings', query: 'q'.repeat(1000), offset: 0 }).length,
  ).toBeLessThanOrEqual(BLOCK_KIT.blockId);
  for (const forged of ['b1', 'finding:x:c', 'finding:1:a123', 'finding:1:z', 'finding:-1:c'])
    expect(parseFindingBlockId(forged)).toBeUndefined();
});

test('console links open the finding itself', () => {
  const hub = consoleUrl({
    source: 'securityhub',
    region: 'eu-west-1',
    externalId: 'arn:aws:securityhub:eu-west-1:111122223333:security-control/S3.8/finding/ab-12',
    resourceId: 'arn:aws:s3:::data',
  });
  expect(hub).toBe(
    'https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A' +
      'arn%253Aaws%253Asecurityhub%253Aeu-west-1%253A111122223333%253Asecurity-control%252FS3.8%252Ffinding%252Fab-12',
  );
  const iam = (resourceId: string) =>
    consoleUrl({ source: 'credential-report', region: 'global', externalId: 'warden:x', resourceId });
  expect(iam('arn:aws:iam::111122223333:user/ops/deploy-bot#access_key_1')).toBe(
    'https://console.aws.amazon.com/iam/home#/users/details/deploy-bot',
  );
  expect(iam('arn:aws:iam::111122223333:root')).toMatch(/#\/security_credentials$/);
  expect(iam('arn:aws:iam::111122223333:account-password-policy')).toMatch(/#\/account_settings$/);
});
