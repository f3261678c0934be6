import { type AccessKeyMetadata, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { z } from 'zod';
import type { Finding } from '../db/schema.js';
import { credentialOf, NotApplicable, type Readers } from './playbook.js';

/** The input of the access-key playbooks: the key, by user and id (resolved from the report's slot). */
export const accessKeyInput = z.object({
  account: z.string().regex(/^\d{12}$/),
  userName: z.string().min(1),
  accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/),
});
export type AccessKeyInput = z.infer<typeof accessKeyInput>;

export async function listKeys(
  read: Readers,
  account: string,
  userName: string,
): Promise<AccessKeyMetadata[]> {
  const out = await (await read.iam(account)).send(new ListAccessKeysCommand({ UserName: userName }));
  return out.AccessKeyMetadata ?? [];
}

/**
 * Finds the access key a finding names: by its id when the finding has it (an access review's
 * revocation); for a credential-report finding by its slot: the key created when the
 * report says that slot's key was last rotated (to the second), else the slot's place by creation
 * date.
 */
export async function resolveAccessKey(finding: Finding, read: Readers): Promise<AccessKeyMetadata> {
  const { user, slot, lastRotated, accessKeyId } = credentialOf(finding);
  if (user && accessKeyId) {
    const named = (await listKeys(read, finding.accountId, user)).find((k) => k.AccessKeyId === accessKeyId);
    if (!named) throw new NotApplicable(`${user} has no access key ${accessKeyId} any more`);
    return named;
  }
  if (!user || !slot) throw new NotApplicable('the finding does not name an IAM user’s access key');
  const keys = await listKeys(read, finding.accountId, user);
  const second = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);
  const byDate = lastRotated
    ? keys.find((k) => k.CreateDate && second(k.CreateDate) === second(lastRotated))
    : undefined;
  const sorted = [...keys].sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0));
  const key = byDate ?? sorted[slot - 1];
  if (!key?.AccessKeyId) throw new NotApplicable(`${user} has no access key ${slot} any more`);
  return key;
}
