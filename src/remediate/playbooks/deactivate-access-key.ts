import { REVOKED_CHECK } from '../../findings/checks.js';
import { type AccessKeyInput, accessKeyInput, listKeys, resolveAccessKey } from '../access-keys.js';
import { checkOf, credentialOf, iamCall, NotApplicable, type Playbook } from '../playbook.js';

const statusCall = (account: string, input: AccessKeyInput, Status: 'Active' | 'Inactive') =>
  iamCall(account, 'UpdateAccessKey', { UserName: input.userName, AccessKeyId: input.accessKeyId, Status });

/** Deactivates an access key that is stale or was not rotated; reactivating it undoes that. */
export const deactivateAccessKey: Playbook<AccessKeyInput> = {
  id: 'deactivate-access-key',
  title: 'Deactivate the access key',
  description: 'Sets the key to Inactive: requests signed with it fail until it is made Active again.',
  fixes: {
    checks: ['access-key-not-rotated', 'unused-credentials', REVOKED_CHECK],
    controls: ['IAM.3', 'IAM.22'],
  },
  permissions: ['iam:UpdateAccessKey'],
  reversible: true,
  input: accessKeyInput,
  appliesTo: (f) =>
    ((checkOf(f) === 'access-key-not-rotated' || checkOf(f) === 'unused-credentials') &&
      credentialOf(f).slot !== undefined) ||
    (checkOf(f) === REVOKED_CHECK && credentialOf(f).accessKeyId !== undefined),
  async prepare({ finding }, read) {
    const key = await resolveAccessKey(finding, read);
    if (key.Status !== 'Active') throw new NotApplicable(`access key ${key.AccessKeyId} is already inactive`);
    return { account: finding.accountId, userName: key.UserName!, accessKeyId: key.AccessKeyId! };
  },
  plan: (input) => [statusCall(input.account, input, 'Inactive')],
  async verify(input, read) {
    const key = (await listKeys(read, input.account, input.userName)).find(
      (k) => k.AccessKeyId === input.accessKeyId,
    );
    return {
      ok: key?.Status === 'Inactive',
      detail: `access key ${input.accessKeyId} is ${key?.Status ?? 'gone'}`,
    };
  },
  rollback: {
    plan: (input) => [statusCall(input.account, input, 'Active')],
    async verify(input, _saved, read) {
      const key = (await listKeys(read, input.account, input.userName)).find(
        (k) => k.AccessKeyId === input.accessKeyId,
      );
      return {
        ok: key?.Status === 'Active',
        detail: `access key ${input.accessKeyId} is ${key?.Status ?? 'gone'}`,
      };
    },
  },
};
