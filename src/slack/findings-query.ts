import type { Database } from '../db/client.js';
import type { Source } from '../findings/finding.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { findAccount } from '../posture/accounts.js';
import { FINDING_STATUSES, type FindingFilters, type FindingStatus } from '../posture/findings-list.js';
import { FINDINGS_QUERY_MAX } from './blocks/finding.js';
import { clip, escapeMrkdwn } from './blocks/text.js';

const SOURCE_WORDS: Record<string, Source> = {
  securityhub: 'securityhub',
  iam: 'credential-report',
  'credential-report': 'credential-report',
};

/**
 * Reads `/findings` words into filters: a severity, an account (id, name or alias), a state, `mine`
 * or a mentioned user, a source; each at most once. Or says which word it does not understand.
 */
export async function parseFindingsQuery(
  db: Database,
  text: string,
  userId: string,
): Promise<{ filters: FindingFilters } | { error: string }> {
  if (text.length > FINDINGS_QUERY_MAX)
    return { error: `That is too long for a filter (${text.length} characters).` };
  const filters: FindingFilters = {};
  const once = (kind: string, word: string) => ({
    error: `One ${kind} at a time: \`${escapeMrkdwn(clip(word, 100))}\` is a second one.`,
  });
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const w = word.toLowerCase();
    const mention = /^<@([UW][A-Z0-9]+)(\|[^>]*)?>$/.exec(word);
    if ((SEVERITIES as readonly string[]).includes(w)) {
      if (filters.severity) return once('severity', word);
      filters.severity = w as Severity;
    } else if ((FINDING_STATUSES as readonly string[]).includes(w)) {
      if (filters.status) return once('state', word);
      filters.status = w as FindingStatus;
    } else if (w === 'mine' || mention) {
      if (filters.assignee) return once('assignee', word);
      filters.assignee = mention ? mention[1]! : userId;
    } else if (SOURCE_WORDS[w]) {
      if (filters.source) return once('source', word);
      filters.source = SOURCE_WORDS[w];
    } else {
      if (filters.accountId) return { error: `I don't understand \`${escapeMrkdwn(clip(word, 100))}\`.` };
      const found = await findAccount(db, word);
      if (!found.account) return { error: `No account matches \`${escapeMrkdwn(clip(word, 100))}\`.` };
      filters.accountId = found.account.id;
    }
  }
  return { filters };
}
