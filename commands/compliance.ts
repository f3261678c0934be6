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
  standardAsFramework,
} from '../src/posture/frameworks.js';
import type { HandlerDeps } from '../src/slack/app.js';
import { complianceBlocks, FAILING_SHOWN, type FailingItem } from '../src/slack/blocks/compliance.js';
import { ambiguousOu } from '../src/slack/blocks/posture.js';
import { clip, escapeMrkdwn } from '../src/slack/blocks/text.js';
import { sendEvidencePack } from '../src/slack/evidence-delivery.js';
import { readAccess, refuseRead } from '../src/slack/read-access.js';
import { type Identity, mayRead, mayReport } from '../src/workflow/policy.js';

const USAGE =
  'Usage: `/compliance [standard|framework] [account|OU]`, e.g. `/compliance`, `/compliance cis-3.0`, `/compliance cis-aws-3.0 Prod`, `/compliance fsbp prod-web`; ' +
  '`/compliance report <standard|framework> [period] [account|OU]` (period: `90d`, `2026-Q3` or `2026-09-01 2026-11-30`; by default the last 90 days): the evidence pack, in your direct messages.';

const DAY = 86_400_000;
/** The period an evidence pack covers when none is given. */
const DEFAULT_REPORT_DAYS = 90;
/** The longest period an evidence pack covers: ten years. */
const MAX_REPORT_DAYS = 3660;

/**
 * The period the words start with, and how many words it took: `90d` (the last 90 days, today
 * included), `2026-Q3`, or two days `2026-09-01 2026-11-30` (both included). None: the last 90 days.
 * Undefined when the words start with something that looks like a period but is not one.
 */
export function reportPeriod(words: string[], now: Date): { from: Date; to: Date; used: number } | undefined {
  const tomorrow = new Date(Math.floor(now.getTime() / DAY) * DAY + DAY);
  const [first = '', second = ''] = words;
  const days = /^(\d{1,4})d$/i.exec(first);
  if (days) {
    const n = Number(days[1]);
    if (n < 1 || n > MAX_REPORT_DAYS) return undefined;
    return { from: new Date(tomorrow.getTime() - n * DAY), to: tomorrow, used: 1 };
  }
  const quarter = /^(\d{4})-q([1-4])$/i.exec(first);
  if (quarter) {
    const [y, q] = [Number(quarter[1]), Number(quarter[2])];
    return { from: new Date(Date.UTC(y, (q - 1) * 3, 1)), to: new Date(Date.UTC(y, q * 3, 1)), used: 1 };
  }
  const isDay = (w: string) => /^\d{4}-\d{2}-\d{2}$/.test(w) && !Number.isNaN(Date.parse(`${w}T00:00:00Z`));
  if (isDay(first)) {
    if (!isDay(second)) return undefined;
    const from = new Date(`${first}T00:00:00Z`);
    const to = new Date(new Date(`${second}T00:00:00Z`).getTime() + DAY);
    if (to <= from || to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY) return undefined;
    return { from, to, used: 2 };
  }
  if (/^\d/.test(first)) return undefined;
  return { from: new Date(tomorrow.getTime() - DEFAULT_REPORT_DAYS * DAY), to: tomorrow, used: 0 };
}

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
    const { who, scope: access } = await readAccess(deps, command.user_id);
    if (access.kind === 'none')
      return void (await say(await refuseRead(deps, command.user_id, 'read compliance', access.reason)));

    const standards = await enabledStandardIds(db);
    const { frameworks } = deps.config;
    const words = command.text.trim().split(/\s+/).filter(Boolean);
    if (words[0]?.toLowerCase() === 'report')
      return void (await report(deps, who, standards, words.slice(1), say));
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

/**
 * `/compliance report <standard|framework> [period] [account|OU]`: the admins, managers and auditors
 * get the evidence pack in a direct message; anyone else is refused (and the refusal audited).
 */
async function report(
  deps: HandlerDeps,
  who: Identity,
  standards: string[],
  words: string[],
  say: (text: string) => Promise<unknown>,
): Promise<void> {
  if (!mayReport(who, deps.config.policy))
    return void (await say(
      await refuseRead(
        deps,
        who.userId,
        'make an evidence pack',
        'evidence packs are for the admins, managers and auditors',
      ),
    ));
  const named = words[0] ? frameworkNamed(deps.config.frameworks, standards, words[0]) : undefined;
  if (!named) {
    const known = [...deps.config.frameworks.map((f) => f.id), ...standards.map(standardAlias)];
    return void (await say(
      `${USAGE}\n${words[0] ? `No framework or standard is called ${escapeMrkdwn(clip(words[0], 100))}. ` : ''}Known: ${known.map((k) => `\`${k}\``).join(', ') || 'none yet'}.`,
    ));
  }
  const period = reportPeriod(words.slice(1), deps.now());
  if (!period) return void (await say(`${USAGE}\nThat period is not one I can read.`));
  const where = words.slice(1 + period.used).join(' ');
  const scope = await complianceScopeNamed(deps.db, where);
  if (scope && 'ambiguous' in scope) return void (await say(ambiguousOu(where, scope.ambiguous)));
  if (!scope)
    return void (await say(`${USAGE}\nNo account or OU matches ${escapeMrkdwn(clip(where, 100))}.`));
  const framework = named.framework ?? (await standardAsFramework(deps.db, named.standard!));
  const what = `${framework.name} ${framework.version}`.trim();
  const last = new Date(period.to.getTime() - 1).toISOString().slice(0, 10);
  await say(
    `Making the evidence pack of ${escapeMrkdwn(what)} for ${escapeMrkdwn(scope.title)}, ${period.from.toISOString().slice(0, 10)} to ${last}: it arrives in your direct messages.`,
  );
  const sent = await deps.inFlight.track(
    sendEvidencePack(deps, who, { framework, scope, from: period.from, to: period.to }),
  );
  await say(
    `:white_check_mark: The evidence pack is in your direct messages: ${sent.files.map((f) => `\`${f.name}\``).join(', ')}.`,
  );
}
