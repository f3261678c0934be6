import { defineConfig } from 'vitest/config';

// Files named *.postgres.test.ts prove what only a PostgreSQL server can (many connections, many
// processes); they run in the pass where DATABASE_URL is set. Every other test runs in both passes.
const onPostgres = Boolean(process.env.DATABASE_URL);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: onPostgres ? [] : ['test/**/*.postgres.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file gets its own database (cloned from a migrated template), so files run in parallel.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
