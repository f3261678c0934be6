import { createHash } from 'node:crypto';
import { PAGE_LIMITS } from '../../aws/quotas.js';
import { CONTROLS, remediationUrl } from '../controls.js';
import type { ConditionContext } from '../permissions.js';
import { SimError } from '../protocol.js';
import type { FindingRecord, SimWorld } from '../world.js';
import type { CallContext, Handler } from './context.js';
import { findingPage } from './finding-pages.js';

/**
 * The new Security Hub's calls (FACTS.md §8), served from the same world as the CSPM calls: its
 * control findings as OCSF 1.6 Compliance Findings (class 2003), read org-wide by the delegated
 * administrator. `scenario.securityHub.v2` turns the service on; without it DescribeSecurityHubV2
 * answers ResourceNotFoundException. Validation errors are `ValidationException` (what AWS's newer
 * APIs answer; the V2 reference lists it); the exact wording of AWS's messages is the simulator's.
 */

const SEVERITY_ID: Record<string, number> = { INFORMATIONAL: 1, LOW: 2, MEDIUM: 3, HIGH: 4, CRITICAL: 5 };
const STATUS_ID: Record<FindingRecord['workflow'], number> = {
  NEW: 1,
  NOTIFIED: 2,
  SUPPRESSED: 3,
  RESOLVED: 4,
};
const STATUS_NAME: Record<number, string> = { 1: 'New', 2: 'In Progress', 3: 'Suppressed', 4: 'Resolved' };
const WORKFLOW_OF_STATUS_ID: Record<number, FindingRecord['workflow']> = {
  1: 'NEW',
  2: 'NOTIFIED',
  3: 'SUPPRESSED',
  4: 'RESOLVED',
};
const COMPLIANCE_ID: Record<string, number> = { PASSED: 1, WARNING: 2, FAILED: 3, NOT_AVAILABLE: 0 };
const COMPLIANCE_NAME: Record<number, string> = { 0: 'Unknown', 1: 'Pass', 2: 'Warning', 3: 'Fail' };

/** A finding's `metadata.uid` in the new Security Hub: its own id, stable for the record. */
export const metadataUidOf = (f: FindingRecord) =>
  `arn:aws:securityhub:${f.region}:${f.account}:finding/${createHash('sha256').update(f.id).digest('hex').slice(0, 32)}`;

/** The product uid the new Security Hub gives its own (CSPM) findings. */
const productUidOf = (f: FindingRecord) => `arn:aws:securityhub:${f.region}::productv2/aws/securityhub`;

/** A control finding as an OCSF Compliance Finding. */
export function toOcsf(f: FindingRecord, world: SimWorld): Record<string, unknown> {
  const control = CONTROLS[f.control]!;
  const iso = (ms: number) => new Date(ms).toISOString();
  const closed = f.recordState === 'ARCHIVED';
  const complianceId = COMPLIANCE_ID[f.compliance] ?? 0;
  return {
    class_uid: 2003,
    class_name: 'Compliance Finding',
    category_uid: 2,
    category_name: 'Findings',
    type_uid: closed ? 200303 : 200302,
    activity_id: closed ? 3 : 2,
    activity_name: closed ? 'Close' : 'Update',
    severity_id: SEVERITY_ID[f.severity] ?? 1,
    severity: f.severity.charAt(0) + f.severity.slice(1).toLowerCase(),
    status_id: STATUS_ID[f.workflow],
    status: STATUS_NAME[STATUS_ID[f.workflow]],
    time_dt: iso(f.updatedAt),
    metadata: {
      uid: metadataUidOf(f),
      version: '1.6.0',
      product: { uid: productUidOf(f), name: 'Security Hub', vendor_name: 'AWS' },
    },
    finding_info: {
      uid: f.id,
      title: control.title,
      desc: `This control checks whether ${control.title.charAt(0).toLowerCase()}${control.title.slice(1)}.`,
      created_time_dt: iso(f.createdAt),
      first_seen_time_dt: iso(f.createdAt),
      last_seen_time_dt: iso(f.updatedAt),
      modified_time_dt: iso(f.updatedAt),
      types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    },
    cloud: { provider: 'AWS', region: f.region, account: { uid: f.account, type: 'AWS Account' } },
    resources: [{ uid: f.resourceId, type: f.resourceType, region: f.region, cloud_partition: 'aws' }],
    compliance: {
      control: f.control,
      status_id: complianceId,
      status: COMPLIANCE_NAME[complianceId],
      standards: world.standardsOf(f.account, f.control).map((s) => s.id),
      requirements: control.requirements,
    },
    remediation: {
      desc: 'For information on how to correct this issue, consult the AWS Security Hub controls documentation.',
      references: [remediationUrl(f.control)],
    },
  };
}

/** What each OCSF field a filter may name reads from a record (the fields Warden filters on, and a few more). */
const STRING_FIELDS: Record<string, (f: FindingRecord) => string> = {
  activity_name: (f) => (f.recordState === 'ARCHIVED' ? 'Close' : 'Update'),
  'cloud.account.uid': (f) => f.account,
  'cloud.region': (f) => f.region,
  'compliance.control': (f) => f.control,
  'metadata.uid': metadataUidOf,
  status: (f) => STATUS_NAME[STATUS_ID[f.workflow]]!,
};
const DATE_FIELDS: Record<string, (f: FindingRecord) => number> = {
  'finding_info.modified_time_dt': (f) => f.updatedAt,
  'finding_info.created_time_dt': (f) => f.createdAt,
};
const COMPARE: Record<string, (v: string, x: string) => boolean> = {
  EQUALS: (v, x) => v === x,
  NOT_EQUALS: (v, x) => v !== x,
  PREFIX: (v, x) => v.startsWith(x),
  PREFIX_NOT_EQUALS: (v, x) => !v.startsWith(x),
  CONTAINS: (v, x) => v.includes(x),
  NOT_CONTAINS: (v, x) => !v.includes(x),
};

const invalid = (message: string) => new SimError('ValidationException', message, 400);

type Composite = {
  StringFilters?: Array<{ FieldName?: string; Filter?: { Value?: string; Comparison?: string } }>;
  DateFilters?: Array<{ FieldName?: string; Filter?: { Start?: string; End?: string } }>;
  NestedCompositeFilters?: Composite[];
  Operator?: string;
};

/** A predicate from `OcsfFindingFilters`: within a composite filter, its filters are ANDed unless it says OR. */
function compile(raw: unknown): (f: FindingRecord) => boolean {
  const filters = (raw ?? {}) as { CompositeFilters?: Composite[]; CompositeOperator?: string };
  const composites = filters.CompositeFilters ?? [];
  if (composites.length > PAGE_LIMITS.securityHubV2CompositeFilters)
    throw invalid(`Filters may hold at most ${PAGE_LIMITS.securityHubV2CompositeFilters} composite filters`);
  const one = (c: Composite): ((f: FindingRecord) => boolean) => {
    for (const list of [c.StringFilters, c.DateFilters])
      if ((list?.length ?? 0) > PAGE_LIMITS.securityHubV2FiltersPerType)
        throw invalid(
          `A composite filter may hold at most ${PAGE_LIMITS.securityHubV2FiltersPerType} filters of a type`,
        );
    const tests: Array<(f: FindingRecord) => boolean> = [];
    for (const s of c.StringFilters ?? []) {
      const read = STRING_FIELDS[s.FieldName ?? ''];
      const cmp = COMPARE[s.Filter?.Comparison ?? ''];
      if (!read) throw invalid(`Unsupported string filter field ${s.FieldName}`);
      if (!cmp || typeof s.Filter?.Value !== 'string')
        throw invalid(`Invalid string filter on ${s.FieldName}`);
      tests.push((f) => cmp(read(f), s.Filter!.Value!));
    }
    for (const d of c.DateFilters ?? []) {
      const read = DATE_FIELDS[d.FieldName ?? ''];
      if (!read) throw invalid(`Unsupported date filter field ${d.FieldName}`);
      const start = d.Filter?.Start ? Date.parse(d.Filter.Start) : Number.NEGATIVE_INFINITY;
      const end = d.Filter?.End ? Date.parse(d.Filter.End) : Number.POSITIVE_INFINITY;
      if (Number.isNaN(start) || Number.isNaN(end)) throw invalid(`Invalid date filter on ${d.FieldName}`);
      tests.push((f) => read(f) >= start && read(f) <= end);
    }
    tests.push(...(c.NestedCompositeFilters ?? []).map(one));
    return c.Operator === 'OR' ? (f) => tests.some((t) => t(f)) : (f) => tests.every((t) => t(f));
  };
  const all = composites.map(one);
  return filters.CompositeOperator === 'OR' ? (f) => all.some((t) => t(f)) : (f) => all.every((t) => t(f));
}

function requireHubV2(ctx: CallContext): void {
  if (!ctx.world.scenario.securityHub?.v2)
    throw new SimError('ResourceNotFoundException', 'Security Hub is not enabled for this account', 404);
}

/** The findings the caller reads: the delegated administrator's organization, or its own account. */
function* readable(ctx: CallContext, within?: Set<string>): Iterable<FindingRecord> {
  const isAdmin = ctx.world.scenario.securityHub?.adminAccountId === ctx.caller.account;
  for (const f of ctx.world.allFindings())
    if ((isAdmin || f.account === ctx.caller.account) && (!within || within.has(f.account))) yield f;
}

/**
 * The accounts `Scopes.AwsOrganizations` names (entries ORed): an OU's accounts, those of the OUs
 * below it included, or the whole organization. Only the delegated administrator may scope.
 */
function scopedAccounts(ctx: CallContext): Set<string> | undefined {
  const entries = (ctx.params.Scopes as { AwsOrganizations?: unknown[] } | undefined)?.AwsOrganizations;
  if (entries === undefined) return undefined;
  const { scenario } = ctx.world;
  if (scenario.securityHub?.adminAccountId !== ctx.caller.account)
    throw new SimError(
      'AccessDeniedException',
      'Only the delegated administrator account can use Scopes',
      403,
    );
  if (!Array.isArray(entries) || entries.length > PAGE_LIMITS.securityHubV2Scopes)
    throw invalid(`Scopes.AwsOrganizations may hold at most ${PAGE_LIMITS.securityHubV2Scopes} entries`);
  const parentOf = new Map(scenario.ous.map((o) => [o.id, o.parent]));
  const ancestors = (id: string) => {
    const ids: string[] = [];
    for (let at: string | undefined = id; at; at = parentOf.get(at)) ids.push(at);
    return ids;
  };
  const out = new Set<string>();
  for (const raw of entries) {
    const e = (raw ?? {}) as { OrganizationId?: string; OrganizationalUnitId?: string };
    if (e.OrganizationId && e.OrganizationId !== scenario.organizationId)
      throw invalid(`Organization ${e.OrganizationId} is not the delegated administrator's organization`);
    const ou = e.OrganizationalUnitId;
    if (ou && !parentOf.has(ou) && ou !== scenario.rootId)
      throw invalid(`Organizational unit ${ou} is not in the delegated administrator's organization`);
    for (const a of scenario.accounts) if (!ou || ancestors(a.parent).includes(ou)) out.add(a.id);
  }
  return out;
}

/** `securityhub:OCSFSyntaxPath/<field>` for each field a BatchUpdateFindingsV2 request sets. */
export function ocsfContext(params: Record<string, unknown>): ConditionContext {
  return Object.fromEntries(
    ['SeverityId', 'StatusId', 'Comment'].map((field) => [
      `securityhub:OCSFSyntaxPath/${field}`,
      params[field] === undefined ? undefined : JSON.stringify(params[field]),
    ]),
  );
}

export const securityhubV2: Record<string, Handler> = {
  DescribeSecurityHubV2(ctx) {
    requireHubV2(ctx);
    return {
      HubV2Arn: `arn:aws:securityhub:${ctx.region}:${ctx.caller.account}:hubv2/${ctx.caller.account}`,
      SubscribedAt: '2025-12-02T10:00:00.000Z',
    };
  },
  GetFindingsV2(ctx) {
    requireHubV2(ctx);
    const max = Number(ctx.params.MaxResults ?? PAGE_LIMITS.securityHubV2MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > PAGE_LIMITS.securityHubV2MaxResults)
      throw invalid(`MaxResults must be between 1 and ${PAGE_LIMITS.securityHubV2MaxResults}`);
    const { page, next } = findingPage(
      readable(ctx, scopedAccounts(ctx)),
      compile(ctx.params.Filters),
      ctx.params.NextToken,
      max,
      () => invalid('Invalid NextToken'),
    );
    return { Findings: page.map((f) => toOcsf(f, ctx.world)), NextToken: next };
  },
  BatchUpdateFindingsV2(ctx) {
    requireHubV2(ctx);
    const uids = ctx.params.MetadataUids as string[] | undefined;
    const identifiers = ctx.params.FindingIdentifiers as unknown[] | undefined;
    if ((uids === undefined) === (identifiers === undefined))
      throw invalid('Specify either MetadataUids or FindingIdentifiers, not both');
    const targets = uids ?? [];
    if (identifiers !== undefined) throw invalid('The simulator takes MetadataUids only');
    if (targets.length < 1 || targets.length > PAGE_LIMITS.securityHubBatchUpdate)
      throw invalid(`MetadataUids must hold 1 to ${PAGE_LIMITS.securityHubBatchUpdate} findings`);
    const comment = ctx.params.Comment;
    if (
      comment !== undefined &&
      (typeof comment !== 'string' || comment.length < 1 || comment.length > PAGE_LIMITS.securityHubV2Comment)
    )
      throw invalid(`Comment must be 1 to ${PAGE_LIMITS.securityHubV2Comment} characters`);
    const statusId = ctx.params.StatusId;
    if (statusId !== undefined && !WORKFLOW_OF_STATUS_ID[Number(statusId)])
      throw invalid(`Invalid StatusId ${String(statusId)}`);
    const byUid = new Map<string, FindingRecord>();
    for (const f of readable(ctx)) byUid.set(metadataUidOf(f), f);
    const processed: Array<{ MetadataUid: string }> = [];
    const unprocessed: Array<{ MetadataUid: string; ErrorCode: string; ErrorMessage: string }> = [];
    for (const uid of targets) {
      const f = byUid.get(uid);
      if (!f) {
        unprocessed.push({
          MetadataUid: uid,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: 'Finding not found',
        });
        continue;
      }
      // Like BatchUpdateFindings, it does not move the finding's modified time (FACTS.md §8).
      if (statusId !== undefined) f.workflow = WORKFLOW_OF_STATUS_ID[Number(statusId)]!;
      if (typeof comment === 'string')
        f.note = {
          Text: comment,
          UpdatedBy: ctx.caller.arn,
          UpdatedAt: new Date(ctx.world.now()).toISOString(),
        };
      ctx.world.changed(f);
      processed.push({ MetadataUid: uid });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  },
};

/** The new Security Hub's REST routes (the SDK's paths). */
export const V2_ROUTES: Record<string, string> = {
  'GET /hubv2': 'DescribeSecurityHubV2',
  'POST /findingsv2': 'GetFindingsV2',
  'PATCH /findingsv2/batchupdatev2': 'BatchUpdateFindingsV2',
};

/** The IAM action each V2 call needs, where it is not `securityhub:<operation>` (FACTS.md §8). */
export const V2_ACTIONS: Record<string, string> = {
  GetFindingsV2: 'securityhub:GetFindings',
  BatchUpdateFindingsV2: 'securityhub:BatchUpdateFindings',
};
