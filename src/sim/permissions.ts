import auditPolicy from '../../deploy/audit-role-policy.json' with { type: 'json' };
import remediationPolicy from '../../deploy/remediation-role-policy.json' with { type: 'json' };
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
 * Evaluated: Allow and Deny by action (with `*` wildcards), an explicit Deny winning, and a Deny's
 * `Null` condition on a key the call carries (`s3:if-none-match`). Not evaluated: resources and
 * other conditions. An Allow with a condition counts as allowing; a Deny with a condition the
 * simulator cannot evaluate (the remediation role denies Security Hub fields other than workflow and
 * note) is not applied.
 */
interface Statement {
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

/** Condition keys a call carries (undefined: absent from the request). */
export type ConditionContext = Record<string, string | undefined>;

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
      operator === 'Null' && key in context ? (context[key] === undefined) === (value === 'true') : undefined,
    ),
  );
  return results.includes(undefined) ? undefined : results.every(Boolean);
}

/** Whether the policy allows the action; `explicit` when a Deny refused it. */
function decide(
  policy: Policy,
  action: string,
  context: ConditionContext,
): 'allow' | 'implicit' | 'explicit' {
  const hits = policy.Statement.filter((s) => [s.Action].flat().some((pattern) => matches(pattern, action)));
  if (hits.some((s) => s.Effect === 'Deny' && conditionHolds(s.Condition, context) === true))
    return 'explicit';
  return hits.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit';
}

/** Whether the caller's policy allows one action (S3 shows retention only to whoever may read it). */
export function mayPerform(caller: IssuedCredentials, scenario: Scenario, action: string): boolean {
  return decide(policyOf(caller, scenario), action, {}) === 'allow';
}

/** The policy attached to whoever signed a call. */
function policyOf(caller: IssuedCredentials, scenario: Scenario): Policy {
  if (caller.roleName === scenario.roles.audit.name) return auditPolicy;
  if (caller.roleName === scenario.roles.remediation.name) return remediationPolicy;
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
    const decision = decide(policyOf(caller, scenario), action, options.context ?? {});
    if (decision === 'allow' && !(writesDenied && isWrite(operation))) continue;
    const code =
      service === 'iam' || service === 'sts' || service === 's3' ? 'AccessDenied' : 'AccessDeniedException';
    const on = options.resource ? ` on resource: "${options.resource}"` : '';
    const why =
      decision === 'explicit'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${action} action`;
    throw new SimError(code, `User: ${caller.arn} is not authorized to perform: ${action}${on} ${why}`, 403);
  }
}
