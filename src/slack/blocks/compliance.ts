import { type StandardScore, scorePercent } from '../../posture/compliance.js';
import type { RequirementStatus } from '../../posture/frameworks.js';
import { BLOCK_KIT } from '../limits.js';
import { FINDINGS_QUERY_MAX } from './finding.js';
import { FINDINGS_OPEN_ACTION } from './findings.js';
import { type Block, button, clip, context, escapeMrkdwn, header, section } from './text.js';

/** How many failing requirements or controls `/compliance` lists, each with its Findings button. */
export const FAILING_SHOWN = 15;

/** One standard's score and what its controls are, on one line. */
export function scoreLine(name: string, alias: string, s: StandardScore): string {
  return (
    `*${escapeMrkdwn(name)}* (\`${alias}\`): *${scorePercent(s.score)}* of controls passing · ` +
    `${s.passed} passed, ${s.failed} failed, ${s.unknown} unknown · ${s.noData} without data, ${s.disabled} disabled`
  );
}

/** A failing requirement (or control) in a scope: what fails, where, and the query listing its findings. */
export interface FailingItem {
  /** `1.4` (a requirement) or `IAM.4` (a control). */
  id: string;
  /** Its text; none for a requirement only Security Hub's related requirements name. */
  title: string | null;
  /** A requirement's controls and checks that fail in the scope. */
  failingControls?: string[];
  accountIds: string[];
  /** The `/findings` query that lists its findings in the scope. */
  findingsQuery: string;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function failingSection(item: FailingItem, accountName: (id: string) => string): Block {
  const accounts = item.accountIds.map((id) => escapeMrkdwn(accountName(id)));
  const shown =
    accounts.slice(0, 5).join(', ') + (accounts.length > 5 ? ` and ${accounts.length - 5} more` : '');
  const controls = item.failingControls?.length
    ? ` · ${item.failingControls.map((c) => `\`${escapeMrkdwn(c)}\``).join(', ')}`
    : '';
  const title = item.title ? ` ${escapeMrkdwn(item.title)}` : '';
  const text = `\`${escapeMrkdwn(item.id)}\`${title}${controls}\nfails in ${plural(item.accountIds.length, 'account')} (${shown})`;
  // A query too long to carry (a requirement with many failing controls) gets no button: the line says what to type.
  return item.findingsQuery.length <= FINDINGS_QUERY_MAX
    ? section(text, {
        accessory: button('Findings', FINDINGS_OPEN_ACTION, {
          value: JSON.stringify({ q: item.findingsQuery }),
        }),
      })
    : section(text);
}

/**
 * `/compliance [standard|framework] [account|OU]`: each standard's score in the scope as Security Hub
 * computes it; with a framework, its requirements' statuses and the failing ones; with a standard
 * no framework maps, its failing controls. Each failing line opens its findings.
 */
export function complianceBlocks(input: {
  title: string;
  scores: Array<{ name: string; alias: string; score: StandardScore }>;
  framework?: { name: string; counts: Record<RequirementStatus, number>; score: string };
  failing?: { kind: 'requirements' | 'controls'; total: number; items: FailingItem[] };
  accountName: (id: string) => string;
}): Block[] {
  const blocks: Block[] = [header(clip(input.title, BLOCK_KIT.headerText))];
  for (const s of input.scores)
    blocks.push(section(clip(scoreLine(s.name, s.alias, s.score), BLOCK_KIT.sectionText)));
  if (input.scores.length === 0 && !input.framework)
    blocks.push(section('No score yet: no scan has read an enabled Security Hub standard in this scope.'));
  const fw = input.framework;
  if (fw) {
    const c = fw.counts;
    blocks.push(
      section(
        `*${escapeMrkdwn(fw.name)}*: *${fw.score}* of requirements passing · ${c.passed} passed, ${c.failed} failed, ` +
          `${c.unknown} unknown · ${c['no-data']} without data, ${c.manual} manual (nothing automated maps to them)`,
      ),
    );
  }
  const f = input.failing;
  if (f) {
    const what = f.kind === 'requirements' ? 'requirements' : 'controls';
    blocks.push(
      section(
        f.total === 0
          ? `*Failing ${what}:* none.`
          : `*Failing ${what} (${f.total}), most widely failed first*`,
      ),
    );
    for (const item of f.items.slice(0, FAILING_SHOWN)) blocks.push(failingSection(item, input.accountName));
    if (f.total > FAILING_SHOWN) blocks.push(context(`…and ${f.total - FAILING_SHOWN} more.`));
  }
  blocks.push(
    context(
      'Score: passed over those with data (passed, failed, unknown), as Security Hub computes it; failed in one account is failed in the OU and the organization. A requirement fails when one of its controls or checks fails.',
    ),
  );
  return blocks;
}
