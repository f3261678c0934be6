import {
  type CompositeFilter,
  GetFindingsV2Command,
  type OcsfFindingFilters,
} from '@aws-sdk/client-securityhub';
import type { SecurityHubCalls } from '../aws/clients.js';
import { WORKFLOW_OF_OCSF_STATUS } from '../aws/ocsf-status.js';
import { PAGE_LIMITS } from '../aws/quotas.js';
import type { ComplianceStatus } from '../domain.js';
import type { Finding } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';

/**
 * The new Security Hub (OCSF 1.6 findings, `GetFindingsV2`) in Warden's finding model.
 *
 * What is mapped, from OCSF's own definitions (schema.ocsf.io, classes 2002–2006) and AWS's notes on
 * them (FACTS.md §8): identity `metadata.uid`; `cloud.account.uid`, `cloud.region`; `severity_id`
 * (1 informational … 5 critical, 6 fatal); `status_id` (1 new, 2 in progress, 3 suppressed,
 * 4 resolved, 5 archived, 6 deleted); a finding is closed when `activity_name` is `Close` (what AWS
 * says makes it closed) or its status is resolved, archived or deleted; `compliance.control`,
 * `.standards`, `.requirements`, `.status_id` (1 pass, 2 warning, 3 fail); `resources[0]`;
 * `finding_info.title/desc/first_seen_time_dt/modified_time_dt`; `remediation`. An exposure finding
 * (see `Exposure`) is kept as its own kind: no control, `exposure` as its generator, its traits in
 * its evidence. The shapes are OCSF's and AWS's samples; no finding captured from a real account was
 * at hand to compare with.
 */
export type OcsfFinding = Record<string, unknown>;

/** Where the identifiers BatchUpdateFindingsV2 takes are kept on a finding's evidence. */
export interface OcsfIdentity {
  metadataUid: string;
  findingInfoUid: string;
  productUid: string;
}

const SEVERITY_BY_ID: Record<number, Severity> = {
  1: 'informational',
  2: 'low',
  3: 'medium',
  4: 'high',
  5: 'critical',
  6: 'critical',
};

const COMPLIANCE_BY_ID: Record<number, ComplianceStatus> = { 1: 'PASSED', 2: 'WARNING', 3: 'FAILED' };

const object = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
const time = (v: unknown): Date | null => {
  const t = typeof v === 'string' || typeof v === 'number' ? new Date(v) : null;
  return t && !Number.isNaN(t.getTime()) ? t : null;
};

/** One OCSF finding in Warden's model; undefined when it lacks what identifies it. */
export function fromOcsf(doc: OcsfFinding): Finding | undefined {
  const metadata = object(doc.metadata);
  const product = object(metadata.product);
  const info = object(doc.finding_info);
  const cloud = object(doc.cloud);
  const account = text(object(cloud.account).uid);
  const metadataUid = text(metadata.uid);
  if (!metadataUid || !account) return undefined;
  const compliance = object(doc.compliance);
  const resource = object(Array.isArray(doc.resources) ? doc.resources[0] : undefined);
  const statusId = Number(doc.status_id ?? 0);
  const closed =
    doc.activity_name === 'Close' || Number(doc.activity_id) === 3 || [4, 5, 6].includes(statusId);
  const controlId = text(compliance.control);
  const complianceStatus = COMPLIANCE_BY_ID[Number(compliance.status_id)] ?? null;
  const failing = !closed && complianceStatus !== 'PASSED';
  const remediation = object(doc.remediation);
  const productUid = text(product.uid) ?? '';
  const exposure = exposureOf(doc, info);
  const identity: OcsfIdentity = {
    metadataUid,
    findingInfoUid: text(info.uid) ?? metadataUid,
    productUid,
  };
  return {
    source: 'securityhub',
    productArn: productUid,
    externalId: metadataUid,
    accountId: account,
    region: text(cloud.region) ?? text(resource.region) ?? 'unknown',
    resourceType: text(resource.type),
    resourceId: text(resource.uid) ?? `AWS::::Account:${account}`,
    controlId,
    generatorId: controlId ? `security-control/${controlId}` : exposure ? 'exposure' : text(product.name),
    title: text(info.title) ?? controlId ?? (exposure ? text(info.desc) : null) ?? 'Security Hub finding',
    description: text(info.desc),
    severity: SEVERITY_BY_ID[Number(doc.severity_id)] ?? 'informational',
    compliance: complianceStatus,
    awsWorkflowStatus: WORKFLOW_OF_OCSF_STATUS[statusId] ?? null,
    firstObservedAt: time(info.first_seen_time_dt) ?? time(info.created_time_dt) ?? new Date(),
    sourceUpdatedAt: time(info.modified_time_dt),
    remediationText: text(remediation.desc),
    remediationUrl: strings(remediation.references)[0] ?? null,
    evidence: {
      ocsf: identity,
      ...(exposure ? { exposure } : {}),
      ...(doc.class_name ? { class: doc.class_name } : {}),
      ...(strings(info.types).length ? { types: strings(info.types) } : {}),
      ...(strings(compliance.standards).length ? { standards: strings(compliance.standards) } : {}),
    },
    failing,
    ...(controlId && complianceStatus
      ? {
          evaluation: {
            status: complianceStatus,
            standards: strings(compliance.standards),
            requirements: strings(compliance.requirements),
            archived: closed,
          },
        }
      : {}),
  };
}

/**
 * What an exposure finding adds (AWS's sample: a Detection Finding, class 2004, whose
 * `finding_info.analytic.name` is `Exposure`): the traits of its contributing findings by type
 * (Misconfiguration, Reachability, Sensitive Data, Vulnerability) and how many findings contribute.
 * Undefined for any other finding.
 */
export interface Exposure {
  traits: Record<string, string[]>;
  contributing: number;
}

function exposureOf(doc: OcsfFinding, info: Record<string, unknown>): Exposure | undefined {
  if (Number(doc.class_uid) !== 2004 || object(info.analytic).name !== 'Exposure') return undefined;
  const events = Array.isArray(info.related_events)
    ? info.related_events
    : Array.isArray(doc.related_events)
      ? doc.related_events
      : [];
  const traits: Record<string, string[]> = {};
  for (const event of events) {
    for (const tag of Array.isArray(object(event).tags) ? (object(event).tags as unknown[]) : []) {
      const name = text(object(tag).name);
      if (!name) continue;
      traits[name] = [...new Set([...(traits[name] ?? []), ...strings(object(tag).values)])];
    }
  }
  const counted = Number(info.related_events_count ?? doc.related_events_count);
  return { traits, contributing: Number.isFinite(counted) && counted > 0 ? counted : events.length };
}

/** The identifiers of a finding read through the new Security Hub, or undefined for any other. */
export function ocsfIdentity(evidence: Record<string, unknown>): OcsfIdentity | undefined {
  const o = object(evidence.ocsf);
  return typeof o.metadataUid === 'string' ? (o as unknown as OcsfIdentity) : undefined;
}

/** Some accounts only (at most 20, the values one filter type takes): any of them. */
const ofAccounts = (accountIds?: string[]): CompositeFilter[] =>
  accountIds?.length
    ? [
        {
          Operator: 'OR',
          StringFilters: accountIds.map((Value) => ({
            FieldName: 'cloud.account.uid',
            Filter: { Value, Comparison: 'EQUALS' },
          })),
        },
      ]
    : [];

/**
 * A full sync asks for every finding that is not closed (passing control evaluations included: they
 * are the standards' evidence); what it does not return, once completed, is closed or gone.
 */
export function v2FullSyncFilters(accountIds?: string[]): OcsfFindingFilters {
  return {
    CompositeFilters: [
      {
        StringFilters: [{ FieldName: 'activity_name', Filter: { Value: 'Close', Comparison: 'NOT_EQUALS' } }],
      },
      ...ofAccounts(accountIds),
    ],
  };
}

/** An incremental sync asks for every finding modified in [since, until), closed ones included. */
export function v2IncrementalFilters(since: Date, until: Date, accountIds?: string[]): OcsfFindingFilters {
  return {
    CompositeFilters: [
      {
        DateFilters: [
          {
            FieldName: 'finding_info.modified_time_dt',
            Filter: { Start: since.toISOString(), End: until.toISOString() },
          },
        ],
      },
      ...ofAccounts(accountIds),
    ],
  };
}

/**
 * Streams GetFindingsV2 a page at a time, each mapped to Warden's model; with OUs, only their accounts'
 * findings (`Scopes.AwsOrganizations`, the administrator's own organization).
 */
export async function* securityHubV2Pages(
  client: SecurityHubCalls,
  filters: OcsfFindingFilters,
  signal?: AbortSignal,
  scopeOus?: string[],
): AsyncGenerator<Finding[]> {
  let token: string | undefined;
  do {
    const out = await client.send(
      new GetFindingsV2Command({
        Filters: filters,
        ...(scopeOus?.length
          ? {
              Scopes: {
                AwsOrganizations: scopeOus.map((OrganizationalUnitId) => ({ OrganizationalUnitId })),
              },
            }
          : {}),
        MaxResults: PAGE_LIMITS.securityHubV2MaxResults,
        NextToken: token,
      }),
      signal ? { abortSignal: signal } : {},
    );
    token = out.NextToken || undefined;
    const page = (out.Findings ?? []).flatMap((doc) => fromOcsf(doc as OcsfFinding) ?? []);
    if (page.length > 0) yield page;
  } while (token);
}
