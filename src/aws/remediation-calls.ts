import {
  DeleteAccessKeyCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteLoginProfileCommand,
  GetAccountPasswordPolicyCommand,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  BatchUpdateFindingsCommand,
  type BatchUpdateFindingsCommandInput,
} from '@aws-sdk/client-securityhub';
import type { IamCalls, SecurityHubCalls } from './clients.js';

/**
 * The AWS calls a remediation may make, and the one way they are made. A playbook's plan is a list
 * of these; executing a request sends exactly that list, in order, so what approvers read is what
 * runs.
 */
const IAM_CALLS = {
  UpdateAccessKey: UpdateAccessKeyCommand,
  DeleteAccessKey: DeleteAccessKeyCommand,
  DeleteLoginProfile: DeleteLoginProfileCommand,
  GetAccountPasswordPolicy: GetAccountPasswordPolicyCommand,
  UpdateAccountPasswordPolicy: UpdateAccountPasswordPolicyCommand,
  DeleteAccountPasswordPolicy: DeleteAccountPasswordPolicyCommand,
} as const;

const SECURITY_HUB_CALLS = { BatchUpdateFindings: BatchUpdateFindingsCommand } as const;

export type IamOperation = keyof typeof IAM_CALLS;
/** Any IAM command, as the client's send() takes one whose operation is known only at run time. */
type AnyIamCommand = Parameters<IamCalls['send']>[0];
export type SecurityHubOperation = keyof typeof SECURITY_HUB_CALLS;

/** One AWS call, exactly as it will be sent: shown before approval, audited when made. */
export type PlannedCall = (
  | { service: 'iam'; operation: IamOperation }
  | { service: 'securityhub'; operation: SecurityHubOperation }
) & {
  /** The account whose remediation role makes the call. */
  account: string;
  /** `global` for IAM. */
  region: string;
  params: Record<string, unknown>;
  /** The answer is kept under this name, for a rollback (the policy that was replaced, say). */
  saveAs?: string;
  /** NoSuchEntity is an answer here (there may be no password policy to save), not a failure. */
  absentOk?: boolean;
};

export const isKnownCall = (c: { service?: unknown; operation?: unknown }) =>
  (c.service === 'iam' && typeof c.operation === 'string' && c.operation in IAM_CALLS) ||
  (c.service === 'securityhub' && typeof c.operation === 'string' && c.operation in SECURITY_HUB_CALLS);

/** `iam:UpdateAccessKey`: the IAM action a call needs. */
export const actionOf = (c: Pick<PlannedCall, 'service' | 'operation'>) => `${c.service}:${c.operation}`;

/**
 * Sends one planned call and returns its answer (undefined when absentOk and the thing is absent).
 * Security Hub's per-finding refusals (UnprocessedFindings) fail the call like any other error.
 */
export async function sendPlannedCall(
  call: PlannedCall,
  clients: { iam: () => IamCalls; securityHub: () => SecurityHubCalls },
): Promise<unknown> {
  try {
    if (call.service === 'iam') {
      // The plan's parameters were written by the playbook for this operation; the SDK checks them again.
      const Command = IAM_CALLS[call.operation] as unknown as new (input: object) => AnyIamCommand;
      return await clients.iam().send(new Command(call.params));
    }
    const out = await clients
      .securityHub()
      .send(
        new SECURITY_HUB_CALLS[call.operation](call.params as unknown as BatchUpdateFindingsCommandInput),
      );
    const refused = out.UnprocessedFindings ?? [];
    if (refused.length > 0) {
      const first = refused[0]!;
      throw Object.assign(
        new Error(`${first.ErrorCode}: ${first.ErrorMessage ?? 'the finding was not updated'}`),
        {
          name: first.ErrorCode ?? 'UnprocessedFinding',
        },
      );
    }
    return out;
  } catch (err) {
    if (call.absentOk && (err as { name?: string }).name === 'NoSuchEntityException') return undefined;
    throw err;
  }
}
