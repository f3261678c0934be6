import type { TopFinding } from '../../posture/summary.js';
import { findingBlock } from './posture.js';
import { type Block, clip, context, escapeMrkdwn, section } from './text.js';

export const FINDINGS_PAGE_SIZE = 10;

/** What Next / Previous carry: the command's own words and where the page starts (nothing else). */
export interface PageCursor {
  q: string;
  o: number;
}

/** One page of `/findings`, with Next / Previous when there is more. */
export function findingsPage(input: {
  query: string;
  rows: TopFinding[];
  total: number;
  offset: number;
}): Block[] {
  const { query, rows, total, offset } = input;
  const title = query ? `Findings matching \`${escapeMrkdwn(clip(query, 200))}\`` : 'Open findings';
  if (total === 0) return [section(`${title}: none.`)];
  const buttons = [
    ...(offset > 0
      ? [pager('Previous', 'findings-prev', { q: query, o: Math.max(0, offset - FINDINGS_PAGE_SIZE) })]
      : []),
    ...(offset + rows.length < total
      ? [pager('Next', 'findings-next', { q: query, o: offset + FINDINGS_PAGE_SIZE })]
      : []),
  ];
  return [
    section(`${title}: ${offset + 1}–${offset + rows.length} of ${total}`),
    ...rows.map(findingBlock),
    ...(buttons.length ? [{ type: 'actions', block_id: 'findings-pager', elements: buttons }] : []),
    context('Most severe first. `/findings help` shows the filters.'),
  ];
}

function pager(text: string, actionId: string, cursor: PageCursor) {
  return {
    type: 'button',
    text: { type: 'plain_text', text },
    action_id: actionId,
    value: JSON.stringify(cursor),
  };
}

export const FINDINGS_USAGE =
  'Usage: `/findings [critical|high|medium|low] [account id or name] [open|acknowledged|suppressed|resolved] [mine|@user] [securityhub|iam]`\n' +
  'Example: `/findings critical prod-web open`';
