import { describeConfig } from '../config.js';
import { describeGuard, trailGuard } from '../db/roles.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT } from './command.js';

/**
 * `warden migrate`: applies pending migrations as the schema's owner (WARDEN_MIGRATION_DATABASE_URL,
 * else DATABASE_URL), grants the runtime role, and says what that role may do to the audit trail.
 */
export const run: CommandModule['run'] = (_values, { config, io }) =>
  withRuntime(config, { migrate: 'as-owner' }, async ({ log, db }) => {
    log.info({ config: describeConfig(config) }, 'migrations applied');
    if (!config.database.url) {
      io.stdout(
        'migrations applied (pglite); the embedded database has one role: see README "Database roles"\n',
      );
      return EXIT.ok;
    }
    // Asked as the runtime role itself (DATABASE_URL): what it could do, not what was meant.
    io.stdout(`migrations applied (postgres)\n${describeGuard(await trailGuard(db))}\n`);
    return EXIT.ok;
  });
