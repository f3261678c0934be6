import type {
  ActionsBlock,
  ActionsBlockElement,
  Button,
  ConfirmationDialog,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
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

/** A Block Kit block in a message, modal or Home tab, as @slack/types defines them. */
export type Block = KnownBlock;

export const header = (text: string): HeaderBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, BLOCK_KIT.headerText), emoji: true },
});

export const section = (mrkdwn: string, extra: Omit<SectionBlock, 'type' | 'text'> = {}): SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(mrkdwn, BLOCK_KIT.sectionText) },
  ...extra,
});

export const context = (...items: string[]): ContextBlock => ({
  type: 'context',
  elements: items
    .slice(0, BLOCK_KIT.contextElements)
    .map((text) => ({ type: 'mrkdwn', text: clip(text, BLOCK_KIT.sectionText) })),
});

export const divider = (): DividerBlock => ({ type: 'divider' });

export const plainText = (text: string): PlainTextElement => ({ type: 'plain_text', text });

/** A button: a value travels back with the click, a URL opens in the browser, a confirmation asks first. */
export const button = (
  text: string,
  actionId: string,
  options: { style?: 'primary' | 'danger'; value?: string; url?: string; confirm?: ConfirmationDialog } = {},
): Button => ({ type: 'button', text: plainText(text), action_id: actionId, ...options });

export const actions = (blockId: string, elements: ActionsBlockElement[]): ActionsBlock => ({
  type: 'actions',
  block_id: blockId,
  elements,
});

/**
 * Fits a list of items into a message's block budget: as many item blocks as fit (each item may
 * take several blocks), then one line "and N more". `reserved` counts the blocks around the list;
 * `total`, when the items are only the first of a longer list, counts them all.
 */
export function fitList<T>(
  items: readonly T[],
  render: (item: T) => Block[],
  options: { reserved: number; budget?: number; total?: number; more?: (n: number) => string },
): Block[] {
  const budget = (options.budget ?? BLOCK_KIT.blocksPerMessage) - options.reserved;
  const total = Math.max(options.total ?? items.length, items.length);
  const more = (n: number) => context(options.more ? options.more(n) : `…and ${n} more`);
  const out: Block[] = [];
  for (let i = 0; i < items.length; i++) {
    const blocks = render(items[i]!);
    const left = total - i;
    // Keep one block free for "and N more" unless this is the last item of all.
    const room = budget - out.length - (left > 1 ? 1 : 0);
    if (blocks.length > room) return [...out, more(left)];
    out.push(...blocks);
  }
  return total > items.length ? [...out, more(total - items.length)] : out;
}

/** A date each reader sees in their own timezone (Slack's date formatting), with ISO as the fallback. */
export function slackDate(at: Date, format = '{date_short_pretty} {time}'): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^${format}|${at.toISOString()}>`;
}

/** Someone who changed something: a Slack mention, or Warden's own jobs in words. */
export function actorText(actor: string): string {
  if (/^[UW][A-Z0-9]+$/.test(actor)) return `<@${actor}>`;
  if (actor === 'warden:scan') return 'Warden’s scan';
  if (actor === 'warden:events') return 'Security Hub’s events';
  if (actor === 'warden:expiry') return 'the end of its suppression';
  return escapeMrkdwn(actor);
}

/**
 * Joins lines into one text of at most `max` characters: as many whole lines as fit, then
 * "…and N more" (so a long list is cut between lines, and says so).
 */
export function linesWithin(
  lines: readonly string[],
  max: number,
  more: (n: number) => string,
  /** Lines beyond these that were never fetched, counted in "and N more". */
  beyond = 0,
): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) {
    const next = out ? `${out}\n${lines[i]}` : lines[i]!;
    const left = lines.length - i + beyond;
    const tail = left > 1 ? `\n${more(left - 1)}` : '';
    if (next.length + tail.length > max) return clip(out ? `${out}\n${more(left)}` : more(left), max);
    out = next;
  }
  return beyond > 0 ? clip(`${out}\n${more(beyond)}`, max) : out;
}
