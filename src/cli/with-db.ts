import { AwsClients } from '../aws/clients.js';
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

export function awsClients(config: Config): AwsClients {
  return new AwsClients({
    maxAttempts: config.aws.scan.maxAttempts,
    maxSockets: config.aws.scan.concurrency * 2,
  });
}
