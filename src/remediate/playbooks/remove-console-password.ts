import { GetLoginProfileCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { REVOKED_CHECK } from '../../findings/checks.js';
import { checkOf, credentialOf, iamCall, NotApplicable, type Playbook } from '../playbook.js';

const input = z.object({ account: z.string().regex(/^\d{12}$/), userName: z.string().min(1) });
type Input = z.infer<typeof input>;

/**
 * Removes the console password of a user who has not signed in for the policy's
 * `checks.unusedCredentialDays`. Cannot be undone: the old password cannot be restored.
 */
export const removeConsolePassword: Playbook<Input> = {
  id: 'remove-console-password',
  title: 'Remove the unused console password',
  description: 'Deletes the user’s login profile. Cannot be undone: a new password would have to be set.',
  fixes: { checks: ['unused-credentials', REVOKED_CHECK], controls: ['IAM.22'] },
  permissions: ['iam:DeleteLoginProfile'],
  reversible: false,
  input,
  appliesTo: (f) =>
    (checkOf(f) === 'unused-credentials' || checkOf(f) === REVOKED_CHECK) &&
    (f.evidence as { credential?: unknown }).credential === 'password',
  async prepare({ finding }) {
    const { user } = credentialOf(finding);
    if (!user) throw new NotApplicable('the finding does not name an IAM user');
    return { account: finding.accountId, userName: user };
  },
  plan: (i) => [iamCall(i.account, 'DeleteLoginProfile', { UserName: i.userName })],
  async verify(i, read) {
    try {
      await (await read.iam(i.account)).send(new GetLoginProfileCommand({ UserName: i.userName }));
      return { ok: false, detail: `${i.userName} still has a console password` };
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchEntityException') throw err;
      return { ok: true, detail: `${i.userName} has no console password` };
    }
  },
};
