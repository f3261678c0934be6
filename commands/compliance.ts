import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { knownAccounts } from '../src/posture/accounts.js';
import {
  enabledStandardIds,
  failingControls,
  scorePercent,
  standardAlias,
  standardName,
  standardScoresAt,
} from '../src/posture/compliance.js';
import {
  type ComplianceScopeOf,
  complianceScopeNamed,
  evaluateFramework,
  type Framework,
  frameworkNamed,
  requirementScore,
} from '../src/posture/frameworks.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { complianceBlocks, FAILING_SHOWN, type FailingItem } from '../src/slack/blocks/compliance.js';
import { ambiguousOu } from '../src/slack/blocks/posture.js';
import { clip, escapeMrkdwn } from '../src/slack/blocks/text.js';
import { readAccess, refuseRead } from '../src/slack/read-access.js';
import { mayRead } from '../src/workflow/policy.js';

const USAGE =
  'Usage: `/compliance [standard|framework] [account|OU]`, e.g. `/compliance`, `/compliance cis-3.0`, `/compliance cis-aws-3.0 Prod`, `/compliance fsbp prod-web`.';

/**
 * `/compliance` (every enabled standard, the organization), `/compliance <standard or framework>`
 * (with the framework's failing requirements, or the standard's failing controls when no framework
 * maps it), `/compliance [standard|framework] <account or OU>`. Anything it cannot read gets the
 * usage, and the standards and frameworks it knows.
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
    const { frameworks } = deps.config;
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    const named = words[0] ? frameworkNamed(frameworks, standards, words[0]) : undefined;
    const { framework, standard } = named ?? { framework: undefined, standard: undefined };
    const where = (named ? words.slice(1) : words).join(' ');

    const scope = await complianceScopeNamed(db, where);
    if (scope && 'ambiguous' in scope) return void (await say(ambiguousOu(where, scope.ambiguous)));
    if (!scope) {
      const known = [...standards.map(standardAlias), ...frameworks.map((f) => f.id)];
      return void (await say(
        `${USAGE}\nNo standard, framework, account or OU matches ${escapeMrkdwn(clip(where, 100))}. ` +
          `Known: ${known.map((k) => `\`${k}\``).join(', ') || 'none yet'}.`,
      ));
    }
    const readable =
      scope.kind === 'organization'
        ? access.kind === 'all'
        : scope.accountIds.every((id) => mayRead(access, id));
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
      .filter((s) => !named || s.standardId === (standard ?? framework?.standard))
      .sort((a, b) => standardName(a.standardId).localeCompare(standardName(b.standardId)));
    const names = new Map((await knownAccounts(db)).map((a) => [a.id, a.name]));
    const heading = framework
      ? `${framework.name} ${framework.version}`
      : standard
        ? standardName(standard)
        : '';
    const title = `Compliance of ${scope.title}${heading ? ` · ${heading}` : ''}`;
    await say(
      title,
      complianceBlocks({
        title,
        scores: shown.map((score) => ({
          name: standardName(score.standardId),
          alias: standardAlias(score.standardId),
          score,
        })),
        accountName: (id) => names.get(id) ?? id,
        ...(framework ? await requirementsView(deps, framework, scope) : {}),
        ...(!framework && standard ? { failing: await controlsView(deps, standard, scope) } : {}),
      }),
    );
  };
}

/** What the drill-down's `/findings` query adds for the scope: nothing (organization), the account, or the failing accounts. */
const scopeWords = (scope: ComplianceScopeOf, failingIn: string[]) =>
  scope.kind === 'organization'
    ? ''
    : ` ${(scope.kind === 'account' ? scope.accountIds : failingIn).join(',')}`;

/** A framework's requirement counts and its failing requirements, most widely failed first. */
async function requirementsView(deps: HandlerDeps, framework: Framework, scope: ComplianceScopeOf) {
  const { requirements, counts, controls } = await evaluateFramework(deps.db, framework, scope.accountIds);
  const failing = requirements
    .filter((r) => r.status === 'failed')
    .map((r): FailingItem => {
      const accountIds = r.accounts.filter((a) => a.status === 'failed').map((a) => a.accountId);
      const failingControls = [...r.controls, ...r.checks].filter((id) =>
        accountIds.some((a) => controls.get(a)?.get(id)?.status === 'failed'),
      );
      return {
        id: r.id,
        title: r.title,
        failingControls,
        accountIds,
        findingsQuery: `${failingControls.join(',')}${scopeWords(scope, accountIds)}`,
      };
    })
    .sort((a, b) => b.accountIds.length - a.accountIds.length);
  return {
    framework: {
      name: `${framework.name} ${framework.version}`,
      counts,
      score: scorePercent(requirementScore(counts)),
    },
    failing: { kind: 'requirements' as const, total: failing.length, items: failing.slice(0, FAILING_SHOWN) },
  };
}

/** A standard's failing controls in the scope (no framework maps its requirements). */
async function controlsView(deps: HandlerDeps, standard: string, scope: ComplianceScopeOf) {
  const { total, controls } = await failingControls(
    deps.db,
    standard,
    FAILING_SHOWN,
    scope.kind === 'organization' ? undefined : scope.accountIds,
  );
  return {
    kind: 'controls' as const,
    total,
    items: controls.map(
      (c): FailingItem => ({
        id: c.controlId,
        title: c.title,
        accountIds: c.accountIds,
        findingsQuery: `${c.securityControlId ?? c.controlId}${scopeWords(scope, c.accountIds)}`,
      }),
    ),
  };
}
