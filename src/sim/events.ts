import { randomUUID } from 'node:crypto';
import type { Scenario } from './scenario.js';
import { toAsff } from './services/securityhub.js';
import { metadataUidOf, toOcsf } from './services/securityhub-v2.js';
import { SimQueue } from './services/sqs.js';
import type { FindingRecord, SimWorld } from './world.js';

/** The EventBridge detail-types Security Hub sends (FACTS.md §8): one finding per event in both. */
export const DETAIL_TYPES = {
  cspm: 'Security Hub Findings - Imported',
  v2: 'Findings Imported V2',
} as const;

/** Where the events go unless a scenario names its own queues. */
export const DEFAULT_EVENTS = {
  queueName: 'warden-findings-events',
  deadLetterQueueName: 'warden-findings-events-dlq',
  visibilityTimeoutSeconds: 60,
  maxReceiveCount: 5,
};

/** The account and region that receive the organization's findings: the delegated administrator's aggregation region. */
export function eventsHome(scenario: Scenario): { account: string; region: string } {
  return {
    account: scenario.securityHub?.adminAccountId ?? scenario.managementAccountId,
    region: scenario.securityHub?.aggregationRegion ?? scenario.regions[0] ?? 'us-east-1',
  };
}

/**
 * The template in deploy/ as the simulator plays it: an EventBridge rule in the administrator's
 * aggregation region sends every finding Security Hub imports or updates (each raised or changed in
 * the world, BatchUpdateFindings included) to an SQS queue with a dead-letter queue. Security Hub
 * CSPM sends its ASFF event; with the new Security Hub on, it sends its OCSF event too.
 */
export function routeFindingEvents(world: SimWorld, options: Scenario['events']): void {
  if (!options) return;
  const spec = { ...DEFAULT_EVENTS, ...options };
  const home = eventsHome(world.scenario);
  const deadLetter = new SimQueue({
    name: spec.deadLetterQueueName,
    ...home,
    visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
  });
  const queue = new SimQueue({
    name: spec.queueName,
    ...home,
    visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
    redrive: { deadLetterQueue: deadLetter.spec.name, maxReceiveCount: spec.maxReceiveCount },
  });
  world.queues.set(queue.spec.name, queue);
  world.queues.set(deadLetter.spec.name, deadLetter);
  world.onFindingChange((f) => {
    queue.send(JSON.stringify(findingEvent(world, f, 'cspm')));
    if (world.scenario.securityHub?.v2) queue.send(JSON.stringify(findingEvent(world, f, 'v2')));
  });
}

/** One finding's EventBridge event, as Security Hub CSPM (ASFF) or the new Security Hub (OCSF) sends it. */
export function findingEvent(world: SimWorld, f: FindingRecord, kind: keyof typeof DETAIL_TYPES) {
  const home = eventsHome(world.scenario);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': DETAIL_TYPES[kind],
    source: 'aws.securityhub',
    account: home.account,
    time: new Date(world.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: home.region,
    resources: [kind === 'cspm' ? `${f.productArn}/${f.id}` : metadataUidOf(f)],
    detail: { findings: [kind === 'cspm' ? toAsff(f, world) : toOcsf(f, world)] },
  };
}
