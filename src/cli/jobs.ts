import { recentRuns } from '../db/job-runs.js';
import { withRuntime } from '../runtime.js';
import { jobRunsTable } from '../terminal.js';
import { type CommandModule, EXIT, UsageError } from './command.js';

export const run: CommandModule['run'] = (values, { config, io }) => {
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number');
  return withRuntime(config, {}, async ({ db }) => {
    io.stdout(jobRunsTable(await recentRuns(db, limit)));
    return EXIT.ok;
  });
};
