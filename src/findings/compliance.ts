import type { ComplianceStatus } from '../domain.js';
import type { Source } from './finding.js';

/**
 * Warden's compliance model, beside the finding model: a control evaluation's result (pass or fail,
 * evidence for a standard's score), Warden's own checks' results, and the standards enabled in an
 * account and region with their controls.
 */

/**
 * A control evaluation's result, carried by a Security Hub control finding whether it passes or
 * fails: the evidence a standard's score is computed from (the `control_results` table).
 */
export interface ControlEvaluation {
  status: ComplianceStatus;
  /** `Compliance.AssociatedStandards`: the enabled standards in which the control is enabled. */
  standards: string[];
  /** `Compliance.RelatedRequirements`: the framework requirements the control is related to. */
  requirements: string[];
  /** RecordState ARCHIVED: the evaluation no longer counts (the resource is gone, or the control off). */
  archived: boolean;
}

/** One of Warden's own checks, evaluated for one account: passed, or failed with its failing resources. */
export interface CheckResult {
  source: Source;
  externalId: string;
  accountId: string;
  /** Warden's check id (`root-access-keys`). */
  controlId: string;
  status: ComplianceStatus;
  evidence: Record<string, unknown>;
  evaluatedAt: Date;
}

/** An enabled standard of one account and region, with its controls, as Security Hub lists them. */
export interface StandardRead {
  standardId: string;
  subscriptionArn: string;
  status: string;
  controls: Array<StandardControlDefinition & { enabled: boolean; disabledReason: string | null }>;
}

/** A control of a standard, the same in every account: the standard's id for it, title, requirements. */
export interface StandardControlDefinition {
  controlId: string;
  title: string;
  requirements: string[];
}

/**
 * What a target's full sync read of its account and region's standards, as its result carries it to
 * the scan's conclusion: the enabled standards, and the controls disabled in them.
 */
export interface StandardsEnablement {
  enabled: Array<{ standardId: string; subscriptionArn: string; status: string }>;
  disabled: Array<{ standardId: string; controlId: string; reason: string | null }>;
}

/** The enablement a read shows (its controls' definitions are recorded apart, once per standard). */
export function enablementOf(standards: StandardRead[]): StandardsEnablement {
  return {
    enabled: standards.map(({ standardId, subscriptionArn, status }) => ({
      standardId,
      subscriptionArn,
      status,
    })),
    disabled: standards.flatMap((s) =>
      s.controls
        .filter((c) => !c.enabled)
        .map((c) => ({ standardId: s.standardId, controlId: c.controlId, reason: c.disabledReason })),
    ),
  };
}
