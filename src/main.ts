#!/usr/bin/env node
import { run } from './cli.js';

// The `warden` binary: the only place that touches process globals.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
process.exitCode = await run(process.argv.slice(2), {
  stop: stop.signal,
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
});
