import { AwsClients, type AwsTarget } from './aws/clients.js';
import { AssumedRoles, auditRoleSpec } from './aws/credentials.js';
import type { Metrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import { type SlackClients, slackClients } from './slack/web-client.js';
import type { ScanJobs } from './workflow/scan-jobs.js';
import { type WriteBackDeps, writeBackRoles } from './workflow/securityhub-sync.js';

/** A runtime that also reaches AWS and, when configured, Slack. */
export interface Services extends Runtime {
  clients: AwsClients;
  /** The read-only audit role, assumed per account and cached: remediation plans are read and verified with it. */
  auditRoles: AssumedRoles;
  /** Writes triage decisions back to Security Hub through the remediation role. */
  writeBack: WriteBackDeps;
  /** The Web API client and the user directory; undefined when Slack is not configured. */
  slack: SlackClients | undefined;
  /** The durable scan queues, in a process that works them on PostgreSQL (serve, worker, scan). */
  scanJobs?: ScanJobs;
}

export interface ServiceOptions {
  /** Where AWS is and who Warden is, as values (the demo's simulator); default: the SDK's standard configuration. */
  target?: AwsTarget;
}

/**
 * Adds AWS and Slack to a runtime: one pool of AWS clients (whoever asked destroys them), the audit and
 * remediation roles on them, and Slack's Web API client and user directory when Slack is configured.
 */
export function servicesOn(
  runtime: Runtime,
  options: ServiceOptions & { clients?: AwsClients } = {},
): Services {
  const { config, db } = runtime;
  const clients = options.clients ?? awsClientsFor(config, options.target, runtime.metrics);
  return {
    ...runtime,
    clients,
    auditRoles: new AssumedRoles(clients.sts(), auditRoleSpec(config.aws.auditRole, config.aws.partition)),
    writeBack: { db, config, clients, roles: writeBackRoles(clients, config) },
    slack: config.slack ? slackClients(config.slack, runtime.log, runtime.metrics) : undefined,
  };
}

/** Warden's AWS clients on their own, for work that needs no database (checking an export against anchors). */
export function awsClientsFor(config: Runtime['config'], target?: AwsTarget, metrics?: Metrics): AwsClients {
  return new AwsClients({
    maxAttempts: config.aws.scan.maxAttempts,
    maxSockets: config.aws.scan.concurrency * 2,
    ...(target ? { target } : {}),
    ...(metrics ? { metrics } : {}),
  });
}
