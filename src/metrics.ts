import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What `/metrics` shows, in Prometheus's text format (prom-client), one registry per runtime. Labels
 * name kinds of things (a source, an AWS operation, a Slack method, a job), never an account, a user
 * or a finding: the number of series stays bounded, and nothing here identifies anyone.
 */
export class Metrics {
  readonly registry = new Registry();

  /** How long each phase of a scan took: discovery, collection of the targets, conclusion. */
  readonly scanPhaseSeconds = new Histogram({
    name: 'warden_scan_phase_seconds',
    help: 'Duration of each phase of a scan (discovery, collect, conclude, total), by scan kind',
    labelNames: ['kind', 'phase'] as const,
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly scanTargets = new Counter({
    name: 'warden_scan_targets_total',
    help: 'Scan targets (account x region x source) finished, by source and outcome (ok, failed)',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly findingsIngested = new Counter({
    name: 'warden_findings_ingested_total',
    help: 'Findings read from a source and stored, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  /** Targets of the running scan not yet started, and since when the oldest of them waits. */
  readonly targetsQueued = new Gauge({
    name: 'warden_scan_targets_queued',
    help: 'Targets of the running scans waiting for a free slot',
    registers: [this.registry],
  });
  readonly oldestQueuedSeconds = new Gauge({
    name: 'warden_scan_oldest_queued_target_age_seconds',
    help: 'How long the oldest target still waiting has waited (0 when none waits)',
    registers: [this.registry],
    collect: () => {
      this.oldestQueuedSeconds.set(this.queuedSince ? (Date.now() - this.queuedSince) / 1000 : 0);
    },
  });
  /** When the oldest waiting target was queued (ms since 1970); undefined when none waits. */
  queuedSince: number | undefined;

  readonly awsCalls = new Counter({
    name: 'warden_aws_calls_total',
    help: 'AWS API call attempts (retries included), by service and operation',
    labelNames: ['service', 'operation'] as const,
    registers: [this.registry],
  });
  readonly awsThrottles = new Counter({
    name: 'warden_aws_throttles_total',
    help: 'AWS API attempts answered with a throttling error, by service and operation',
    labelNames: ['service', 'operation'] as const,
    registers: [this.registry],
  });
  /** Each attempt from its request sent to its answer read (the SDK's retries, rate-limit waits and signing apart). */
  readonly awsCallSeconds = new Histogram({
    name: 'warden_aws_call_seconds',
    help: 'Time an AWS API attempt took from sending its request to reading its answer, by service and operation',
    labelNames: ['service', 'operation'] as const,
    buckets: [0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly slackCalls = new Counter({
    name: 'warden_slack_api_calls_total',
    help: 'Slack Web API calls, by method',
    labelNames: ['method'] as const,
    registers: [this.registry],
  });
  readonly slackErrors = new Counter({
    name: 'warden_slack_api_errors_total',
    help: 'Slack Web API calls that failed, by method and Slack error code',
    labelNames: ['method', 'error'] as const,
    registers: [this.registry],
  });
  readonly jobRuns = new Counter({
    name: 'warden_scheduled_runs_total',
    help: 'Scheduled job runs, by job and outcome (succeeded, skipped, failed, cancelled)',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });
  /** Slack requests from the ack to the last answer: the read paths (/posture, /findings, the Home tab) among them. */
  readonly slackHandlingSeconds = new Histogram({
    name: 'warden_slack_handling_seconds',
    help: 'Time to handle a Slack request after its ack, by kind (command, action, form, event) and name',
    labelNames: ['kind', 'name'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /** Findings events taken from the queue, by outcome: stored, skipped (another API's), unreadable. */
  readonly findingEvents = new Counter({
    name: 'warden_finding_events_total',
    help: 'Security Hub findings events received from the queue, by outcome (stored, skipped, unreadable)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** With `process`, also Node's own figures (memory, CPU, event-loop delay): a server's, not a test's. */
  constructor(options: { process?: boolean } = {}) {
    if (options.process) collectDefaultMetrics({ register: this.registry, prefix: 'warden_' });
  }

  /** The registry in Prometheus's text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
