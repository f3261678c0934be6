import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  GetFindingsCommand,
} from '@aws-sdk/client-securityhub';
import type { SecurityHubCalls } from '../aws/clients.js';
import { PAGE_LIMITS } from '../aws/quotas.js';
import { COMPLIANCE_STATUSES, type ComplianceStatus } from '../domain.js';
import type { Finding } from '../findings/finding.js';
import { severityFromSecurityHub } from '../findings/severity.js';
import { securityControlOf } from '../findings/standard-controls.js';

const eq = (Value: string) => ({ Value, Comparison: 'EQUALS' as const });

/**
 * A full sync asks for every active record, failing or passing: the failing ones are findings, and
 * every control finding is also a control result, the evidence of standards' scores. What it does not
 * return, once it has completed, is neither failing nor evaluated any more.
 */
export function fullSyncFilters(accountIds?: string[]): AwsSecurityFindingFilters {
  return {
    RecordState: [eq('ACTIVE')],
    ...(accountIds?.length ? { AwsAccountId: accountIds.map(eq) } : {}),
  };
}

/**
 * An incremental sync asks for everything updated since `since`, whatever its state, so findings that
 * were archived, passed or resolved in the meantime arrive too and resolve their rows.
 */
export function incrementalFilters(
  since: Date,
  until: Date,
  accountIds?: string[],
): AwsSecurityFindingFilters {
  return {
    UpdatedAt: [{ Start: since.toISOString(), End: until.toISOString() }],
    ...(accountIds?.length ? { AwsAccountId: accountIds.map(eq) } : {}),
  };
}

/** Streams GetFindings a page (up to 100 findings) at a time, so memory stays flat whatever the count. */
export async function* securityHubPages(
  client: SecurityHubCalls,
  filters: AwsSecurityFindingFilters,
  signal?: AbortSignal,
): AsyncGenerator<Finding[]> {
  let token: string | undefined;
  do {
    const out = await client.send(
      new GetFindingsCommand({
        Filters: filters,
        MaxResults: PAGE_LIMITS.securityHubMaxResults,
        NextToken: token,
      }),
      signal ? { abortSignal: signal } : {},
    );
    // The token is read before the page is handed over, so the response is not kept while it is stored.
    token = out.NextToken || undefined;
    const page = (out.Findings ?? []).map(fromAsff);
    if (page.length > 0) yield page;
  } while (token);
}

/** One ASFF finding in Warden's model. */
export function fromAsff(f: AwsSecurityFinding): Finding {
  const resource = f.Resources?.[0];
  const compliance = f.Compliance?.Status ?? null;
  const workflow = f.Workflow?.Status ?? null;
  const failing =
    f.RecordState !== 'ARCHIVED' &&
    compliance !== 'PASSED' &&
    compliance !== 'NOT_AVAILABLE' &&
    workflow !== 'RESOLVED';
  const controlId = securityControlOf(f);
  return {
    source: 'securityhub',
    productArn: f.ProductArn ?? '',
    externalId: f.Id ?? '',
    accountId: f.AwsAccountId ?? '',
    region: f.Region ?? 'unknown',
    resourceType: resource?.Type ?? null,
    resourceId: resource?.Id ?? f.AwsAccountId ?? '',
    controlId,
    generatorId: f.GeneratorId ?? null,
    title: f.Title ?? controlId ?? 'Security Hub finding',
    description: f.Description ?? null,
    severity: severityFromSecurityHub(f.Severity),
    compliance,
    awsWorkflowStatus: workflow,
    firstObservedAt: new Date(f.FirstObservedAt ?? f.CreatedAt ?? Date.now()),
    sourceUpdatedAt: f.UpdatedAt ? new Date(f.UpdatedAt) : null,
    remediationText: f.Remediation?.Recommendation?.Text ?? null,
    remediationUrl: f.Remediation?.Recommendation?.Url ?? null,
    evidence: {
      ...(f.Types?.length ? { types: f.Types } : {}),
      ...(f.RecordState ? { recordState: f.RecordState } : {}),
      ...(f.Compliance?.AssociatedStandards?.length
        ? { standards: f.Compliance.AssociatedStandards.map((s) => s.StandardsId) }
        : {}),
    },
    failing,
    ...(controlId && isComplianceStatus(compliance)
      ? {
          evaluation: {
            status: compliance,
            standards: (f.Compliance?.AssociatedStandards ?? []).flatMap((s) =>
              s.StandardsId ? [s.StandardsId] : [],
            ),
            requirements: f.Compliance?.RelatedRequirements ?? [],
            archived: f.RecordState === 'ARCHIVED',
          },
        }
      : {}),
  };
}

const isComplianceStatus = (s: string | null): s is ComplianceStatus =>
  (COMPLIANCE_STATUSES as readonly (string | null)[]).includes(s);
