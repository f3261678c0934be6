import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import type { Source } from '../src/findings/finding.js';
import { SEVERITIES, type Severity } from '../src/findings/severity.js';
import { findAccount } from '../src/posture/accounts.js';
import {
  FINDING_STATUSES,
  type FindingFilters,
  type FindingStatus,
  listFindings,
} from '../src/posture/findings-list.js';
import type { HandlerDeps } from '../src/slack/app.js';
import {
  FINDINGS_PAGE_SIZE,
  FINDINGS_USAGE,
  findingsPage,
  type PageCursor,
} from '../src/slack/blocks/findings.js';
import { clip, escapeMrkdwn, section } from '../src/slack/blocks/text.js';

const SOURCE_WORDS: Record<string, Source> = {
  securityhub: 'securityhub',
  iam: 'credential-report',
  'credential-report': 'credential-report',
};

/** Reads `/findings` words into filters, or says which word it does not understand. */
export async function parseFindingsQuery(
  deps: HandlerDeps,
  text: string,
  userId: string,
): Promise<{ filters: FindingFilters } | { error: string }> {
  const filters: FindingFilters = {};
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const w = word.toLowerCase();
    const mention = /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(word);
    if ((SEVERITIES as readonly string[]).includes(w) && !filters.severity) filters.severity = w as Severity;
    else if ((FINDING_STATUSES as readonly string[]).includes(w) && !filters.status)
      filters.status = w as FindingStatus;
    else if (w === 'mine' && !filters.assignee) filters.assignee = userId;
    else if (mention && !filters.assignee) filters.assignee = mention[1]!;
    else if (SOURCE_WORDS[w] && !filters.source) filters.source = SOURCE_WORDS[w];
    else if (!filters.accountId) {
      const found = await findAccount(deps.db, word);
      if (!found.account) return { error: `No account matches \`${escapeMrkdwn(clip(word, 100))}\`.` };
      filters.accountId = found.account.id;
    } else return { error: `I don't understand \`${escapeMrkdwn(clip(word, 100))}\`.` };
  }
  return { filters };
}

async function page(deps: HandlerDeps, query: string, userId: string, offset: number) {
  const parsed = await parseFindingsQuery(deps, query, userId);
  if ('error' in parsed)
    return { text: 'Unknown /findings filter', blocks: [section(`${parsed.error}\n${FINDINGS_USAGE}`)] };
  const { rows, total } = await listFindings(deps.db, parsed.filters, { offset, limit: FINDINGS_PAGE_SIZE });
  return { text: `${total} findings`, blocks: findingsPage({ query, rows, total, offset }) };
}

/** `/findings …`: one page of findings, with Next / Previous. */
export function findingsCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    if (command.text.trim() === 'help') {
      await ack({
        response_type: 'ephemeral',
        text: 'How to use /findings',
        blocks: [section(FINDINGS_USAGE)],
      });
      return;
    }
    await ack();
    await respond({ response_type: 'ephemeral', ...(await page(deps, command.text, command.user_id, 0)) });
  };
}

/** Next / Previous: the button carries the query and the offset; the page is read again and replaces the message. */
export function findingsPager(deps: HandlerDeps) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>) => {
    await ack();
    let cursor: PageCursor;
    try {
      cursor = JSON.parse((action as { value?: string }).value ?? '') as PageCursor;
    } catch {
      return;
    }
    const offset = Number.isInteger(cursor.o) && cursor.o >= 0 ? cursor.o : 0;
    await respond({
      replace_original: true,
      ...(await page(deps, String(cursor.q ?? ''), body.user.id, offset)),
    });
  };
}
