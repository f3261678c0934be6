import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AssumedRoles, auditRoleSpec } from '../aws/credentials.js';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { dailyPeriod, weeklyPeriod } from '../digest/periods.js';
import { dailyDigest } from '../digest/sections.js';
import { weeklyDigestMessage } from '../digest/weekly.js';
import { createLogger } from '../log.js';
import { dailyFigures } from '../posture/digest-figures.js';
import { SlackDirectory } from '../slack/identity.js';
import { slackWebClient } from '../slack/web-client.js';
import { digestText } from '../terminal.js';
import { writeBackRoles } from '../workflow/securityhub-sync.js';
import { type CliIo, type CommandModule, EXIT, UsageError } from './command.js';
import { jobDepsOf } from './job-deps.js';
import { awsClients, withDb } from './with-db.js';

export const run: CommandModule['run'] = async (values, { config, io, wiring }) => {
  const kind = values.kind as string | undefined;
  if (kind !== 'daily' && kind !== 'weekly') throw new UsageError('--kind must be daily or weekly');
  if (values.chart && !(values.print && kind === 'weekly'))
    throw new UsageError('--chart goes with --print --kind weekly');
  return withDb(config, async (handle) => {
    await handle.migrate();
    const now = new Date();
    if (values.print) {
      io.stdout(await printDigest(handle.db, config, kind, now, values.chart as string | undefined, io));
      return EXIT.ok;
    }
    const log = createLogger(config.logLevel);
    const clients = awsClients(config);
    try {
      const web = slackWebClient(config.slack!);
      const deps = jobDepsOf(
        {
          db: handle.db,
          config,
          clients,
          web,
          directory: new SlackDirectory(web),
          writeBack: { db: handle.db, config, clients, roles: writeBackRoles(clients, config) },
          auditRoles: new AssumedRoles(clients.sts(), auditRoleSpec(config.aws.auditRole)),
        },
        log,
      );
      const job = (await wiring.jobs()).find((j) => j.name === `${kind}-digest`);
      if (!job) throw new Error(`no ${kind}-digest job is wired in`);
      const result = await job.run(deps, now);
      io.stdout(result ? `not sent: ${result.skipped}\n` : `${kind} digest sent\n`);
      return result ? EXIT.failed : EXIT.ok;
    } finally {
      clients.destroy();
    }
  });
};

/** `warden digest --print`: the digest as text, and for the weekly one its chart written to a PNG file. */
export async function printDigest(
  db: Database,
  config: Config,
  kind: 'daily' | 'weekly',
  now: Date,
  chartFile: string | undefined,
  io: CliIo,
): Promise<string> {
  if (kind === 'daily') {
    const { window } = dailyPeriod(now, config.schedule);
    return digestText(dailyDigest(await dailyFigures(db, window, config.policy), ''));
  }
  const { period, window } = weeklyPeriod(now, config.schedule);
  const { digest, message } = await weeklyDigestMessage(db, config, window, period);
  const file = path.resolve(io.cwd, chartFile ?? message.chart.filename);
  writeFileSync(file, message.chart.png);
  return `${digestText(digest)}Chart: ${file}\n`;
}
