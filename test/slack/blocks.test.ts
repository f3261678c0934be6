import { expect, test } from 'vitest';
import { clip, fitList, header, section } from '../../src/slack/blocks/text.js';
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

test('a list that fits is shown whole, with no "more" line', () => {
  const blocks = fitList(['a', 'b', 'c'], (i) => [section(i)], { reserved: 2 });
  expect(blocks.map((b) => (b.text as { text: string }).text)).toEqual(['a', 'b', 'c']);
});

test('the fake Web API rejects what Slack would', () => {
  expect(
    blockKitProblem('chat.postMessage', { blocks: Array.from({ length: 51 }, () => section('x')) }),
  ).toMatch(/51 blocks/);
  expect(
    blockKitProblem('chat.postMessage', {
      blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
    }),
  ).toMatch(/header/);
});
