import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WardenError } from '../errors.js';
import { type Answer, healthAnswer, metricsAnswer } from '../http/probes.js';
import { Metrics } from '../metrics.js';
import { withServices } from '../runtime.js';
import { startFindingsEvents } from '../workflow/findings-events.js';
import { workScanJobs } from '../workflow/scan-worker.js';
import { type CommandModule, EXIT, stopOf, stopped } from './command.js';

/**
 * `warden worker`: scan capacity without Slack. It takes scan jobs (coordinations and targets) from
 * PostgreSQL beside the `serve` replicas, reads the findings events' queue when one is configured,
 * and answers /healthz and /metrics on PORT. On SIGTERM it hands the jobs in hand back at once, for
 * another process to finish.
 */
export const run: CommandModule['run'] = (_values, { config, io }) => {
  if (!config.database.url)
    throw new WardenError(
      'config',
      'DATABASE_URL: missing (warden worker takes scan jobs from PostgreSQL; on the embedded database a scan runs in the process that starts it)',
    );
  return withServices(
    config,
    { migrate: 'if-owner', metrics: new Metrics({ process: true }), ...stopOf(io) },
    async (services) => {
      const working = await workScanJobs(services);
      // With WARDEN_EVENTS_QUEUE_URL, findings events are stored as they come (every replica reads the queue).
      const reading = await startFindingsEvents(services);
      const routes: Record<string, () => Promise<Answer>> = {
        '/healthz': () => healthAnswer(services),
        '/metrics': () => metricsAnswer(services),
      };
      const server = createServer((req, res) => {
        const answer = req.method === 'GET' ? routes[req.url ?? ''] : undefined;
        if (!answer) {
          res.writeHead(404).end();
          return;
        }
        answer().then(
          ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
          () => res.writeHead(503).end(),
        );
      });
      await new Promise<void>((resolve) => server.listen(config.port, resolve));
      const { port } = server.address() as AddressInfo;
      services.log.info({ port }, 'working scan jobs');
      io.stderr(`warden: working scan jobs; /healthz and /metrics on port ${port}\n`);
      await stopped(services.stop);
      await working.scanJobs?.stop();
      await reading;
      await new Promise((resolve) => server.close(resolve));
      return EXIT.ok;
    },
  );
};
