import { type FailingControl, type StandardScore, scorePercent } from '../../posture/compliance.js';
import { BLOCK_KIT } from '../limits.js';
import { type Block, clip, context, escapeMrkdwn, header, linesWithin, section } from './text.js';

/** How many failing controls `/compliance <standard>` lists before "and N more". */
export const FAILING_CONTROLS_SHOWN = 20;

/** One standard's score and what its controls are, on one line. */
export function scoreLine(name: string, alias: string, s: StandardScore): string {
  return (
    `*${escapeMrkdwn(name)}* (\`${alias}\`): *${scorePercent(s.score)}* of controls passing · ` +
    `${s.passed} passed, ${s.failed} failed, ${s.unknown} unknown · ${s.noData} without data, ${s.disabled} disabled`
  );
}

/**
 * `/compliance [standard] [account|OU]`: each standard's score in the scope as Security Hub computes
 * it; with a standard, its failing controls and the accounts they fail in.
 */
export function complianceBlocks(input: {
  title: string;
  scores: Array<{ name: string; alias: string; score: StandardScore }>;
  failing?: { total: number; controls: FailingControl[]; accountName: (id: string) => string };
}): Block[] {
  const blocks: Block[] = [header(clip(input.title, BLOCK_KIT.headerText))];
  if (input.scores.length === 0) {
    blocks.push(section('No score yet: no scan has read an enabled Security Hub standard in this scope.'));
    return blocks;
  }
  for (const s of input.scores)
    blocks.push(section(clip(scoreLine(s.name, s.alias, s.score), BLOCK_KIT.sectionText)));
  const f = input.failing;
  if (f) {
    const lines = f.controls.map((c) => {
      const accounts = c.accountIds.map((id) => escapeMrkdwn(f.accountName(id)));
      const shown =
        accounts.slice(0, 5).join(', ') + (accounts.length > 5 ? ` and ${accounts.length - 5} more` : '');
      return `• \`${escapeMrkdwn(c.controlId)}\` ${escapeMrkdwn(c.title)}: fails in ${c.accountIds.length} account${c.accountIds.length === 1 ? '' : 's'} (${shown})`;
    });
    blocks.push(
      section(
        f.total === 0
          ? '*Failing controls:* none.'
          : `*Failing controls (${f.total}), most widely failed first*\n${linesWithin(
              lines,
              BLOCK_KIT.sectionText - 60,
              (n) => `…and ${n} more`,
              f.total - f.controls.length,
            )}`,
      ),
    );
  }
  blocks.push(
    context(
      'Score: passed controls over controls with data (passed, failed, unknown), as Security Hub computes it; a control failed in one account fails in the OU and the organization. `/findings` lists the findings.',
    ),
  );
  return blocks;
}
