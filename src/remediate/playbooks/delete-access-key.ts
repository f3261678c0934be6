import { type AccessKeyInput, accessKeyInput, listKeys, resolveAccessKey } from '../access-keys.js';
import { checkOf, credentialOf, iamCall, type Playbook } from '../playbook.js';

/**
 * Deletes an access key unused for the policy's `checks.unusedCredentialDays` (the finding exists
 * only past that). Cannot be undone: a deleted key's secret is gone for good.
 */
export const deleteAccessKey: Playbook<AccessKeyInput> = {
  id: 'delete-access-key',
  title: 'Delete the unused access key',
  description: 'Deletes the key for good. Cannot be undone: anything still using it stops working.',
  fixes: { checks: ['unused-credentials'], controls: ['IAM.22'] },
  permissions: ['iam:DeleteAccessKey'],
  reversible: false,
  input: accessKeyInput,
  appliesTo: (f) => checkOf(f) === 'unused-credentials' && credentialOf(f).slot !== undefined,
  async prepare({ finding }, read) {
    const key = await resolveAccessKey(finding, read);
    return { account: finding.accountId, userName: key.UserName!, accessKeyId: key.AccessKeyId! };
  },
  plan: (input) => [
    iamCall(input.account, 'DeleteAccessKey', { UserName: input.userName, AccessKeyId: input.accessKeyId }),
  ],
  async verify(input, read) {
    const gone = !(await listKeys(read, input.account, input.userName)).some(
      (k) => k.AccessKeyId === input.accessKeyId,
    );
    return {
      ok: gone,
      detail: gone ? `access key ${input.accessKeyId} no longer exists` : 'the key still exists',
    };
  },
};
