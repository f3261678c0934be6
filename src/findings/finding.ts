import { createHash } from 'node:crypto';
import type { ControlEvaluation } from './compliance.js';
import type { Severity } from './severity.js';

export const SOURCES = ['securityhub', 'credential-report', 'access-review'] as const;
export type Source = (typeof SOURCES)[number];

/**
 * Warden's one finding model: what every collector produces and the store keeps. Identity is
 * (source, productArn, externalId): Security Hub's Id with its product ARN, or for Warden's own
 * checks a fingerprint of account, check and resource.
 */
export interface Finding {
  source: Source;
  productArn: string;
  externalId: string;
  accountId: string;
  /** An AWS region, or `global` for IAM. */
  region: string;
  resourceType: string | null;
  resourceId: string;
  controlId: string | null;
  generatorId: string | null;
  title: string;
  description: string | null;
  severity: Severity;
  compliance: string | null;
  awsWorkflowStatus: string | null;
  firstObservedAt: Date;
  /** The source's own last-update time (Security Hub UpdatedAt); null for Warden's checks. */
  sourceUpdatedAt: Date | null;
  remediationText: string | null;
  remediationUrl: string | null;
  evidence: Record<string, unknown>;
  /**
   * True when the finding is a live problem. False when the source says it is fixed or gone
   * (compliance PASSED, record ARCHIVED, workflow RESOLVED): an incremental scan resolves it.
   */
  failing: boolean;
  /** Set when the finding is a control evaluation (Security Hub control findings). */
  evaluation?: ControlEvaluation;
}

/** The identity of one of Warden's own findings: stable for the same account, check and resource. */
export function fingerprint(accountId: string, checkId: string, resource: string): string {
  return `warden:${checkId}:${createHash('sha256').update(`${accountId}\u0000${checkId}\u0000${resource}`).digest('hex').slice(0, 32)}`;
}
