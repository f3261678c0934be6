import type { App } from '@slack/bolt';
import type { Config } from '../config.js';
import { WardenError } from '../errors.js';
import type { Job } from '../schedule/job.js';
import type { HandlerDeps } from '../slack/app.js';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal: a progress bar is drawn there. */
  isTTY?: boolean;
  /** Aborted when a long-running command (serve) should stop: SIGINT/SIGTERM in the binary. */
  stop?: AbortSignal;
}

export type Values = Record<string, string | boolean | undefined>;

/** Registers the slash commands (commands/index.ts) on the Slack app. */
export type RegisterCommands = (app: App, deps: HandlerDeps) => void;

/**
 * What the composition root (src/main.ts) hands in from the top-level folders, loaded only by the
 * commands that use them: nothing else under src/ imports commands/ or jobs/.
 */
export interface Wiring {
  slashCommands(): Promise<RegisterCommands>;
  jobs(): Promise<readonly Job[]>;
}

/** One CLI command's module (src/cli/<command>.ts), loaded only when that command runs. */
export interface CommandModule {
  run(values: Values, ctx: { config: Config; io: CliIo; wiring: Wiring }): Promise<number>;
}

/** Exit codes: 0 done, 1 the work failed (e.g. a broken audit chain), 2 the command or its config was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A bad option or argument: the command's usage is printed with it, and the exit code is 2. */
export class UsageError extends WardenError {
  constructor(message: string) {
    super('usage', message);
  }
}

export function parseDate(text: string, flag: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
    ? new Date(text)
    : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new UsageError(`${flag} must be a date like 2026-11-01`);
  return date;
}

/** The runtime's stop signal: the binary's SIGINT/SIGTERM, when it gave one. */
export const stopOf = (io: CliIo): { stop?: AbortSignal } => (io.stop ? { stop: io.stop } : {});

/** Resolves when `signal` aborts. */
export function stopped(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
