import { verifyAuditChain } from '../audit/verify.js';
import { withRuntime } from '../runtime.js';
import { type CommandModule, EXIT } from './command.js';

export const run: CommandModule['run'] = (_values, { config, io }) =>
  withRuntime(config, {}, async ({ db }) => {
    const result = await verifyAuditChain(db);
    if (result.ok) {
      io.stdout(`ok: ${result.count} events, head ${result.head}\n`);
      return EXIT.ok;
    }
    io.stdout(
      `broken: event ${result.brokenSeq}: ${result.reason} (${result.count} events before it verified)\n`,
    );
    return EXIT.failed;
  });
