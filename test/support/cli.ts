import { createServer } from 'node:net';
import { type CliIo, run } from '../../src/cli/index.js';
import { wiring } from './wiring.js';

/** Runs one `warden` command in this process with exactly `env`, and returns its exit code and output. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  options: { isTTY?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env,
    cwd: process.cwd(),
    isTTY: Boolean(options.isTTY),
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  };
  const code = await run(argv, io, wiring);
  return { code, stdout, stderr };
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
