import { syncAccounts } from '../../src/db/accounts.js';
import type { Database } from '../../src/db/client.js';
import { type Finding, findings, type NewFinding } from '../../src/db/schema.js';

/** Accounts as discovery would record them. */
export async function seedAccounts(
  db: Database,
  list: Array<{ id: string; name: string; ouPath?: string; tags?: Record<string, string> }>,
): Promise<void> {
  await syncAccounts(
    db,
    list.map((a) => ({
      id: a.id,
      name: a.name,
      state: 'ACTIVE',
      ouId: 'ou-test',
      ouPath: a.ouPath ?? 'Root/Test',
      tags: a.tags ?? {},
    })),
    new Date(),
    { complete: false },
  );
}

let n = 0;
/** One stored finding (a Warden check by default), with whatever fields the test cares about. */
export async function seedFinding(
  db: Database,
  fields: Partial<NewFinding> & { accountId: string },
): Promise<Finding> {
  const now = new Date();
  n += 1;
  const [row] = await db
    .insert(findings)
    .values({
      source: 'credential-report',
      externalId: `warden:test:${n}`,
      region: 'global',
      resourceId: `arn:aws:iam::${fields.accountId}:user/user-${n}`,
      controlId: 'IAM.3',
      title: `Access key of user-${n} not rotated in 90 days`,
      severity: 'medium',
      firstSeenAt: now,
      lastSeenAt: now,
      ...fields,
    })
    .returning();
  return row!;
}
