import { PAGE_LIMITS } from '../../aws/quotas.js';
import { CONTROLS, remediationUrl } from '../controls.js';
import { SimError } from '../protocol.js';
import { pathOf, standardArn, standardControlArn, standardControls, subscriptionArn } from '../standards.js';
import type { FindingRecord, SimWorld } from '../world.js';
import type { CallContext, Handler } from './context.js';
import { findingPage } from './finding-pages.js';
import { securityhubV2, V2_ROUTES } from './securityhub-v2.js';

/** `Compliance.RelatedRequirements` holds at most 32 items (API reference, Compliance). */
const MAX_RELATED_REQUIREMENTS = 32;

const NORMALIZED: Record<string, number> = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 40, HIGH: 70, CRITICAL: 90 };

const describe = (title: string) =>
  `This control checks whether ${title.charAt(0).toLowerCase()}${title.slice(1)}.`;

/**
 * The ASFF a control finding is served as (FACTS.md §5, consolidated control findings):
 * `Compliance.AssociatedStandards` names the account's enabled standards in which the control is
 * enabled, and `RelatedRequirements` the control's requirements (at most 32, as the API allows).
 */
export function toAsff(f: FindingRecord, world: SimWorld) {
  const control = CONTROLS[f.control]!;
  const iso = (ms: number) => new Date(ms).toISOString();
  const copy = f.standardCopy;
  // A per-standard copy names only its standard, and only that standard's requirements.
  const requirements = copy?.standard.requirementPrefix
    ? control.requirements.filter((r) => r.startsWith(copy.standard.requirementPrefix!))
    : copy
      ? []
      : control.requirements;
  const associated = copy ? [copy.standard] : world.standardsOf(f.account, f.control);
  return {
    SchemaVersion: '2018-10-08',
    Id: f.id,
    ProductArn: f.productArn,
    ProductName: 'Security Hub',
    CompanyName: 'AWS',
    Region: f.region,
    GeneratorId: generatorIdOf(f),
    AwsAccountId: f.account,
    Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
    FirstObservedAt: iso(f.createdAt),
    LastObservedAt: iso(f.updatedAt),
    CreatedAt: iso(f.createdAt),
    UpdatedAt: iso(f.updatedAt),
    Severity: { Label: f.severity, Normalized: NORMALIZED[f.severity], Original: f.severity },
    Title: control.title,
    Description: describe(control.title),
    Remediation: {
      Recommendation: {
        Text: 'For information on how to correct this issue, consult the AWS Security Hub controls documentation.',
        Url: remediationUrl(f.control),
      },
    },
    ProductFields: {
      ...(copy ? standardFields(copy, f) : {}),
      'aws/securityhub/ProductName': 'Security Hub',
      'aws/securityhub/CompanyName': 'AWS',
      'aws/securityhub/FindingId': `${f.productArn}/${f.id}`,
    },
    Resources: [{ Type: f.resourceType, Id: f.resourceId, Partition: 'aws', Region: f.region }],
    Compliance: {
      Status: f.compliance,
      ...(copy?.legacy ? {} : { SecurityControlId: f.control }),
      ...(requirements.length
        ? { RelatedRequirements: requirements.slice(0, MAX_RELATED_REQUIREMENTS) }
        : {}),
      AssociatedStandards: associated.map((s) => ({ StandardsId: s.id })),
    },
    WorkflowState: 'NEW',
    Workflow: { Status: f.workflow },
    RecordState: f.recordState,
    Note: f.note,
    FindingProviderFields: {
      Severity: { Label: f.severity, Original: f.severity },
      Types: ['Software and Configuration Checks'],
    },
  };
}

/**
 * A control finding's GeneratorId: `security-control/IAM.4` when consolidated; a per-standard copy's is
 * its standard's path and own control id (`aws-foundational-security-best-practices/v/1.0.0/IAM.4`),
 * CIS v1.2.0's its rule's ARN (`arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.12`).
 */
export function generatorIdOf(f: FindingRecord): string {
  const copy = f.standardCopy;
  if (!copy) return `security-control/${f.control}`;
  if (copy.standard.id.startsWith('ruleset/'))
    return `${standardArn(copy.standard, f.region)}/rule/${copy.controlId}`;
  return `${pathOf(copy.standard)}/${copy.controlId}`;
}

/** What a per-standard copy's ProductFields say of its standard (CIS v1.2.0 names a guide and a rule). */
function standardFields(copy: NonNullable<FindingRecord['standardCopy']>, f: FindingRecord) {
  const s = copy.standard;
  return s.id.startsWith('ruleset/')
    ? {
        StandardsGuideArn: standardArn(s, f.region),
        StandardsGuideSubscriptionArn: subscriptionArn(s, f.account, f.region),
        RuleId: copy.controlId,
      }
    : {
        StandardsArn: standardArn(s, f.region),
        StandardsSubscriptionArn: subscriptionArn(s, f.account, f.region),
        ControlId: copy.controlId,
        StandardsControlArn: standardControlArn(s, f.account, f.region, copy.controlId),
      };
}

type StringFilter = { Value?: string; Comparison?: string };
type DateFilter = { Start?: string; End?: string; DateRange?: { Value?: number; Unit?: string } };

const STRING_FIELDS: Record<string, (f: FindingRecord) => string> = {
  Id: (f) => f.id,
  ProductArn: (f) => f.productArn,
  AwsAccountId: (f) => f.account,
  Region: (f) => f.region,
  GeneratorId: generatorIdOf,
  ComplianceSecurityControlId: (f) => (f.standardCopy?.legacy ? '' : f.control),
  ComplianceStatus: (f) => f.compliance,
  RecordState: (f) => f.recordState,
  WorkflowStatus: (f) => f.workflow,
  SeverityLabel: (f) => f.severity,
  ResourceType: (f) => f.resourceType,
  ResourceId: (f) => f.resourceId,
  Title: (f) => CONTROLS[f.control]!.title,
};
const DATE_FIELDS: Record<string, (f: FindingRecord) => number> = {
  UpdatedAt: (f) => f.updatedAt,
  CreatedAt: (f) => f.createdAt,
  FirstObservedAt: (f) => f.createdAt,
  LastObservedAt: (f) => f.updatedAt,
};

const POSITIVE: Record<string, (v: string, x: string) => boolean> = {
  EQUALS: (v, x) => v === x,
  PREFIX: (v, x) => v.startsWith(x),
  CONTAINS: (v, x) => v.includes(x),
  CONTAINS_WORD: (v, x) => v.split(/\W+/).includes(x),
};
const NEGATIVE: Record<string, (v: string, x: string) => boolean> = {
  NOT_EQUALS: (v, x) => v !== x,
  PREFIX_NOT_EQUALS: (v, x) => !v.startsWith(x),
  NOT_CONTAINS: (v, x) => !v.includes(x),
};

/**
 * Builds a predicate from GetFindings `Filters` with Security Hub's semantics: within one field,
 * positive comparisons are ORed and negative ones ANDed; fields are ANDed together.
 */
export function compileFilters(filters: Record<string, unknown>, now: number): (f: FindingRecord) => boolean {
  const tests: Array<(f: FindingRecord) => boolean> = [];
  for (const [field, raw] of Object.entries(filters ?? {})) {
    if (!Array.isArray(raw) || raw.length === 0) continue;
    if (raw.length > PAGE_LIMITS.securityHubFilterValues)
      throw new SimError('InvalidInputException', `Filter ${field} has more than 20 values`, 400);
    const str = STRING_FIELDS[field];
    const date = DATE_FIELDS[field];
    if (str) {
      const pos = (raw as StringFilter[]).filter((c) => POSITIVE[c.Comparison ?? '']);
      const neg = (raw as StringFilter[]).filter((c) => NEGATIVE[c.Comparison ?? '']);
      if (pos.length + neg.length !== raw.length) {
        throw new SimError('InvalidInputException', `Invalid Comparison in filter ${field}`, 400);
      }
      tests.push((f) => {
        const v = str(f);
        return (
          (pos.length === 0 || pos.some((c) => POSITIVE[c.Comparison!]!(v, String(c.Value)))) &&
          neg.every((c) => NEGATIVE[c.Comparison!]!(v, String(c.Value)))
        );
      });
    } else if (date) {
      const ranges = (raw as DateFilter[]).map((d) => {
        if (d.DateRange)
          return { start: now - Number(d.DateRange.Value) * 86_400_000, end: Number.POSITIVE_INFINITY };
        return {
          start: d.Start ? Date.parse(d.Start) : Number.NEGATIVE_INFINITY,
          end: d.End ? Date.parse(d.End) : Number.POSITIVE_INFINITY,
        };
      });
      tests.push((f) => ranges.some((r) => date(f) >= r.start && date(f) <= r.end));
    } else {
      throw new SimError(
        'InvalidInputException',
        `The simulator does not support filtering on ${field}`,
        400,
      );
    }
  }
  return (f) => tests.every((t) => t(f));
}

function requireHub(ctx: CallContext): void {
  const account = ctx.world.account(ctx.caller.account);
  if (!account || account.spec.securityHubDisabledIn?.includes(ctx.region)) {
    throw new SimError(
      'InvalidAccessException',
      `Account ${ctx.caller.account} is not subscribed to AWS Security Hub in region ${ctx.region}`,
      401,
    );
  }
}

/** The findings a caller may read in a region: its own, or every member's for the administrator (all linked regions in the aggregation region). */
function* visible(ctx: CallContext): Iterable<FindingRecord> {
  const { world, caller, region } = ctx;
  const hub = world.scenario.securityHub;
  const isAdmin = hub?.adminAccountId === caller.account;
  if (isAdmin && hub?.aggregationRegion === region) {
    yield* world.allFindings();
  } else if (isAdmin) {
    for (const f of world.allFindings()) if (f.region === region) yield f;
  } else {
    yield* world.findings.get(`${caller.account}|${region}`) ?? [];
  }
}

/** MaxResults of the standards calls: absent, or 1–100 (InvalidInputException otherwise). */
function standardsPageSize(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return PAGE_LIMITS.securityHubStandardsMaxResults;
  const max = Number(raw);
  if (!Number.isInteger(max) || max < 1 || max > PAGE_LIMITS.securityHubStandardsMaxResults) {
    throw new SimError('InvalidInputException', 'MaxResults must be between 1 and 100', 400);
  }
  return max;
}

/** A page of `items` from an offset NextToken, as GetFindings pages. */
function pageOf<T>(items: T[], rawToken: unknown, max: number): { page: T[]; next: string | undefined } {
  const start = rawToken ? Number(Buffer.from(String(rawToken), 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new SimError('InvalidInputException', 'Invalid NextToken', 400);
  const page = items.slice(start, start + max);
  const end = start + page.length;
  return { page, next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}

export const securityhub: Record<string, Handler> = {
  ...securityhubV2,
  GetEnabledStandards(ctx) {
    requireHub(ctx);
    const max = standardsPageSize(ctx.params.MaxResults);
    const wanted = ctx.params.StandardsSubscriptionArns as unknown;
    if (
      wanted !== undefined &&
      (!Array.isArray(wanted) || wanted.length < 1 || wanted.length > PAGE_LIMITS.securityHubSubscriptionArns)
    ) {
      throw new SimError('InvalidInputException', 'StandardsSubscriptionArns must hold 1 to 25 ARNs', 400);
    }
    const { account } = ctx.caller;
    const subscriptions = ctx.world
      .enabledStandards(account)
      .map((s) => ({
        StandardsSubscriptionArn: subscriptionArn(s, account, ctx.region),
        StandardsArn: standardArn(s, ctx.region),
        StandardsInput: {},
        StandardsStatus: 'READY',
        StandardsControlsUpdatable: 'READY_FOR_UPDATES',
      }))
      .filter((sub) => !wanted || (wanted as string[]).includes(sub.StandardsSubscriptionArn));
    const { page, next } = pageOf(subscriptions, ctx.params.NextToken, max);
    return { StandardsSubscriptions: page, NextToken: next };
  },
  DescribeStandardsControls(ctx) {
    requireHub(ctx);
    const arn = decodeURIComponent(ctx.path.slice(STANDARDS_CONTROLS_PATH.length));
    const { account } = ctx.caller;
    const standard = ctx.world
      .enabledStandards(account)
      .find((s) => subscriptionArn(s, account, ctx.region) === arn);
    if (!standard) {
      throw new SimError('ResourceNotFoundException', `Subscription ${arn} not found`, 404);
    }
    const max = standardsPageSize(ctx.query.get('MaxResults') ?? undefined);
    const controls = standardControls(standard).map(({ controlId, securityControlId }) => {
      const control = CONTROLS[securityControlId]!;
      const disabled = ctx.world.disabledReason(account, standard, controlId);
      return {
        StandardsControlArn: standardControlArn(standard, account, ctx.region, controlId),
        ControlStatus: disabled === undefined ? 'ENABLED' : 'DISABLED',
        ...(disabled === undefined ? {} : { DisabledReason: disabled }),
        ControlStatusUpdatedAt: new Date(ctx.world.now() - 30 * 86_400_000).toISOString(),
        ControlId: controlId,
        Title: control.title,
        Description: describe(control.title),
        RemediationUrl: remediationUrl(securityControlId),
        SeverityRating: control.severity,
        RelatedRequirements: standard.requirementPrefix
          ? control.requirements.filter((r) => r.startsWith(standard.requirementPrefix!))
          : [],
      };
    });
    const { page, next } = pageOf(controls, ctx.query.get('NextToken'), max);
    return { Controls: page, NextToken: next };
  },
  DescribeHub(ctx) {
    requireHub(ctx);
    return {
      HubArn: `arn:aws:securityhub:${ctx.region}:${ctx.caller.account}:hub/default`,
      SubscribedAt: '2024-01-15T10:00:00.000Z',
      AutoEnableControls: true,
      ControlFindingGenerator: 'SECURITY_CONTROL',
    };
  },
  GetFindings(ctx) {
    requireHub(ctx);
    const max = Number(ctx.params.MaxResults ?? PAGE_LIMITS.securityHubMaxResults);
    if (!Number.isInteger(max) || max < 1 || max > PAGE_LIMITS.securityHubMaxResults) {
      throw new SimError('InvalidInputException', 'MaxResults must be between 1 and 100', 400);
    }
    const matches = compileFilters(ctx.params.Filters as Record<string, unknown>, ctx.world.now());
    const { page, next } = findingPage(
      visible(ctx),
      matches,
      ctx.params.NextToken,
      max,
      () => new SimError('InvalidInputException', 'Invalid NextToken', 400),
    );
    return { Findings: page.map((f) => toAsff(f, ctx.world)), NextToken: next };
  },
  BatchUpdateFindings(ctx) {
    requireHub(ctx);
    const ids = (ctx.params.FindingIdentifiers ?? []) as Array<{ Id?: string; ProductArn?: string }>;
    if (ids.length < 1 || ids.length > PAGE_LIMITS.securityHubBatchUpdate) {
      throw new SimError('InvalidInputException', 'FindingIdentifiers must hold 1 to 100 findings', 400);
    }
    const note = ctx.params.Note as { Text?: string; UpdatedBy?: string } | undefined;
    if (note && (!note.Text || note.Text.length > PAGE_LIMITS.securityHubNoteText || !note.UpdatedBy)) {
      throw new SimError(
        'InvalidInputException',
        'Note.Text must be 1-512 characters and Note.UpdatedBy is required',
        400,
      );
    }
    const workflow = (ctx.params.Workflow as { Status?: string } | undefined)?.Status;
    if (workflow && !['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'].includes(workflow)) {
      throw new SimError('InvalidInputException', `Invalid Workflow.Status ${workflow}`, 400);
    }
    const isAdmin = ctx.world.scenario.securityHub?.adminAccountId === ctx.caller.account;
    const processed: Array<{ Id: string; ProductArn: string }> = [];
    const unprocessed: Array<{
      FindingIdentifier: { Id?: string; ProductArn?: string };
      ErrorCode: string;
      ErrorMessage: string;
    }> = [];
    for (const ident of ids) {
      const f = ident.Id ? ctx.world.findFinding(ident.Id) : undefined;
      if (!f || f.productArn !== ident.ProductArn || (!isAdmin && f.account !== ctx.caller.account)) {
        unprocessed.push({
          FindingIdentifier: ident,
          ErrorCode: 'FindingNotFound',
          ErrorMessage: 'Finding Not Found',
        });
        continue;
      }
      // BatchUpdateFindings does not change UpdatedAt (FACTS.md §5).
      if (workflow) f.workflow = workflow as FindingRecord['workflow'];
      if (note)
        f.note = {
          Text: note.Text!,
          UpdatedBy: note.UpdatedBy!,
          UpdatedAt: new Date(ctx.world.now()).toISOString(),
        };
      ctx.world.changed(f);
      processed.push({ Id: f.id, ProductArn: f.productArn });
    }
    return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
  },
};

/** Security Hub's REST routes, CSPM's and the new Security Hub's: method and path → operation. */
const ROUTES: Record<string, string> = {
  'GET /accounts': 'DescribeHub',
  'POST /findings': 'GetFindings',
  'PATCH /findings/batchupdate': 'BatchUpdateFindings',
  'POST /standards/get': 'GetEnabledStandards',
  ...V2_ROUTES,
};

/** The path DescribeStandardsControls puts the subscription ARN after (a greedy label). */
const STANDARDS_CONTROLS_PATH = '/standards/controls/';

/** The operation a REST request names; an unknown route is named by method and path. */
export function securityHubOperation(method: string, path: string): string {
  if (method === 'GET' && path.startsWith(STANDARDS_CONTROLS_PATH)) return 'DescribeStandardsControls';
  return ROUTES[`${method} ${path.replace(/\/+$/, '') || '/'}`] ?? `${method} ${path}`;
}
