import { defineConfig } from 'drizzle-kit';

// Generating and checking migrations needs only the schema, never a live database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  strict: true,
  verbose: true,
});
