import { eq } from 'drizzle-orm';
import type { Policy } from '../config.js';
import type { Database } from '../db/client.js';
import { accounts, type Finding, findings } from '../db/schema.js';
import { type Identity, mayChange } from './policy.js';

export type FindingAccess =
  | { allowed: true; finding: Finding }
  | { allowed: false; finding: Finding | undefined; reason: string };

/**
 * Reads a finding and decides whether this person may change it: its account's owners (tags and the
 * policy file, as they are now) and the admins may; nobody else. Every Slack action asks again,
 * whatever the button it came from said.
 */
export async function findingAccess(
  db: Database,
  who: Identity,
  findingId: number,
  policy: Policy,
): Promise<FindingAccess> {
  const [row] = await db
    .select({ finding: findings, tags: accounts.tags })
    .from(findings)
    .leftJoin(accounts, eq(accounts.id, findings.accountId))
    .where(eq(findings.id, findingId));
  if (!row) return { allowed: false, finding: undefined, reason: `there is no finding ${findingId}` };
  const { finding } = row;
  if (mayChange(who, { id: finding.accountId, tags: row.tags ?? {} }, policy))
    return { allowed: true, finding };
  return {
    allowed: false,
    finding,
    reason: `only the owners of account ${finding.accountId} and Warden admins may change its findings`,
  };
}
