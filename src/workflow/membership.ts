import type { Policy } from '../config.js';
import { currentAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import { type Identity, type Role, roleOf } from './policy.js';

export interface Membership {
  role: Role;
  accounts: Array<{ id: string; name: string; ouPath: string | null }>;
}

/** A person's role and the accounts they own, from the accounts discovery last found. */
export async function membership(db: Database, who: Identity, policy: Policy): Promise<Membership> {
  const all = await currentAccounts(db);
  const { role, owns } = roleOf(who, all, policy);
  return {
    role,
    accounts: all
      .filter((a) => owns.includes(a.id))
      .map((a) => ({ id: a.id, name: a.name, ouPath: a.ouPath })),
  };
}
