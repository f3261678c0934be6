import { BLOCK_KIT } from '../limits.js';

/** Cuts `text` to at most `max` characters, ending with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export type Block = Record<string, unknown> & { type: string };

export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, BLOCK_KIT.headerText), emoji: true },
});

export const section = (mrkdwn: string, extra: Record<string, unknown> = {}): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(mrkdwn, BLOCK_KIT.sectionText) },
  ...extra,
});

export const context = (...items: string[]): Block => ({
  type: 'context',
  elements: items
    .slice(0, BLOCK_KIT.contextElements)
    .map((text) => ({ type: 'mrkdwn', text: clip(text, BLOCK_KIT.sectionText) })),
});

export const divider = (): Block => ({ type: 'divider' });

/**
 * Fits a list of items into a message's block budget: as many item blocks as fit (each item may
 * take several blocks), then one line "and N more". `reserved` counts the blocks around the list.
 */
export function fitList<T>(
  items: readonly T[],
  render: (item: T) => Block[],
  options: { reserved: number; budget?: number; more?: (n: number) => string },
): Block[] {
  const budget = (options.budget ?? BLOCK_KIT.blocksPerMessage) - options.reserved;
  const out: Block[] = [];
  for (let i = 0; i < items.length; i++) {
    const blocks = render(items[i]!);
    const left = items.length - i;
    // Keep one block free for "and N more" unless this is the last item.
    const room = budget - out.length - (left > 1 ? 1 : 0);
    if (blocks.length > room) {
      out.push(context(options.more ? options.more(left) : `…and ${left} more`));
      return out;
    }
    out.push(...blocks);
  }
  return out;
}
