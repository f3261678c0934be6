#!/usr/bin/env node
// The container's health check: asks the running server's GET /healthz on PORT (default 3000) and
// exits 0 when it answers ok. It opens no database and loads nothing else, so it is cheap to run every
// 30 seconds beside `warden serve` (a second opener of the embedded database would be refused anyway).
const port = Number(process.env.PORT ?? 3000);
try {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
  process.stdout.write(
    `${response.status === 200 ? 'healthy' : 'unhealthy'}: /healthz answered ${response.status}\n`,
  );
  process.exitCode = response.status === 200 ? 0 : 1;
} catch (err) {
  process.stdout.write(`unhealthy: no answer on port ${port}: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
