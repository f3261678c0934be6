import { describeConfig } from '../config.js';
import { createLogger } from '../log.js';
import { type CommandModule, EXIT } from './command.js';
import { withDb } from './with-db.js';

export const run: CommandModule['run'] = (_values, { config, io }) =>
  withDb(config, async (handle) => {
    await handle.migrate();
    const log = createLogger(config.logLevel);
    log.info({ config: describeConfig(config) }, 'migrations applied');
    io.stdout(`migrations applied (${handle.driver})\n`);
    return EXIT.ok;
  });
