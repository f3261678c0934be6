import { describeGuard, trailGuard } from '../db/roles.js';
import { Metrics } from '../metrics.js';
import { withServices } from '../runtime.js';
import { Scheduler } from '../schedule/scheduler.js';
import { startAlerts } from '../slack/alerts.js';
import { createSlackApp, startSlackApp } from '../slack/app.js';
import { startFindingsEvents } from '../workflow/findings-events.js';
import { sweepRequests } from '../workflow/remediation.js';
import { workScanJobs } from '../workflow/scan-worker.js';
import { type CommandModule, EXIT, stopOf, stopped } from './command.js';

export const run: CommandModule['run'] = (_values, { config, io, wiring }) =>
  // Aborted on SIGTERM/SIGINT: running jobs and Slack-started scans stop and record it.
  // A server's metrics include the process's own (memory, CPU, event-loop delay).
  withServices(
    config,
    { migrate: 'if-owner', metrics: new Metrics({ process: true }), ...stopOf(io) },
    async (services) => {
      const { log, stop } = services;
      if (config.database.url) {
        // Warden's own role should not be able to rewrite its audit trail: say so at every start.
        const guard = await trailGuard(services.db);
        if (guard.problems.length) {
          log.warn(
            { role: guard.role, problems: guard.problems },
            'the runtime role could rewrite the audit trail',
          );
          io.stderr(`warden: ${describeGuard(guard)}\n`);
        }
      }
      // Requests a crash left executing are flagged for a person now, not when the next sweep runs.
      const swept = await sweepRequests(services.db);
      if (swept.stuck.length)
        log.warn({ requests: swept.stuck.map((r) => r.id) }, 'remediations need attention');
      // On PostgreSQL this replica takes scan jobs, and starts its scans (scheduled, from Slack) as jobs.
      const working = await workScanJobs(services);
      const { app, handlers } = createSlackApp(working, await wiring.slashCommands());
      const port = await startSlackApp(app, config.port);
      const mode = config.slack!.appToken ? 'Socket Mode' : `HTTP on port ${port}`;
      const scheduler = config.schedule.enabled ? new Scheduler(working, await wiring.jobs()) : undefined;
      scheduler?.start();
      // With WARDEN_EVENTS_QUEUE_URL, findings events are stored as they come (every replica reads the queue).
      const reading = await startFindingsEvents(services);
      // Alerts (policy `alerts`) are posted by every replica, each claiming its own.
      const alerting = startAlerts(services);
      // A digest slot every replica missed runs once now; scheduled slots do not wait for it.
      const catchingUp = scheduler
        ?.catchUp()
        .catch((err) => log.error({ err }, 'catching up missed slots failed'));
      log.info({ port, mode, scheduler: Boolean(scheduler) }, 'serving Slack');
      io.stderr(
        `warden: serving Slack (${mode}); /healthz and /metrics on port ${port}; scheduled jobs ${scheduler ? `on (${config.schedule.timezone})` : 'off'}\n`,
      );
      await stopped(stop);
      await catchingUp;
      await scheduler?.stop();
      await reading;
      await alerting;
      await handlers.inFlight.drained();
      await working.scanJobs?.stop();
      await app.stop();
      return EXIT.ok;
    },
  );
