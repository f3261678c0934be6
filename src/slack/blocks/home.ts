import type { FindingSummary } from '../../posture/findings-list.js';
import type { SeverityCounts } from '../../posture/summary.js';
import { findingBlocks } from './finding.js';
import { severityLine } from './posture.js';
import {
  actorText,
  type Block,
  context,
  divider,
  escapeMrkdwn,
  fitList,
  header,
  section,
  slackDate,
} from './text.js';

/** A remediation request waiting for the reader's approval, as the Home tab lists it. */
export interface ApprovalItem {
  id: number;
  playbookId: string;
  findingTitle: string;
  severity: string;
  accountId: string;
  accountName: string | null;
  requestedBy: string;
  expiresAt: Date;
  approvals: number;
  requiredApprovals: number;
}

export interface HomeInput {
  userId: string;
  role: string;
  /** One line at the top: the outcome of the last click made here. */
  notice?: string;
  assigned: FindingSummary[];
  assignedTotal: number;
  accounts: Array<{ id: string; name: string; ouPath: string | null; open: SeverityCounts }>;
  approvals: ApprovalItem[];
  /** Renders one approval (with its buttons, where remediation offers them). */
  approvalBlocks?: (item: ApprovalItem) => Block[];
}

/** How the Home tab's 100 blocks (BLOCK_KIT.blocksPerView) are shared: the lists, plus 8 around them. */
const BUDGET = { assigned: 42, accounts: 22, approvals: 24 } as const;

function defaultApprovalBlocks(a: ApprovalItem): Block[] {
  return [
    section(
      `*${escapeMrkdwn(a.playbookId)}* on _${escapeMrkdwn(a.findingTitle)}_ (${a.severity}) in ${escapeMrkdwn(a.accountName ?? a.accountId)} \`${a.accountId}\`\n` +
        `Requested by ${actorText(a.requestedBy)} · ${a.approvals} of ${a.requiredApprovals} approvals · expires ${slackDate(a.expiresAt)}`,
    ),
  ];
}

/** The App Home tab: what is assigned to me, the posture of my accounts, what waits for my approval. */
export function homeView(input: HomeInput): { type: 'home'; blocks: Block[] } {
  const approvalBlocks = input.approvalBlocks ?? defaultApprovalBlocks;
  const blocks: Block[] = [
    header('Warden'),
    context(`<@${input.userId}>, you are ${input.role === 'admin' ? 'an' : 'a'} *${input.role}*.`),
    ...(input.notice ? [section(input.notice)] : []),
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
      ? fitList(input.approvals, approvalBlocks, {
          reserved: 0,
          budget: BUDGET.approvals,
          more: (n) => `…and ${n} more requests`,
        })
      : [context('No remediation request waits for you.')]),
  ];
  return { type: 'home', blocks };
}
