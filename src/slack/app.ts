import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver } from '@slack/bolt';
import type { ExtendedErrorHandlerArgs } from '@slack/bolt/dist/App.js';
import type { AwsClients } from '../aws/clients.js';
import type { AssumedRoles } from '../aws/credentials.js';
import type { Config, SlackConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { databaseTarget } from '../db/errors.js';
import { WardenError } from '../errors.js';
import { type Answer, healthAnswer, metricsAnswer } from '../http/probes.js';
import { InFlight } from '../in-flight.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ScanJobs } from '../workflow/scan-jobs.js';
import type { WriteBackDeps } from '../workflow/securityhub-sync.js';
import { reportHandlerFailure } from './failures.js';
import { registerInteractions } from './interactions/index.js';
import { boundWork } from './load.js';
import { boltLogger, type SlackClients } from './web-client.js';

/** What the Slack app is built on: the runtime's services (src/runtime.ts), with Slack configured. */
export interface SlackDeps {
  config: Config;
  db: Database;
  log: Logger;
  now: () => Date;
  /** Aborted when Warden stops: scans started from Slack stop and record it. */
  stop: AbortSignal;
  /** What `/metrics` shows. */
  metrics: Metrics;
  /** AWS clients for scans started from Slack. */
  clients: AwsClients;
  /** The read-only audit role, cached per account: remediation plans are read and verified with it. */
  auditRoles: AssumedRoles;
  /** Writes triage decisions back to Security Hub through the remediation role. */
  writeBack: WriteBackDeps;
  /** Slack's clients (src/services.ts builds them when Slack is configured; the app needs them). */
  slack: SlackClients | undefined;
  /** The durable scan queues (PostgreSQL): a scan started from Slack is a job any process may take. */
  scanJobs?: ScanJobs;
}

/**
 * What handlers get: the app's dependencies, Slack's Web API client (token and SLACK_API_URL applied;
 * failed calls name their method) and user directory, and Slack's settings.
 */
export interface HandlerDeps extends Omit<SlackDeps, 'slack'>, SlackClients {
  slackConfig: SlackConfig;
  /** Long work started from Slack (a scan), which a stopping server waits for. */
  inFlight: InFlight;
}

/**
 * Builds Warden's Slack app: HTTP mode on `/slack/events` (signature and staleness checked by Bolt),
 * or Socket Mode when SLACK_APP_TOKEN is set; `/healthz` reports the database's state either way.
 * The slash commands (commands/) are handed in by the caller. Returns the app and what its handlers share.
 */
export function createSlackApp(deps: SlackDeps, registerCommands: (app: App, deps: HandlerDeps) => void) {
  const { log } = deps;
  const slack = deps.config.slack;
  if (!slack || !deps.slack)
    throw new WardenError(
      'config',
      'the Slack app needs the Slack settings (SLACK_BOT_TOKEN and a signing secret or app token)',
    );
  /** A GET route beside Slack's endpoint: what it answers, as a status, a content type and a body. */
  const route = (path: string, answer: () => Promise<Answer>) => ({
    path,
    method: ['GET'],
    handler: async (
      _req: unknown,
      res: { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void },
    ) => {
      const { status, type, body } = await answer();
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    },
  });
  const healthz = route('/healthz', () => healthAnswer({ db: deps.db, log }));
  const metrics = route('/metrics', () => metricsAnswer(deps));
  // Handlers use Warden's own client (same token and URL), whose failures name the method called.
  const { web, directory } = deps.slack;
  const common = {
    token: slack.botToken,
    // The error handler gets the request's body: who asked, and where to answer them.
    extendedErrorHandler: true,
    logger: boltLogger(log),
    ...(slack.apiUrl ? { clientOptions: { slackApiUrl: slack.apiUrl } } : {}),
  };
  const app = slack.appToken
    ? new App({
        ...common,
        appToken: slack.appToken,
        socketMode: true,
        customRoutes: [healthz, metrics],
        port: deps.config.port,
      })
    : new App({
        ...common,
        receiver: new HTTPReceiver({
          signingSecret: slack.signingSecret!,
          endpoints: '/slack/events',
          customRoutes: [healthz, metrics],
          logger: common.logger,
        }),
      });
  // A handler that fails after its ack leaves Slack showing nothing: the person is told, and it is logged.
  app.error(async (args) => {
    const { error, body } = args as unknown as ExtendedErrorHandlerArgs;
    const database = databaseTarget(deps.config.database.url);
    await reportHandlerFailure({ web, slack, log, error, body, ...(database ? { database } : {}) });
  });
  const { slack: _clients, ...services } = deps;
  const handlerDeps: HandlerDeps = {
    ...services,
    web,
    directory,
    slackConfig: slack,
    inFlight: new InFlight(),
  };
  // Before any handler: work after the ack is bounded per kind, and past the bound the person hears "busy".
  app.use(boundWork(handlerDeps, deps.config.slackConcurrency));
  registerCommands(app, handlerDeps);
  registerInteractions(app, handlerDeps);
  return { app, handlers: handlerDeps };
}

export type WardenSlackApp = ReturnType<typeof createSlackApp>['app'];

/** Starts the app on `port` (0: any free port) and returns the port it listens on. */
export async function startSlackApp(app: WardenSlackApp, port: number): Promise<number> {
  const server = (await app.start(port)) as unknown as Server | undefined;
  const address = server?.address?.() as AddressInfo | null | undefined;
  return address?.port ?? port;
}
