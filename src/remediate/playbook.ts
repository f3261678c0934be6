import type { z } from 'zod';
import type { IamCalls, SecurityHubCalls } from '../aws/clients.js';
import type { PlannedCall } from '../aws/remediation-calls.js';
import type { Config } from '../config.js';
import type { Finding } from '../db/schema.js';
import { WardenError } from '../errors.js';
import { WARDEN_GENERATOR } from '../findings/checks.js';

export type { PlannedCall };

/**
 * A remediation playbook: what it fixes, the exact IAM permissions it needs, whether it can be
 * undone, its input, and
 * - `prepare`: reads (with the read-only audit role) what the plan needs, e.g. which access key the
 *   finding's "key 1" is, or the password policy in force;
 * - `plan`: the exact API calls it will make, shown before anyone approves. Executing a request sends
 *   these calls, in order, through one executor (src/workflow/remediation-run.ts): a playbook cannot
 *   call anything its plan did not show;
 * - `verify`: reads back (with the audit role) that the change took effect;
 * - `rollback`, where it can be undone: the calls that restore what was saved, and their check.
 */
export interface Playbook<I = unknown> {
  id: string;
  title: string;
  /** One sentence for the person choosing it. */
  description: string;
  fixes: { checks: string[]; controls: string[] };
  /** The IAM actions its calls need, in the remediation role (deploy/remediation-role-policy.json). */
  permissions: string[];
  reversible: boolean;
  input: z.ZodType<I>;
  appliesTo(finding: PlaybookTarget): boolean;
  prepare(context: PlanContext, read: Readers): Promise<I>;
  plan(input: I): PlannedCall[];
  verify(input: I, read: Readers): Promise<Verification>;
  rollback?: {
    plan(input: I, saved: Saved): PlannedCall[];
    verify(input: I, saved: Saved, read: Readers): Promise<Verification>;
  };
}

/** What deciding whether a playbook applies needs to know of a finding. */
export type PlaybookTarget = Pick<Finding, 'source' | 'generatorId' | 'controlId' | 'evidence'>;

export interface PlanContext {
  finding: Finding;
  config: Config;
  /** How the requester is named in notes written to AWS (their email, or Slack user id). */
  requester: string;
  reason: string;
}

/** Clients with the read-only audit role in an account. */
export interface Readers {
  iam(account: string): Promise<IamCalls>;
  securityHub(account: string, region: string): Promise<SecurityHubCalls>;
}

/** What a plan's calls kept (by their saveAs names) for a rollback. */
export type Saved = Record<string, unknown>;

export interface Verification {
  ok: boolean;
  /** What was read back, in words. */
  detail: string;
}

/** The playbook cannot fix this finding as things are now (the key is already inactive, say). */
export class NotApplicable extends WardenError {
  constructor(message: string) {
    super('not-applicable', message);
  }
}

/** The IAM user and access-key slot a credential-report finding is about. */
export function credentialOf(f: PlaybookTarget): {
  user: string;
  slot: number | undefined;
  lastRotated: string | null;
  /** The key itself, when the finding names it (an access review's revocation). */
  accessKeyId: string | undefined;
} {
  const e = f.evidence as {
    user?: unknown;
    keySlot?: unknown;
    credential?: unknown;
    lastRotated?: unknown;
    accessKeyId?: unknown;
  };
  const slot =
    typeof e.keySlot === 'number'
      ? e.keySlot
      : typeof e.credential === 'string' && /^access_key_\d$/.test(e.credential)
        ? Number(e.credential.slice(-1))
        : undefined;
  return {
    user: typeof e.user === 'string' ? e.user : '',
    slot,
    lastRotated: typeof e.lastRotated === 'string' ? e.lastRotated : null,
    accessKeyId: typeof e.accessKeyId === 'string' ? e.accessKeyId : undefined,
  };
}

export const checkOf = (f: PlaybookTarget) =>
  f.generatorId?.startsWith(WARDEN_GENERATOR) ? f.generatorId.slice(WARDEN_GENERATOR.length) : undefined;

/** An IAM call in the finding's account (IAM is global). */
export const iamCall = (
  account: string,
  operation: Extract<PlannedCall, { service: 'iam' }>['operation'],
  params: Record<string, unknown>,
  extra: Pick<PlannedCall, 'saveAs' | 'absentOk'> = {},
): PlannedCall => ({ service: 'iam', operation, account, region: 'global', params, ...extra });
