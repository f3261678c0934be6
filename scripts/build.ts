// npm run build — the production build: `dist/main.js` (the `warden` binary) and `dist/healthcheck.js`,
// bundled by esbuild from src/, with each lazily loaded CLI command in a chunk of its own.
//
// Why a bundle and not tsc's file-per-module output: Node resolves every file of a package against
// that package's package.json, and drizzle-orm's (180 KB of `exports`) is read again for each of its
// few hundred modules: importing it alone took ~0.2 s and ~170 MB. Inlined here, `warden audit
// verify` meets its 1-second target (npm run bench:startup). Only the packages on that path are
// inlined; the rest stay ordinary node_modules imports, loaded as they are in the tests: those that
// read files next to themselves (PGlite's WebAssembly, the canvas' native module, pino's workers),
// CommonJS that requires Node's built-ins, the AWS SDK and Bolt.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import pkg from '../package.json' with { type: 'json' };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The dependencies compiled into the bundle; every other one is imported from node_modules. */
const INLINED = ['drizzle-orm', 'postgres', 'zod'];

// postgres.js is inlined with Warden's fixes, however node_modules was installed (the Dockerfile's
// `npm ci --ignore-scripts` runs no postinstall): scripts/patch-postgres.mjs says what they are.
execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'patch-postgres.mjs')], { stdio: 'inherit' });

const external = Object.keys(pkg.dependencies).filter((name) => !INLINED.includes(name));
rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/main.ts', 'src/healthcheck.ts'],
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // Subpaths (`drizzle-orm/pg-core`, `@slack/bolt/dist/…`) follow their package.
  external: external.flatMap((name) => [name, `${name}/*`]),
  sourcemap: true,
  logLevel: 'warning',
});
