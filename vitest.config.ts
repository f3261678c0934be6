import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Files named *.postgres.test.ts prove what only a PostgreSQL server can (many connections, many
// processes); they run in the pass where DATABASE_URL is set. Every other test runs in both passes,
// but those that do the same whichever database the tests are given: the simulator's and the AWS
// clients' (no database), the embedded database's own lock (always PGlite) and the database-down
// tests (servers of their own). They run in the embedded pass only, so CI runs each once.
const onPostgres = Boolean(process.env.DATABASE_URL);
const SAME_ON_EVERY_DATABASE = [
  'test/sim/**',
  'test/aws/**',
  'test/db/embedded-single-process.test.ts',
  'test/db/database-down.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: onPostgres ? SAME_ON_EVERY_DATABASE : ['test/**/*.postgres.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file gets its own database (cloned from a migrated template), so files run in parallel.
    pool: 'forks',
    // Every CPU: Vitest 4 leaves one idle by default (one worker on a 2-CPU machine), and these tests
    // spend much of their time waiting on PostgreSQL, the simulator and child processes.
    maxWorkers: availableParallelism(),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
