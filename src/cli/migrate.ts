import { describeConfig } from '../config.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT } from './command.js';

export const run: CommandModule['run'] = (_values, { config, io }) =>
  withRuntime(config, { migrate: true }, async ({ log }) => {
    log.info({ config: describeConfig(config) }, 'migrations applied');
    io.stdout(`migrations applied (${config.database.url ? 'postgres' : 'pglite'})\n`);
    return EXIT.ok;
  });
