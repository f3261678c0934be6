import { knownAccounts } from '../posture/accounts.js';
import { recordDenial } from '../workflow/denials.js';
import { type Identity, type ReadScope, readScope } from '../workflow/policy.js';
import type { HandlerDeps } from './app.js';

const USER_GROUP = /^S[A-Z0-9]{2,}$/;

/**
 * What this Slack user may read (checked on every command, page and Home tab): their standing in
 * the workspace from users.info, their user groups among the policy's viewers, the accounts they own.
 * A viewers group Slack cannot list counts as one they are not in (and is logged): reading fails closed.
 */
export async function readAccess(
  deps: Pick<HandlerDeps, 'db' | 'config' | 'directory' | 'log'>,
  userId: string,
): Promise<{ who: Identity; scope: ReadScope }> {
  const who = await deps.directory.identify(userId);
  const { policy } = deps.config;
  const memberOf = new Set<string>();
  for (const group of policy.viewers.filter((v) => USER_GROUP.test(v))) {
    try {
      if ((await deps.directory.groupMembers(group)).has(userId)) memberOf.add(group);
    } catch (err) {
      deps.log.warn({ err, group }, 'a viewers user group could not be listed');
    }
  }
  // Without a viewers list nobody's reading depends on what they own: the accounts are not read.
  const accounts = policy.viewers.length ? await knownAccounts(deps.db) : [];
  const scope = readScope(who, accounts, policy, (g) => memberOf.has(g));
  return { who, scope };
}

/** A refused read: audited, and the line to tell the person. */
export async function refuseRead(
  deps: Pick<HandlerDeps, 'db'>,
  userId: string,
  attempted: string,
  reason: string,
): Promise<string> {
  await recordDenial(deps.db, { actor: userId, attempted, subject: 'slack:read', reason });
  return `:no_entry: You cannot ${attempted}: ${reason}.`;
}
