import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Account } from '../db/schema.js';
import { findAccount } from '../posture/accounts.js';
import { alertMessageOf } from '../posture/alert-messages.js';
import {
  decodePageKey,
  encodePageKey,
  type FindingSummary,
  findingSummaries,
  listFindings,
  type PageAt,
} from '../posture/findings-list.js';
import { accountOpenBySeverity, openBySeverityOf } from '../posture/summary.js';
import { PLAYBOOKS, playbooksFor } from '../remediate/registry.js';
import { waitingForReviewer } from '../workflow/access-reviews.js';
import { membership } from '../workflow/membership.js';
import { type Identity, ownersOf, type ReadScope } from '../workflow/policy.js';
import { waitingForApproval } from '../workflow/remediation-queue.js';
import { ABOUT_OWNED, aboutAccount, alertMessage } from './blocks/alert.js';
import { type FindingView, findingBlocks, type ShownFinding } from './blocks/finding.js';
import { FINDINGS_PAGE_SIZE, FINDINGS_USAGE, findingsPage } from './blocks/findings.js';
import { HOME_REVIEW_ITEMS, homeView } from './blocks/home.js';
import { accountPosture } from './blocks/posture.js';
import { type Block, section } from './blocks/text.js';
import { parseFindingsQuery } from './findings-query.js';

/**
 * The messages findings live in, drawn from the database. Commands draw them first; a click on a
 * finding draws the same message again, so it shows the finding's new state in place.
 */
export interface ViewDeps {
  db: Database;
  config: Config;
}

export interface Message {
  text: string;
  blocks: Block[];
}

const TOP_FINDINGS = 10;

/** Findings as the renderers show them: with Request remediation when a playbook can fix them. */
/** Findings as messages show them: with Request remediation… when a playbook can fix them. */
export const shown = (rows: FindingSummary[]): ShownFinding[] =>
  rows.map((r) => ({ ...r, remediable: playbooksFor(r).length > 0 }));

/** The finding just acted on stays in sight even when it no longer matches the list (now suppressed, say). */
async function withActed(db: Database, rows: FindingSummary[], acted: number | undefined) {
  if (acted === undefined || rows.some((r) => r.id === acted)) return shown(rows);
  return shown([...(await findingSummaries(db, [acted])), ...rows]);
}

/** A page of `/findings`, or its usage when a word is not understood. */
export async function findingsPageMessage(
  deps: ViewDeps,
  input: {
    query: string;
    userId: string;
    /** Where the page sits (for "11–20 of N") and which rows it holds. */
    offset: number;
    at?: PageAt;
    acted?: number;
    scope: ReadScope;
  },
): Promise<Message> {
  const parsed = await parseFindingsQuery(deps.db, input.query, input.userId);
  if ('error' in parsed)
    return { text: 'Unknown /findings filter', blocks: [section(`${parsed.error}\n${FINDINGS_USAGE}`)] };
  // Someone who reads only the accounts they own sees only those accounts' findings (of the OU asked for).
  const readable =
    input.scope.kind === 'all' ? undefined : input.scope.kind === 'accounts' ? input.scope.ids : [];
  const asked = parsed.filters.accountIds;
  const accountIds = readable && asked ? asked.filter((id) => readable.includes(id)) : (readable ?? asked);
  const { rows, total, keys } = await listFindings(
    deps.db,
    { ...parsed.filters, ...(accountIds ? { accountIds } : {}) },
    { limit: FINDINGS_PAGE_SIZE, ...(input.at ? { at: input.at } : {}) },
  );
  // Fewer rows than a page before this one: rows came or went, and this is the first page now.
  if (input.at && 'before' in input.at && keys.length < FINDINGS_PAGE_SIZE)
    return findingsPageMessage(deps, { ...input, offset: 0, at: {} });
  const [first, last] = [keys[0], keys.at(-1)];
  return {
    text: `${total} findings`,
    blocks: findingsPage({
      query: input.query,
      rows: await withActed(deps.db, rows, input.acted),
      total,
      offset: input.offset,
      ...(first ? { first: encodePageKey(first) } : {}),
      ...(last ? { last: encodePageKey(last) } : {}),
    }),
  };
}

/** `/posture <account>`: owners, OU, open findings by severity, and the worst of them with their actions. */
export async function accountMessage(deps: ViewDeps, account: Account, acted?: number): Promise<Message> {
  const top = await listFindings(deps.db, { accountId: account.id }, { limit: TOP_FINDINGS });
  return {
    text: `Posture of ${account.name}`,
    blocks: accountPosture({
      account,
      owners: ownersOf(account, deps.config.policy),
      open: await accountOpenBySeverity(deps.db, account.id),
      top: await withActed(deps.db, top.rows, acted),
      totalOpen: top.total,
    }),
  };
}

/** A message about one finding (a DM to its assignee, say), with an optional line above it. */
export async function findingCardMessage(
  deps: ViewDeps,
  findingId: number,
  intro?: string,
): Promise<Message | undefined> {
  const [f] = await findingSummaries(deps.db, [findingId]);
  if (!f) return undefined;
  return {
    text: `${intro ? `${intro}: ` : ''}${f.severity} finding: ${f.title}`,
    blocks: [...(intro ? [section(intro)] : []), ...findingBlocks(shown([f])[0]!, { kind: 'card' })],
  };
}

/** Draws again the message a finding was clicked in (any view but the Home tab). */
export async function redrawMessage(
  deps: ViewDeps,
  view: Exclude<FindingView, { kind: 'home' }>,
  userId: string,
  findingId: number,
  scope: ReadScope,
): Promise<Message | undefined> {
  if (view.kind === 'findings') {
    const from = view.from ? decodePageKey(view.from) : undefined;
    return findingsPageMessage(deps, {
      query: view.query,
      userId,
      offset: view.offset,
      ...(from ? { at: { from } } : {}),
      acted: findingId,
      scope,
    });
  }
  if (view.kind === 'account') {
    const found = await findAccount(deps.db, view.accountId);
    if (found.account) return accountMessage(deps, found.account, findingId);
  }
  if (view.kind === 'alert') {
    const recorded = await alertMessageOf(deps.db, view.messageId);
    if (recorded) {
      const findings = shown(await findingSummaries(deps.db, recorded.findingIds));
      const about = recorded.accountId
        ? aboutAccount(recorded.accountId, findings[0]?.accountName ?? null)
        : ABOUT_OWNED;
      return alertMessage(findings, view.messageId, about);
    }
  }
  return findingCardMessage(deps, findingId);
}

const HOME_ASSIGNED = 20;

/** The App Home tab of one person: assigned to me, my accounts, waiting for my approval. */
export async function homeTab(deps: ViewDeps & { now: () => Date }, who: Identity, notice?: string) {
  const mine = await membership(deps.db, who, deps.config.policy);
  const assigned = await listFindings(deps.db, { assignee: who.userId }, { limit: HOME_ASSIGNED });
  const open = await openBySeverityOf(
    deps.db,
    mine.accounts.map((a) => a.id),
  );
  return homeView({
    userId: who.userId,
    now: deps.now(),
    role: mine.role,
    ...(notice ? { notice } : {}),
    assigned: shown(assigned.rows),
    assignedTotal: assigned.total,
    accounts: mine.accounts.map((a) => ({
      ...a,
      open: open.get(a.id)!,
    })),
    approvals: (await waitingForApproval(deps.db, who, deps.config.policy)).map((r) => {
      const playbook = PLAYBOOKS.get(r.playbookId);
      return {
        ...r,
        playbookTitle: playbook?.title ?? r.playbookId,
        reversible: playbook?.reversible ?? false,
      };
    }),
    reviews: await waitingForReviewer(deps.db, deps.config, who, HOME_REVIEW_ITEMS),
  });
}
