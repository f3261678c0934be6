import { findingBlocks, type ShownFinding } from './finding.js';
import { actions, type Block, button, clip, context, escapeMrkdwn, fitList, section } from './text.js';

export const FINDINGS_PAGE_SIZE = 10;

export const PAGER_ACTIONS = { next: 'findings-next', previous: 'findings-prev' } as const;

/** A button that opens the first page of a `/findings` query (its value: `{"q": query}`). */
export const FINDINGS_OPEN_ACTION = 'findings-open';

/**
 * What Next / Previous carry: the command's own words, the position of the page they lead to (for
 * "11–20 of N"), and the key of the row that page follows (`a`) or precedes (`b`); nothing else.
 */
export interface PageCursor {
  q: string;
  o: number;
  a?: string;
  b?: string;
}

/** One page of `/findings`: each finding with its actions, then Next / Previous when there is more. */
export function findingsPage(input: {
  query: string;
  rows: ShownFinding[];
  total: number;
  offset: number;
  /** The page's first and last rows' keys (encoded). */
  first?: string;
  last?: string;
}): Block[] {
  const { query, rows, total, offset, first, last } = input;
  const title = query ? `Findings matching \`${escapeMrkdwn(clip(query, 200))}\`` : 'Open findings';
  if (rows.length === 0) return [section(`${title}: none.`)];
  const buttons = [
    ...(offset > 0 && first
      ? [
          pager('Previous', PAGER_ACTIONS.previous, {
            q: query,
            o: Math.max(0, offset - FINDINGS_PAGE_SIZE),
            b: first,
          }),
        ]
      : []),
    ...(offset + FINDINGS_PAGE_SIZE < total && last
      ? [pager('Next', PAGER_ACTIONS.next, { q: query, o: offset + FINDINGS_PAGE_SIZE, a: last })]
      : []),
  ];
  const head = section(
    total > 0
      ? `${title}: ${offset + 1}–${Math.min(total, offset + FINDINGS_PAGE_SIZE)} of ${total}`
      : `${title}: none left.`,
  );
  const tail = [
    ...(buttons.length ? [actions('findings-pager', buttons)] : []),
    context('Most severe first. `/findings help` shows the filters.'),
  ];
  const view = { kind: 'findings' as const, query, offset, ...(first ? { from: first } : {}) };
  return [head, ...fitList(rows, (f) => findingBlocks(f, view), { reserved: 1 + tail.length }), ...tail];
}

const pager = (text: string, actionId: string, cursor: PageCursor) =>
  button(text, actionId, { value: JSON.stringify(cursor) });

export const FINDINGS_USAGE =
  'Usage: `/findings [critical|high|medium|low] [account id or name, or OU] [open|acknowledged|suppressed|resolved] [mine|@user] [securityhub|iam] [controls]`\n' +
  'Examples: `/findings critical prod-web open`, `/findings IAM.4,root-access-keys Prod`';
