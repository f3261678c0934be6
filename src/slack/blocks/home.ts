import type { HomeView } from '@slack/types';
import type { SeverityCounts } from '../../posture/summary.js';
import { type ReviewItemView, reviewItemBlocks } from './access-review.js';
import { findingBlocks, type ShownFinding } from './finding.js';
import { severityLine } from './posture.js';
import { type ApprovalItem, approvalItemBlocks } from './remediation.js';
import { type Block, context, divider, escapeMrkdwn, fitList, header, section, slackDate } from './text.js';

export interface HomeInput {
  userId: string;
  now: Date;
  role: string;
  /** One line at the top: the outcome of the last click made here. */
  notice?: string;
  assigned: ShownFinding[];
  assignedTotal: number;
  accounts: Array<{ id: string; name: string; ouPath: string | null; open: SeverityCounts }>;
  approvals: ApprovalItem[];
  /** Undecided principals of open access reviews this person reviews, the first of them to decide here. */
  reviews?: {
    items: number;
    reviews: number[];
    firstDue: Date | null;
    first: Array<ReviewItemView & { accountId: string; accountName: string }>;
  };
}

/** How the Home tab's 100 blocks (BLOCK_KIT.blocksPerView) are shared: the lists, plus 8 around them. */
const BUDGET = { assigned: 36, accounts: 21, approvals: 24 } as const;
/** Access review principals decided from Home (two blocks each), within the 100. */
export const HOME_REVIEW_ITEMS = 3;

/** The App Home tab: what is assigned to me, the posture of my accounts, what waits for my approval. */
export function homeView(input: HomeInput): HomeView {
  const blocks: Block[] = [
    header('Warden'),
    context(`<@${input.userId}>, you are ${input.role === 'admin' ? 'an' : 'a'} *${input.role}*.`),
    ...(input.notice ? [section(input.notice)] : []),
    ...(input.reviews?.items
      ? [
          section(
            `:clipboard: *Access reviews:* ${input.reviews.items === 1 ? '1 principal waits' : `${input.reviews.items} principals wait`} for your decision (${input.reviews.reviews.map((r) => `#${r}`).join(', ')}${input.reviews.firstDue ? `, due ${slackDate(input.reviews.firstDue, '{date_short_pretty}')}` : ''}).${input.reviews.items > input.reviews.first.length ? ' The first are below; your direct messages from Warden hold them all, one message per account.' : ''}`,
          ),
          ...input.reviews.first.flatMap((item) =>
            reviewItemBlocks(item, input.now, `${escapeMrkdwn(item.accountName)} \`${item.accountId}\` · `),
          ),
        ]
      : []),
    header('Assigned to me'),
    ...(input.assigned.length
      ? fitList(input.assigned, (f) => findingBlocks(f, { kind: 'home' }), {
          reserved: 0,
          budget: BUDGET.assigned,
          total: input.assignedTotal,
          more: (n) => `…and ${n} more: \`/findings mine\` lists them all`,
        })
      : [context('Nothing is assigned to you.')]),
    divider(),
    header('My accounts'),
    ...(input.accounts.length
      ? fitList(
          input.accounts,
          (a) => [
            section(
              `*${escapeMrkdwn(a.name)}* \`${a.id}\`${a.ouPath ? ` · ${escapeMrkdwn(a.ouPath)}` : ''}\n${severityLine(a.open)}`,
            ),
          ],
          {
            reserved: 0,
            budget: BUDGET.accounts,
            more: (n) => `…and ${n} more accounts: \`/warden whoami\``,
          },
        )
      : [context('You own no account. Owners come from account tags and the policy file.')]),
    divider(),
    header('Waiting for my approval'),
    ...(input.approvals.length
      ? fitList(input.approvals, approvalItemBlocks, {
          reserved: 0,
          budget: BUDGET.approvals,
          more: (n) => `…and ${n} more requests`,
        })
      : [context('No remediation request waits for you.')]),
  ];
  return { type: 'home', blocks };
}
