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
 * Evaluated: Allow and Deny by action (with `*` wildcards), an explicit Deny winning. Not evaluated:
 * resources and conditions. An Allow with a condition counts as allowing; a Deny with a condition
 * (the remediation role denies Security Hub fields other than workflow and note) is not applied.
 */
interface Statement {
  Effect: string;
  Action: string | string[];
  Condition?: unknown;
}

interface Policy {
  Statement: Statement[];
}

/** Calls any principal may make (AWS allows GetCallerIdentity without a policy). */
const ALWAYS_ALLOWED = new Set(['sts:GetCallerIdentity']);

const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

function allows(policy: Policy, action: string): boolean {
  const hits = policy.Statement.filter((s) => [s.Action].flat().some((pattern) => matches(pattern, action)));
  if (hits.some((s) => s.Effect === 'Deny' && s.Condition === undefined)) return false;
  return hits.some((s) => s.Effect === 'Allow');
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
): void {
  const action = `${service}:${operation}`;
  if (ALWAYS_ALLOWED.has(action)) return;
  const denied = !allows(policyOf(caller, scenario), action) || (writesDenied && isWrite(operation));
  if (!denied) return;
  const code = service === 'iam' || service === 'sts' ? 'AccessDenied' : 'AccessDeniedException';
  throw new SimError(
    code,
    `User: ${caller.arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
    403,
  );
}
