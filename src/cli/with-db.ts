import { AwsClients, type AwsTarget } from '../aws/clients.js';
import type { Config } from '../config.js';
import { createDb, type DbHandle } from '../db/client.js';

/** Opens the configured database for one command's work, and closes it however the work ends. */
export async function withDb(
  config: Config,
  work: (handle: DbHandle) => Promise<number>,
  options: { create?: boolean } = {},
): Promise<number> {
  const handle = await createDb(config, options);
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

/** Warden's AWS clients for a command: the SDK's standard configuration, or a target given as values. */
export function awsClients(config: Config, target?: AwsTarget): AwsClients {
  return new AwsClients({
    maxAttempts: config.aws.scan.maxAttempts,
    maxSockets: config.aws.scan.concurrency * 2,
    ...(target ? { target } : {}),
  });
}
