// What the read-path benchmarks share: Warden's real handlers on a database, with a Slack directory
// that knows every user as a workspace member, and how a handler is timed.
import type { webApi } from '@slack/bolt';
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { runtimeOn } from '../src/runtime.js';
import type { HandlerDeps } from '../src/slack/app.js';
import type { SlackDirectory } from '../src/slack/identity.js';
import { percentile } from './scratch-database.js';

/** The handlers' dependencies on `db`: no Slack Web API (the read paths answer through `respond`). */
export function benchHandlerDeps(config: Config, db: Database): HandlerDeps {
  const runtime = runtimeOn(config, db, { log: createLogger('silent') });
  const directory = {
    identify: async (userId: string) => ({ userId, email: undefined, standing: 'member' as const }),
    groupMembers: async () => new Set<string>(),
  } as unknown as SlackDirectory;
  return { ...runtime, directory, web: undefined as unknown as webApi.WebClient } as unknown as HandlerDeps;
}

/** A slash command's handler asked `text` by one user, its answers thrown away. */
export const commandAsker = (handler: (args: never) => Promise<void>) => (text: string) =>
  handler({ command: { text, user_id: 'U0BENCH' }, ack: async () => {}, respond: async () => {} } as never);

/** Runs `work` once to warm the caches, then `runs` times, and prints p50 and p95 (and the target, if any). */
export async function timed(label: string, runs: number, work: () => Promise<unknown>, target?: number) {
  await work();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await work();
    ms.push(performance.now() - t0);
  }
  const p95 = percentile(ms, 0.95);
  const verdict = target === undefined ? '' : `  target ≤ ${target} ms: ${p95 <= target ? 'met' : 'NOT met'}`;
  console.log(
    `${label.padEnd(48)} p50 ${percentile(ms, 0.5).toFixed(0).padStart(6)} ms  p95 ${p95.toFixed(0).padStart(6)} ms${verdict}`,
  );
}
