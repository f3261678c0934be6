#!/usr/bin/env node
import { run, type Wiring } from './cli/index.js';

// The `warden` binary: the only place that touches process globals, and the composition root's edge:
// it hands the slash commands (commands/) and the scheduled jobs (jobs/) in, loaded only when used.
const wiring: Wiring = {
  slashCommands: async () => (await import('../commands/index.js')).registerCommands,
  jobs: async () => (await import('../jobs/index.js')).JOBS,
};

/** After SIGINT/SIGTERM a command has this long to stop cleanly (containers allow 10 s) before it is ended. */
const STOP_GRACE_MS = 9_000;

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The first signal asks the command to stop; a second one ends the process at once.
  process.on(signal, () => {
    if (stop.signal.aborted) {
      process.stderr.write(`warden: ${signal} again; exiting now\n`);
      process.exit(1);
    }
    stop.abort(new Error(`${signal} received`));
    setTimeout(() => {
      process.stderr.write(`warden: did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}; exiting\n`);
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  });
}
process.exitCode = await run(
  process.argv.slice(2),
  {
    stop: stop.signal,
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
  },
  wiring,
);
// A stopped command has recorded how it ended; work it abandoned (a sleeping poll, an open socket)
// must not keep the process alive past the container's grace period.
if (stop.signal.aborted) process.exit();
