import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dailyPeriod, weeklyPeriod } from '../digest/periods.js';
import { dailyDigest } from '../digest/sections.js';
import { weeklyDigestMessage } from '../digest/weekly.js';
import { dailyFigures } from '../posture/digest-figures.js';
import { type Runtime, withRuntime, withServices } from '../runtime.js';
import { digestText } from '../terminal.js';
import { type CliIo, type CommandModule, EXIT, UsageError } from './command.js';

export const run: CommandModule['run'] = async (values, { config, io, wiring }) => {
  const kind = values.kind as string | undefined;
  if (kind !== 'daily' && kind !== 'weekly') throw new UsageError('--kind must be daily or weekly');
  if (values.chart && !(values.print && kind === 'weekly'))
    throw new UsageError('--chart goes with --print --kind weekly');
  if (values.print)
    return withRuntime(config, { migrate: 'if-owner' }, async (runtime) => {
      io.stdout(await printDigest(runtime, kind, values.chart as string | undefined, io));
      return EXIT.ok;
    });
  const job = (await wiring.jobs()).find((j) => j.name === `${kind}-digest`);
  if (!job) throw new Error(`no ${kind}-digest job is wired in`);
  return withServices(config, { migrate: 'if-owner' }, async (services) => {
    const result = await job.run(services, services.now());
    io.stdout(result ? `not sent: ${result.skipped}\n` : `${kind} digest sent\n`);
    return result ? EXIT.failed : EXIT.ok;
  });
};

/** `warden digest --print`: the digest as text, and for the weekly one its chart written to a PNG file. */
export async function printDigest(
  { db, config, now: clock }: Pick<Runtime, 'db' | 'config' | 'now'>,
  kind: 'daily' | 'weekly',
  chartFile: string | undefined,
  io: CliIo,
): Promise<string> {
  const now = clock();
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
