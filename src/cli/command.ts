import type { Config } from '../config.js';

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

/** One CLI command's module (src/cli/<command>.ts), loaded only when that command runs. */
export interface CommandModule {
  run(values: Values, ctx: { config: Config; io: CliIo }): Promise<number>;
}

/** Exit codes: 0 done, 1 the work failed (e.g. a broken audit chain), 2 the command or its config was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A bad option or argument: the command's usage is printed with it, and the exit code is 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseDate(text: string, flag: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
    ? new Date(text)
    : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new UsageError(`${flag} must be a date like 2026-11-01`);
  return date;
}
