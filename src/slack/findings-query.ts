import type { Database } from '../db/client.js';
import { WARDEN_CHECK_IDS } from '../findings/checks.js';
import type { Source } from '../findings/finding.js';
import { SECURITY_CONTROL_ID } from '../findings/frameworks.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';
import { findAccount, findOu } from '../posture/accounts.js';
import { FINDING_STATUSES, type FindingFilters, type FindingStatus } from '../posture/findings-list.js';
import { FINDINGS_QUERY_MAX } from './blocks/finding.js';
import { clip, escapeMrkdwn } from './blocks/text.js';

const SOURCE_WORDS: Record<string, Source> = {
  securityhub: 'securityhub',
  iam: 'credential-report',
  'credential-report': 'credential-report',
  'access-review': 'access-review',
};

/** `IAM.4` or `IAM.4,root-access-keys`: security controls and Warden checks, separated by commas. */
const isControlList = (word: string) =>
  word
    .split(',')
    .every((id) => SECURITY_CONTROL_ID.test(id) || (WARDEN_CHECK_IDS as readonly string[]).includes(id));

/**
 * Reads `/findings` words into filters: a severity, an account (id, name or alias), accounts
 * (ids separated by commas) or an OU (name, path or id), a state, `mine` or a mentioned user, a source, controls (`IAM.4,root-access-keys`);
 * each at most once. Or says which word it does not understand.
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
    } else if (/^\d{12}(,\d{12})+$/.test(word)) {
      if (filters.accountId || filters.accountIds) return once('account', word);
      filters.accountIds = word.split(',');
    } else if (isControlList(word)) {
      if (filters.controls) return once('control list', word);
      filters.controls = word.split(',');
    } else {
      if (filters.accountId || filters.accountIds)
        return { error: `I don't understand \`${escapeMrkdwn(clip(word, 100))}\`.` };
      const found = await findAccount(db, word);
      const ou = found.account ? undefined : await findOu(db, word);
      if (ou && 'ambiguous' in ou)
        return {
          error: `\`${escapeMrkdwn(clip(word, 100))}\` names several OUs: ${ou.ambiguous.map(escapeMrkdwn).join(', ')}.`,
        };
      if (found.account) filters.accountId = found.account.id;
      else if (ou) filters.accountIds = ou.accounts.map((a) => a.id);
      else return { error: `No account or OU matches \`${escapeMrkdwn(clip(word, 100))}\`.` };
    }
  }
  return { filters };
}
