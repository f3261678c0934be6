import { checkSchema } from '../db/status.js';
import { hasCode } from '../errors.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT } from './command.js';

export const run: CommandModule['run'] = async (_values, { config, io }) => {
  try {
    return await withRuntime(config, { create: false }, async ({ db }) => {
      const status = await checkSchema(db);
      io.stdout(`${status.ok ? 'healthy' : 'unhealthy'}: ${status.detail}\n`);
      return status.ok ? EXIT.ok : EXIT.failed;
    });
  } catch (err) {
    if (!hasCode(err, 'no-database', 'database-locked')) throw err;
    io.stdout(`unhealthy: ${err.message}\n`);
    return EXIT.failed;
  }
};
