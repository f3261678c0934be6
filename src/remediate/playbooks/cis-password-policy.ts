import { GetAccountPasswordPolicyCommand, type PasswordPolicy } from '@aws-sdk/client-iam';
import { z } from 'zod';
import { CIS_PASSWORD_POLICY } from '../../collect/checks/cis.js';
import type { Readers } from '../playbook.js';
import { checkOf, iamCall, type Playbook, type Saved } from '../playbook.js';

/** UpdateAccountPasswordPolicy's fields (ExpirePasswords is read-only: MaxPasswordAge implies it). */
const settings = z.object({
  MinimumPasswordLength: z.number().int().optional(),
  RequireSymbols: z.boolean().optional(),
  RequireNumbers: z.boolean().optional(),
  RequireUppercaseCharacters: z.boolean().optional(),
  RequireLowercaseCharacters: z.boolean().optional(),
  AllowUsersToChangePassword: z.boolean().optional(),
  MaxPasswordAge: z.number().int().optional(),
  PasswordReusePrevention: z.number().int().optional(),
  HardExpiry: z.boolean().optional(),
});
type Settings = z.infer<typeof settings>;
const input = z.object({ account: z.string().regex(/^\d{12}$/), target: settings });
type Input = z.infer<typeof input>;

/** The settings of a policy as UpdateAccountPasswordPolicy takes them (a field left out reverts to its default). */
function settingsOf(p: PasswordPolicy | undefined): Settings {
  if (!p) return {};
  const { ExpirePasswords: _derived, ...rest } = p;
  return settings.parse(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
}

/** A policy with IAM's defaults filled in, so two ways of writing the same policy compare equal. */
function effective(p: PasswordPolicy | undefined) {
  if (!p) return null;
  return {
    MinimumPasswordLength: p.MinimumPasswordLength ?? 8,
    RequireSymbols: Boolean(p.RequireSymbols),
    RequireNumbers: Boolean(p.RequireNumbers),
    RequireUppercaseCharacters: Boolean(p.RequireUppercaseCharacters),
    RequireLowercaseCharacters: Boolean(p.RequireLowercaseCharacters),
    AllowUsersToChangePassword: Boolean(p.AllowUsersToChangePassword),
    MaxPasswordAge: p.MaxPasswordAge ?? null,
    PasswordReusePrevention: p.PasswordReusePrevention ?? null,
    HardExpiry: Boolean(p.HardExpiry),
  };
}

async function current(read: Readers, account: string): Promise<PasswordPolicy | undefined> {
  try {
    return (await (await read.iam(account)).send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchEntityException') return undefined;
    throw err;
  }
}

const describe = (p: PasswordPolicy | undefined) =>
  p
    ? `length ${p.MinimumPasswordLength ?? 8}, reuse prevention ${p.PasswordReusePrevention ?? 'none'}`
    : 'no policy';

/**
 * Raises the account password policy to the CIS baseline (length ≥ 14, reuse prevention 24),
 * keeping every other setting. The policy in force is read first and saved; a rollback puts it back
 * (or deletes the policy, if there was none).
 */
export const cisPasswordPolicy: Playbook<Input> = {
  id: 'cis-password-policy',
  title: 'Set the password policy to the CIS baseline',
  description:
    'Minimum length 14 and reuse prevention 24, other settings kept; the old policy is saved for a rollback.',
  fixes: { checks: ['password-policy-weak'], controls: ['IAM.15', 'IAM.16'] },
  permissions: [
    'iam:GetAccountPasswordPolicy',
    'iam:UpdateAccountPasswordPolicy',
    'iam:DeleteAccountPasswordPolicy',
  ],
  reversible: true,
  input,
  appliesTo: (f) =>
    checkOf(f) === 'password-policy-weak' ||
    (f.source === 'securityhub' && /^IAM\.1[56]$/.test(f.controlId ?? '')),
  async prepare({ finding }, read) {
    const now = settingsOf(await current(read, finding.accountId));
    return {
      account: finding.accountId,
      target: {
        ...now,
        MinimumPasswordLength: Math.max(
          now.MinimumPasswordLength ?? 0,
          CIS_PASSWORD_POLICY.MinimumPasswordLength,
        ),
        PasswordReusePrevention: CIS_PASSWORD_POLICY.PasswordReusePrevention,
      },
    };
  },
  plan: (i) => [
    iamCall(i.account, 'GetAccountPasswordPolicy', {}, { saveAs: 'previousPolicy', absentOk: true }),
    iamCall(i.account, 'UpdateAccountPasswordPolicy', i.target),
  ],
  async verify(i, read) {
    const p = await current(read, i.account);
    const ok =
      (p?.MinimumPasswordLength ?? 0) >= CIS_PASSWORD_POLICY.MinimumPasswordLength &&
      (p?.PasswordReusePrevention ?? 0) >= CIS_PASSWORD_POLICY.PasswordReusePrevention;
    return { ok, detail: `the password policy is ${describe(p)}` };
  },
  rollback: {
    plan(i, saved: Saved) {
      const previous = (saved.previousPolicy as { PasswordPolicy?: PasswordPolicy } | undefined)
        ?.PasswordPolicy;
      return previous
        ? [iamCall(i.account, 'UpdateAccountPasswordPolicy', settingsOf(previous))]
        : [iamCall(i.account, 'DeleteAccountPasswordPolicy', {})];
    },
    async verify(i, saved, read) {
      const previous = (saved.previousPolicy as { PasswordPolicy?: PasswordPolicy } | undefined)
        ?.PasswordPolicy;
      const now = await current(read, i.account);
      const same = JSON.stringify(effective(now)) === JSON.stringify(effective(previous));
      return { ok: same, detail: `the password policy is ${describe(now)}, as before` };
    },
  },
};
