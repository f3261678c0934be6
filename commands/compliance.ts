import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { ComplianceScope } from '../src/domain.js';
import { findAccount, findOu, knownAccounts } from '../src/posture/accounts.js';
import {
  enabledStandardIds,
  failingControls,
  standardAlias,
  standardName,
  standardScoresAt,
} from '../src/posture/compliance.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { complianceBlocks, FAILING_CONTROLS_SHOWN } from '../src/slack/blocks/compliance.js';
import { ambiguousOu } from '../src/slack/blocks/posture.js';
import { clip, escapeMrkdwn } from '../src/slack/blocks/text.js';
import { readAccess, refuseRead } from '../src/slack/read-access.js';
import { mayRead } from '../src/workflow/policy.js';

const USAGE =
  'Usage: `/compliance [standard] [account|OU]`, e.g. `/compliance`, `/compliance cis-3.0`, `/compliance fsbp prod-web`.';

/**
 * `/compliance` (every enabled standard, the organization), `/compliance <standard>` (with its failing
 * controls), `/compliance [standard] <account or OU>`. Anything it cannot read gets the usage, and the
 * standards it knows.
 */
export function complianceCommand(deps: HandlerDeps) {
  return async ({ command, ack, respond }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    await ack();
    const { db } = deps;
    const say = (text: string, blocks?: ReturnType<typeof complianceBlocks>) =>
      respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) });
    const { scope: access } = await readAccess(deps, command.user_id);
    if (access.kind === 'none')
      return void (await say(await refuseRead(deps, command.user_id, 'read compliance', access.reason)));

    const standards = await enabledStandardIds(db);
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    const standard = words[0]
      ? standards.find((id) => standardAlias(id) === words[0]!.toLowerCase())
      : undefined;
    const where = (standard ? words.slice(1) : words).join(' ');

    // The scope: the organization, an OU or an account.
    let scope: { kind: ComplianceScope; id: string; title: string; accountIds?: string[] } = {
      kind: 'organization',
      id: '',
      title: 'the organization',
    };
    if (where) {
      const found = await findAccount(db, where);
      const ou = found.account ? undefined : await findOu(db, where);
      if (found.account) {
        scope = {
          kind: 'account',
          id: found.account.id,
          title: `${found.account.name} (${found.account.id})`,
          accountIds: [found.account.id],
        };
      } else if (ou && 'ambiguous' in ou) {
        return void (await say(ambiguousOu(where, ou.ambiguous)));
      } else if (ou) {
        const isRoot = !ou.path.includes('/');
        scope = isRoot
          ? scope
          : { kind: 'ou', id: ou.path, title: ou.path, accountIds: ou.accounts.map((a) => a.id) };
      } else {
        const known = standards.map((id) => `\`${standardAlias(id)}\``).join(', ') || 'none yet';
        return void (await say(
          `${USAGE}\nNo standard, account or OU matches ${escapeMrkdwn(clip(where, 100))}. Standards enabled: ${known}.`,
        ));
      }
    }
    const readable = scope.accountIds
      ? scope.accountIds.every((id) => mayRead(access, id))
      : access.kind === 'all';
    if (!readable)
      return void (await say(
        await refuseRead(
          deps,
          command.user_id,
          `read the compliance of ${scope.title}`,
          'you read the accounts you own: `/compliance <account>`',
        ),
      ));

    const all = await standardScoresAt(db, deps.now(), scope.kind, scope.id);
    const shown = all
      .filter((s) => !standard || s.standardId === standard)
      .sort((a, b) => standardName(a.standardId).localeCompare(standardName(b.standardId)));
    const names = new Map((await knownAccounts(db)).map((a) => [a.id, a.name]));
    const title = `Compliance of ${scope.title}${standard ? ` · ${standardName(standard)}` : ''}`;
    await say(
      title,
      complianceBlocks({
        title,
        scores: shown.map((score) => ({
          name: standardName(score.standardId),
          alias: standardAlias(score.standardId),
          score,
        })),
        ...(standard
          ? {
              failing: {
                ...(await failingControls(db, standard, FAILING_CONTROLS_SHOWN, scope.accountIds)),
                accountName: (id: string) => names.get(id) ?? id,
              },
            }
          : {}),
      }),
    );
  };
}
