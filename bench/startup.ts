// npm run bench:startup — how fast the built `warden` binary starts: `warden --help` and `warden audit
// verify` on an empty chain (embedded database, and PostgreSQL when DATABASE_URL is set), each run
// RUNS times as its own process. Prints the median and the spread of wall time and of peak RSS, and
// the targets (issue 11): --help ≤ 0.3 s, audit verify on an empty chain ≤ 1 s.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The production build (npm run build), as the image runs it.
const MAIN = path.join(ROOT, 'dist/main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
// Each process reports its own peak RSS as it exits (kilobytes, from getrusage).
const PEAK = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\npeak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))`;

interface Sample {
  seconds: number;
  rssMb: number;
}

function once(args: string[], env: Record<string, string>): Sample {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--import', PEAK, MAIN, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`warden ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  const kb = Number(/peak-rss-kb=(\d+)/.exec(child.stderr)?.[1]);
  return { seconds, rssMb: kb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

function measure(label: string, args: string[], env: Record<string, string>, target: number): boolean {
  once(args, env); // warm the file cache
  const samples = Array.from({ length: RUNS }, () => once(args, env));
  const seconds = samples.map((s) => s.seconds);
  const rss = samples.map((s) => s.rssMb);
  const met = median(seconds) <= target;
  console.log(
    `${label.padEnd(42)} ${median(seconds).toFixed(3)} s (${spread(seconds)})  peak RSS ${median(rss).toFixed(0)} MB (${spread(rss)})  target ≤ ${target} s: ${met ? 'met' : 'NOT met'}`,
  );
  return met;
}

const dir = mkdtempSync(path.join(tmpdir(), 'warden-bench-startup-'));
try {
  console.log(`Node ${process.version}, ${RUNS} runs each (median, spread in brackets)`);
  const embedded = { WARDEN_DATA_DIR: path.join(dir, 'db') };
  once(['migrate'], embedded);
  const results = [
    measure('warden --help', ['--help'], {}, 0.3),
    measure('warden audit verify (embedded, empty)', ['audit', 'verify'], embedded, 1),
  ];
  if (process.env.DATABASE_URL) {
    const pg = { DATABASE_URL: process.env.DATABASE_URL };
    once(['migrate'], pg);
    results.push(measure('warden audit verify (PostgreSQL)', ['audit', 'verify'], pg, 1));
  }
  process.exitCode = results.every(Boolean) ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
