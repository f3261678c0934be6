import auditPolicy from '../../deploy/audit-role-policy.json' with { type: 'json' };
import remediationPolicy from '../../deploy/remediation-role-policy.json' with { type: 'json' };
import triagePolicy from '../../deploy/triage-role-policy.json' with { type: 'json' };
import callerPolicy from '../../deploy/warden-caller-policy.json' with { type: 'json' };
import { SimError } from './protocol.js';
import type { Scenario } from './scenario.js';
import type { IssuedCredentials } from './world.js';

/**
 * The simulator enforces the IAM policies Warden ships in deploy/, as AWS would: the audit role can
 * only read, the remediation role can only make the writes it lists, the management caller can only
 * discover the organization and assume the two roles. A call the policy does not allow is refused
 * with AccessDenied, so a test catches Warden writing through the wrong role, and a playbook that
 * needs a permission the policy lacks.
 *
 * Evaluated: Allow and Deny by action and resource (with `*` wildcards; a call on no particular
 * resource needs a statement on "*"), an explicit Deny winning, and a Deny's `Null` and
 * `StringEquals` conditions on the keys a call carries: `s3:if-none-match`, BatchUpdateFindings'
 * `securityhub:ASFFSyntaxPath/<field>`, an IAM user's `iam:ResourceTag/<key>`. An Allow with a
 * condition counts as allowing; a Deny with a condition the simulator cannot evaluate is not applied.
 */
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

/** Condition keys a call carries (undefined: absent from the request). */
export type ConditionContext = Record<string, string | undefined>;

/** The fields BatchUpdateFindings may update (Security Hub's user guide), as ASFF syntax paths. */
export const BATCH_UPDATE_FIELDS = [
  'Confidence',
  'Criticality',
  'Note.Text',
  'Note.UpdatedBy',
  'RelatedFindings.Id',
  'RelatedFindings.ProductArn',
  'Severity.Label',
  'Severity.Normalized',
  'Severity.Product',
  'Types',
  'UserDefinedFields',
  'VerificationState',
  'Workflow.Status',
] as const;

/** `securityhub:ASFFSyntaxPath/<field>` for each field, set when the BatchUpdateFindings request carries it. */
export function asffContext(params: Record<string, unknown>): ConditionContext {
  const at = (path: string): unknown =>
    path.split('.').reduce<unknown>((v, key) => {
      const inner = Array.isArray(v) ? v[0] : v;
      return inner && typeof inner === 'object' ? (inner as Record<string, unknown>)[key] : undefined;
    }, params);
  return Object.fromEntries(
    BATCH_UPDATE_FIELDS.map((path) => {
      const value = at(path);
      return [`securityhub:ASFFSyntaxPath/${path}`, value === undefined ? undefined : JSON.stringify(value)];
    }),
  );
}

interface Policy {
  Statement: Statement[];
}

/** Calls any principal may make (AWS allows GetCallerIdentity without a policy). */
const ALWAYS_ALLOWED = new Set(['sts:GetCallerIdentity']);

const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

/** Whether a condition holds for the call: undefined when it names an operator or key the simulator does not know. */
function conditionHolds(condition: Statement['Condition'], context: ConditionContext): boolean | undefined {
  if (condition === undefined) return true;
  const results = Object.entries(condition).flatMap(([operator, keys]) =>
    Object.entries(keys).map(([key, value]) =>
      !(key in context)
        ? undefined
        : operator === 'Null'
          ? (context[key] === undefined) === (value === 'true')
          : operator === 'StringEquals'
            ? context[key] === value
            : undefined,
    ),
  );
  return results.includes(undefined) ? undefined : results.every(Boolean);
}

/** Whether a statement names the resource (a call on no particular resource needs "*"). */
function covers(s: Statement, resource: string | undefined): boolean {
  const patterns = [s.Resource ?? '*'].flat();
  return resource === undefined ? patterns.includes('*') : patterns.some((p) => matches(p, resource));
}

/** Whether the policy allows the action on the resource; `explicit` when a Deny refused it. */
function decide(
  policy: Policy,
  action: string,
  resource: string | undefined,
  context: ConditionContext,
): 'allow' | 'implicit' | 'explicit' {
  const hits = policy.Statement.filter(
    (s) => [s.Action].flat().some((pattern) => matches(pattern, action)) && covers(s, resource),
  );
  if (hits.some((s) => s.Effect === 'Deny' && conditionHolds(s.Condition, context) === true))
    return 'explicit';
  return hits.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit';
}

/** Whether the caller's policy allows one action (S3 shows retention only to whoever may read it). */
export function mayPerform(
  caller: IssuedCredentials,
  scenario: Scenario,
  action: string,
  resource: string,
): boolean {
  return decide(policyOf(caller, scenario), action, resource, {}) === 'allow';
}

/** The policy attached to whoever signed a call. */
function policyOf(caller: IssuedCredentials, scenario: Scenario): Policy {
  if (caller.roleName === scenario.roles.audit.name) return auditPolicy;
  if (caller.roleName === scenario.roles.remediation.name) return remediationPolicy;
  if (caller.roleName === scenario.roles.triage.name) return triagePolicy;
  return callerPolicy;
}

/** Operations that change nothing in an account (every other one does). */
const READ_ONLY = /^(Get|List|Describe|Generate|AssumeRole$)/;
const isWrite = (operation: string) => !READ_ONLY.test(operation);

/** Throws AccessDenied, worded as AWS words it, when the caller's policy does not allow `service:operation`. */
export function authorize(
  caller: IssuedCredentials,
  scenario: Scenario,
  service: string,
  operation: string,
  writesDenied: boolean,
  /** The IAM actions the call needs when they are not `service:operation` (S3), its resource and condition keys. */
  options: { actions?: string[]; resource?: string; context?: ConditionContext } = {},
): void {
  for (const action of options.actions ?? [`${service}:${operation}`]) {
    if (ALWAYS_ALLOWED.has(action)) continue;
    const missing =
      caller.roleName === scenario.roles.audit.name && scenario.roles.audit.missingActions?.includes(action);
    const decision = missing
      ? 'implicit'
      : decide(policyOf(caller, scenario), action, options.resource, options.context ?? {});
    if (decision === 'allow' && !(writesDenied && isWrite(operation))) continue;
    const code =
      service === 'iam' || service === 'sts' || service === 's3' ? 'AccessDenied' : 'AccessDeniedException';
    const on = options.resource ? ` on resource: ${resourceAsNamed(service, options.resource)}` : '';
    // SQS names the action in lower case (SQS_ACCESS_DENIED); the others as their policies do.
    const named = service === 'sqs' ? action.toLowerCase() : action;
    const why =
      decision === 'explicit'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${named} action`;
    throw new SimError(code, `User: ${caller.arn} is not authorized to perform: ${named}${on} ${why}`, 403);
  }
}

/** How each service names a resource in its AccessDenied message: S3 quotes the ARN, IAM says `user <name>`. */
function resourceAsNamed(service: string, arn: string): string {
  if (service === 's3') return `"${arn}"`;
  const user = /:user\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  return service === 'iam' && user ? `user ${user}` : arn;
}
