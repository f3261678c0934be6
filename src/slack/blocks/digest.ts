import type { Digest } from '../../digest/sections.js';
import { BLOCK_KIT } from '../limits.js';
import { type Block, context, escapeMrkdwn, header, linesWithin, section } from './text.js';

/** A digest as one Slack message: a header, a section per part (long lists end with "and N more"), a footer. */
export function digestBlocks(digest: Digest): Block[] {
  return [
    header(digest.title),
    ...digest.sections.map((s) => {
      const title = `*${escapeMrkdwn(s.title)}*`;
      const lines = linesWithin(
        s.lines.map((l) => `• ${escapeMrkdwn(l)}`),
        BLOCK_KIT.sectionText - title.length - 1,
        (n) => `…and ${n} more`,
        s.more,
      );
      return section(`${title}\n${lines}`);
    }),
    context(escapeMrkdwn(digest.footer)),
  ];
}
