import type { Policy } from '../config.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';

/** Who may do what: viewers read, owners change their accounts' findings, admins change any. */
export type Role = 'viewer' | 'owner' | 'admin';

/** A Slack user as Warden knows them: the user id, and the email Slack has for them (if any). */
export interface Identity {
  userId: string;
  email: string | undefined;
  /** What Slack says the account is: a full member, a guest, deactivated, or a bot (default member). */
  standing?: Standing;
}

export type Standing = 'member' | 'guest' | 'deleted' | 'bot';

/** What a person may read: everything, only the accounts they own, or nothing (with why). */
export type ReadScope =
  | { kind: 'all' }
  | { kind: 'accounts'; ids: string[] }
  | { kind: 'none'; reason: string };

const REFUSED_STANDING: Record<Exclude<Standing, 'member'>, string> = {
  guest: 'guests of the workspace do not read Warden',
  deleted: 'the Slack account is deactivated',
  bot: 'bots do not read Warden',
};

/**
 * Who may read findings and posture. Guests, deactivated users and bots: nothing. Without a
 * `viewers` list, every member reads everything. With one, its members (named, or in a listed Slack
 * user group: `inGroup`), the admins, approvers, managers and auditors read everything; an account's owners
 * read their own accounts; anyone else nothing.
 */
export function readScope(
  who: Identity,
  accounts: OwnedAccount[],
  policy: Policy,
  inGroup: (groupId: string) => boolean,
): ReadScope {
  const standing = who.standing ?? 'member';
  if (standing !== 'member') return { kind: 'none', reason: REFUSED_STANDING[standing] };
  if (policy.viewers.length === 0) return { kind: 'all' };
  const everything = [
    ...policy.viewers,
    ...policy.admins,
    ...policy.approvers,
    ...policy.managers,
    ...policy.auditors,
  ];
  if (everything.some((p) => (/^S[A-Z0-9]+$/.test(p) ? inGroup(p) : names(p, who)))) return { kind: 'all' };
  const owned = accounts.filter((a) => isOwner(who, a, policy)).map((a) => a.id);
  return owned.length
    ? { kind: 'accounts', ids: owned }
    : { kind: 'none', reason: 'reading is open to the policy’s viewers and to each account’s owners' };
}

/** Whether a scope lets this account be read. */
export const mayRead = (scope: ReadScope, accountId: string) =>
  scope.kind === 'all' || (scope.kind === 'accounts' && scope.ids.includes(accountId));

export interface OwnedAccount {
  id: string;
  tags: Record<string, string>;
}

/** A policy entry or tag value (a Slack user id or an email) names this person. */
export function names(principal: string, who: Identity): boolean {
  const p = principal.trim();
  if (/^[UW][A-Z0-9]{2,}$/.test(p)) return p === who.userId;
  return who.email !== undefined && p.toLowerCase() === who.email.toLowerCase();
}

/**
 * An account's owners: the values of its owner tags (each may list several, separated by commas,
 * semicolons or spaces) and the policy file's `owners` entry for it.
 */
export function ownersOf(account: OwnedAccount, policy: Policy): string[] {
  const fromTags = policy.ownerTagKeys.flatMap((key) =>
    (account.tags[key] ?? '').split(/[\s,;]+/).filter(Boolean),
  );
  return [...new Set([...fromTags, ...(policy.owners[account.id] ?? [])])];
}

export const isAdmin = (who: Identity, policy: Policy) => policy.admins.some((p) => names(p, who));

/** Who may have an evidence pack made (`/compliance report`): the admins, the managers and the auditors. */
export const mayReport = (who: Identity, policy: Policy) =>
  [...policy.admins, ...policy.managers, ...policy.auditors].some((p) => names(p, who));

export const isOwner = (who: Identity, account: OwnedAccount, policy: Policy) =>
  ownersOf(account, policy).some((p) => names(p, who));

/** Whether this person may change findings of this account (re-checked on every action). */
export const mayChange = (who: Identity, account: OwnedAccount, policy: Policy) =>
  isAdmin(who, policy) || isOwner(who, account, policy);

/**
 * Whether this person may approve remediations in this account: its owners, the admins and the
 * policy's approvers. Who requested a remediation never approves it (checked with the request).
 */
export const mayApprove = (who: Identity, account: OwnedAccount, policy: Policy) =>
  mayChange(who, account, policy) || policy.approvers.some((p) => names(p, who));

/** This person's role and the accounts they own. */
export function roleOf(
  who: Identity,
  accounts: OwnedAccount[],
  policy: Policy,
): { role: Role; owns: string[] } {
  const owns = accounts.filter((a) => isOwner(who, a, policy)).map((a) => a.id);
  return { role: isAdmin(who, policy) ? 'admin' : owns.length > 0 ? 'owner' : 'viewer', owns };
}

/** The channel `ous` routes an account's OU to (by OU id, or the longest OU path at or above its own), if any. */
function ouChannelIn(
  ous: Record<string, string>,
  account: { ouId: string | null; ouPath: string | null },
): string | undefined {
  if (account.ouId && ous[account.ouId]) return ous[account.ouId];
  const path = account.ouPath ?? '';
  const parents = Object.keys(ous)
    .filter((key) => path === key || path.startsWith(`${key}/`))
    .sort((a, b) => b.length - a.length);
  return parents[0] ? ous[parents[0]] : undefined;
}

/** The channel routed to an account's OU (by OU id, or the longest OU path at or above its own), if any. */
export const ouChannelFor = (account: { ouId: string | null; ouPath: string | null }, policy: Policy) =>
  ouChannelIn(policy.routing.ous, account);

/** The channel that hears about an account: its OU's, else the default; undefined when neither is set. */
export const channelFor = (account: { ouId: string | null; ouPath: string | null }, policy: Policy) =>
  ouChannelFor(account, policy) ?? policy.routing.defaultChannel;

/** The severities the policy alerts at: `alerts.minSeverity` and above; none without alerts. */
export function alertSeverities(policy: Policy): Severity[] {
  if (!policy.alerts) return [];
  return SEVERITIES.slice(0, SEVERITIES.indexOf(policy.alerts.minSeverity) + 1);
}

/** Where an account's alerts go: the alerts' own OU routing or default, else the account's channel. */
export function alertChannelFor(
  account: { ouId: string | null; ouPath: string | null },
  policy: Policy,
): string | undefined {
  const alerts = policy.alerts;
  return (
    (alerts && (ouChannelIn(alerts.ous, account) ?? alerts.defaultChannel)) ?? channelFor(account, policy)
  );
}
