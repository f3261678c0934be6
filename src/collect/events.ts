import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { Finding } from '../findings/finding.js';
import { fromAsff } from './securityhub.js';
import { fromOcsf, type OcsfFinding } from './securityhub-v2.js';

/**
 * Security Hub's EventBridge events, as the queue of deploy/findings-events.yaml delivers them: each
 * message's body is one event, and each event carries its findings in `detail.findings` (one, AWS
 * says, for both detail-types; a list is read whatever its length). FACTS.md §8.
 */
export const FINDING_EVENT_TYPES = {
  'Security Hub Findings - Imported': 'cspm',
  'Findings Imported V2': 'v2',
} as const satisfies Record<string, 'cspm' | 'v2'>;

export type FindingEvent =
  | { kind: 'cspm' | 'v2'; id: string; time: Date | undefined; findings: Finding[] }
  /** Not an event Warden reads: what it is, in a few words (logged, and the message is let go). */
  | { kind: 'other'; problem: string };

const object = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** An ASFF finding with what identifies it: an id, a product and an account. */
function asffFinding(doc: unknown): Finding | undefined {
  const f = object(doc);
  if (
    !f ||
    typeof f.Id !== 'string' ||
    typeof f.ProductArn !== 'string' ||
    typeof f.AwsAccountId !== 'string'
  )
    return undefined;
  return fromAsff(f as unknown as AwsSecurityFinding);
}

/** One message's event: its findings in Warden's model, or why it is not one Warden reads. */
export function readFindingEvent(body: string): FindingEvent {
  let event: Record<string, unknown> | undefined;
  try {
    event = object(JSON.parse(body));
  } catch {
    return { kind: 'other', problem: 'the message is not JSON' };
  }
  if (!event) return { kind: 'other', problem: 'the message is not a JSON object' };
  const detailType = String(event['detail-type'] ?? '');
  if (event.source !== 'aws.securityhub' || !(detailType in FINDING_EVENT_TYPES))
    return {
      kind: 'other',
      problem: `not a Security Hub findings event (${String(event.source)}: ${detailType})`,
    };
  const kind = FINDING_EVENT_TYPES[detailType as keyof typeof FINDING_EVENT_TYPES];
  const docs = object(event.detail)?.findings;
  if (!Array.isArray(docs)) return { kind: 'other', problem: `${detailType} without detail.findings` };
  const findings: Finding[] = [];
  for (const doc of docs) {
    const f = kind === 'cspm' ? asffFinding(doc) : object(doc) && fromOcsf(doc as OcsfFinding);
    if (!f) return { kind: 'other', problem: `${detailType} with a finding that lacks its identifiers` };
    findings.push(f);
  }
  const time = typeof event.time === 'string' ? new Date(event.time) : undefined;
  return {
    kind,
    id: String(event.id ?? ''),
    time: time && !Number.isNaN(time.getTime()) ? time : undefined,
    findings,
  };
}
