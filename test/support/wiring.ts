import { registerCommands } from '../../commands/index.js';
import { JOBS } from '../../jobs/index.js';
import type { Wiring } from '../../src/cli/index.js';

/** The slash commands and the jobs, handed in as the binary (src/main.ts) hands them in. */
export const wiring: Wiring = {
  slashCommands: async () => registerCommands,
  jobs: async () => JOBS,
};
