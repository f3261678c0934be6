import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { currentAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { scanTargetsOf } from '../db/scans.js';
import { fileLogger } from '../log.js';
import { standardName, standardScoresAt } from '../posture/compliance.js';
import { complianceScopeNamed } from '../posture/frameworks.js';
import { lastScanGaps, openBySeverity, worstAccounts } from '../posture/summary.js';
import { writeFiles } from '../report/pack.js';
import { withServices } from '../runtime.js';
import type { Services } from '../services.js';
import { demoScenario, demoWeek } from '../sim/scenarios.js';
import { startSimulator } from '../sim/server.js';
import { complianceReport, postureReport, scanSummary } from '../terminal.js';
import {
  itemsOf,
  keep,
  markEscalated,
  requestRevocations,
  reviewReport,
  revoke,
  startReview,
  unescalatedOverdue,
} from '../workflow/access-reviews.js';
import { makeEvidencePack } from '../workflow/evidence.js';
import { ownersOf } from '../workflow/policy.js';
import { type CommandModule, EXIT, stopOf } from './command.js';
import { printDigest } from './digest.js';
import { reportText } from './review-report.js';
import { scanWithProgress } from './scan.js';

/** Weeks of history the demo builds before today: a scan at the end of each week. */
const DEMO_WEEKS = 4;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** The framework the demo ends with (frameworks/cis-aws-3.0.yaml). */
const DEMO_FRAMEWORK = 'cis-aws-3.0';

/**
 * The demo's last words: each standard's score for the organization, CIS v3.0.0's requirements, and
 * the evidence pack of CIS v3.0.0 for the weeks the demo built, written next to the chart.
 */
async function complianceEnd(db: Database, config: Config, dataDir: string, today: number): Promise<string> {
  const now = new Date(today);
  const standards = (await standardScoresAt(db, now))
    .map((score) => ({ name: standardName(score.standardId), score }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const framework = config.frameworks.find((f) => f.id === DEMO_FRAMEWORK);
  if (!framework)
    return `${complianceReport({ standards })}
(no ${DEMO_FRAMEWORK} framework: no evidence pack)
`;
  const scope = await complianceScopeNamed(db, '');
  if (!scope || 'ambiguous' in scope) throw new Error('the demo organization has no root');
  const startOfDay = (t: number) => new Date(Math.floor(t / DAY_MS) * DAY_MS);
  const { pack, files: rendered } = await makeEvidencePack(db, {
    framework,
    scope,
    from: startOfDay(today - DEMO_WEEKS * WEEK_MS),
    to: new Date(startOfDay(today).getTime() + DAY_MS),
    generatedBy: 'warden demo',
    actor: 'warden:demo',
    now,
  });
  const files = await writeFiles(rendered, path.join(dataDir, 'evidence'));
  return (
    complianceReport({
      standards,
      framework: { name: `${framework.name} ${framework.version}`, ...pack.summary },
    }) +
    `\nEvidence pack for ${framework.name} ${framework.version}, ${DEMO_WEEKS} weeks (warden report writes one for any framework and period):\n${files.map((f) => `  ${f}`).join('\n')}\n`
  );
}

/**
 * A short access review of one account, as its owner would run it in Slack: the campaign starts ten
 * days ago, due three days ago; the owner keeps one principal, revokes another (its credentials become
 * remediation requests), and leaves the rest, which are overdue and escalated. Returns its report.
 */
async function accessReviewDemo(
  services: Services,
  setClock: (t: number) => void,
  today: number,
): Promise<string> {
  const { db, config } = services;
  const account = (await currentAccounts(db)).find((a) => ownersOf(a, config.policy).length > 0);
  if (!account) return '(no account has an owner: no access review)\n';
  const owner = ownersOf(account, config.policy)[0]!;
  const who = { userId: owner, email: owner };
  setClock(today - 10 * DAY_MS);
  const { review } = await startReview(services, {
    scope: { accounts: [account.id] },
    dueAt: new Date(today - 3 * DAY_MS),
    by: 'warden:demo',
    now: services.now(),
  });
  const items = await itemsOf(db, review.id);
  const kept = items.find((i) => i.kind === 'user');
  if (kept)
    await keep(services, {
      itemId: kept.id,
      who,
      actor: owner,
      note: 'still deploys production',
      now: services.now(),
    });
  const revoked = items.find((i) => i.kind === 'user' && i !== kept);
  if (revoked) {
    const reason = 'left the team';
    const { opened } = await revoke(services, {
      itemId: revoked.id,
      who,
      actor: owner,
      reason,
      now: services.now(),
    });
    await requestRevocations(services, { item: revoked, opened, requester: owner, actor: owner, reason });
  }
  setClock(today);
  const overdue = await unescalatedOverdue(db, review, services.now());
  // No Slack in the demo: the escalation is recorded, told to nobody (the follow-up job DMs the
  // managers and approvers).
  await markEscalated(db, review, overdue, [], services.now());
  const report = await reviewReport(db, review.id, services.now());
  return `Access review #${review.id} of ${account.name}, started 10 days ago, due 3 days ago (warden review start / report; in Slack the owners decide in place):\n${reportText(report!)}`;
}

/**
 * `warden demo`: the whole engine against the simulated demo organization, on a fresh embedded
 * database. It builds a few weeks of history first, with the simulator's clock and Warden's set back
 * a week at a time: each week the teams fix some findings and new ones appear, and a full scan
 * records it. Then today's scan, the posture, the weekly compliance digest with its chart, each
 * standard's score and CIS v3.0.0's evidence pack.
 */
export const run: CommandModule['run'] = async (_values, { config, io }) => {
  const scenario = demoScenario();
  const today = Date.now();
  let clock = today - DEMO_WEEKS * WEEK_MS;
  const sim = await startSimulator(scenario, { now: () => clock });
  const dataDir = path.join(config.database.dataDir, 'demo');
  rmSync(dataDir, { recursive: true, force: true });
  const demoConfig: Config = {
    ...config,
    database: { url: undefined, dataDir },
    aws: { ...config.aws, regions: scenario.regions, securityHub: { mode: 'per-account' } },
  };
  // The demo's output is for people: Warden's log lines (the accounts it could not read) go to a file.
  const logFile = path.join(dataDir, 'warden.log');
  io.stdout(
    `Simulated organization at ${sim.url}: ${scenario.accounts.length} accounts in ${scenario.ous.length} OUs, ` +
      `${scenario.regions.length} regions. Embedded database in ${dataDir}; Warden's log in ${logFile}.\n` +
      `Building ${DEMO_WEEKS} weeks of history: a full scan a week, findings fixed and new ones found in between.\n\n`,
  );
  const options = {
    migrate: 'as-owner' as const,
    log: fileLogger(config.logLevel, logFile),
    // Warden's clock is the simulator's, and its AWS clients point at the simulator by value.
    now: () => new Date(clock),
    target: sim.target,
    ...stopOf(io),
  };
  try {
    return await withServices(demoConfig, options, async (services) => {
      const quiet = { ...io, isTTY: false, stdout: () => {} };
      for (let week = DEMO_WEEKS; week > 0; week--) {
        clock = today - week * WEEK_MS;
        if (week < DEMO_WEEKS) demoWeek(sim.world, week);
        const past = await scanWithProgress(services, quiet, { trigger: 'demo', full: true });
        if (!past) return EXIT.failed;
        io.stdout(
          `  ${new Date(clock).toISOString().slice(0, 10)}: ${past.totals.findings} findings read, ${past.totals.new} new, ${past.totals.resolved} resolved\n`,
        );
      }
      clock = today;
      demoWeek(sim.world, 0);
      const result = await scanWithProgress(services, io, { trigger: 'demo', full: true });
      if (!result) return EXIT.failed;
      const { db } = services;
      io.stdout(`\n${scanSummary(result, await scanTargetsOf(db, result.scanId))}`);
      const gaps = await lastScanGaps(db);
      io.stdout(
        `\n${postureReport({
          open: await openBySeverity(db),
          worst: await worstAccounts(db, 5),
          gaps: gaps?.gaps ?? [],
          lastScan: gaps?.finishedAt ?? null,
        })}`,
      );
      io.stdout(`\n${await printDigest(services, 'weekly', path.join(dataDir, 'weekly-digest.png'), io)}`);
      io.stdout(`\n${await complianceEnd(db, config, dataDir, today)}`);
      io.stdout(
        `\n${await accessReviewDemo(
          services,
          (t) => {
            clock = t;
          },
          today,
        )}`,
      );
      return EXIT.ok;
    });
  } finally {
    await sim.close();
  }
};
