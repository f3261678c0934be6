import {
  GetAccessKeyLastUsedCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
} from '@aws-sdk/client-iam';
import type { IamCalls } from '../aws/clients.js';
import { externalTrusts, readTrustPolicy, type Trust, type TrustContext } from './trust-policy.js';

/**
 * The principals of one account an access review goes through (issue 16), read with the audit role:
 * IAM users with their console access, access keys (age, last use), groups and policies; and the
 * roles that principals outside the organization may assume, with when they were last used. Every
 * list is followed page by page (IAM's Marker), and a user or role is handed over as soon as it is
 * read: an account with thousands of users is never held whole.
 */

export interface ReviewedKey {
  id: string;
  active: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  lastUsedService: string | null;
}

export interface ReviewedUser {
  kind: 'user';
  name: string;
  arn: string;
  createdAt: Date;
  /** A console password (GetLoginProfile), and when it was last used. */
  console: boolean;
  /** An MFA device is assigned (ListMFADevices). */
  mfa: boolean;
  /** The user's tags (ListUserTags: ListUsers leaves them out): an `email` tag names the person. */
  tags: Record<string, string>;
  passwordLastUsedAt: Date | null;
  keys: ReviewedKey[];
  groups: string[];
  /** Managed policies attached to the user, and inline policy names. */
  attachedPolicies: string[];
  inlinePolicies: string[];
  /** The latest of the password's and the keys' last use; null when neither was ever used. */
  lastActivityAt: Date | null;
}

export interface ReviewedRole {
  kind: 'role';
  name: string;
  arn: string;
  createdAt: Date;
  /** The principals outside the organization that may assume it. */
  trusts: Trust[];
  lastUsedAt: Date | null;
  lastUsedRegion: string | null;
}

/** Every page of an IAM list, one at a time (IsTruncated and Marker). */
async function* pages<T extends { IsTruncated?: boolean | undefined; Marker?: string | undefined }>(
  call: (marker: string | undefined) => Promise<T>,
): AsyncGenerator<T> {
  let marker: string | undefined;
  do {
    const out = await call(marker);
    yield out;
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
}

/** Every item of every page. */
async function all<T, P extends { IsTruncated?: boolean | undefined; Marker?: string | undefined }>(
  call: (marker: string | undefined) => Promise<P>,
  items: (page: P) => T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages(call)) out.push(...(items(page) ?? []));
  return out;
}

const latest = (...dates: Array<Date | null | undefined>): Date | null =>
  dates.reduce<Date | null>((a, d) => (d && (!a || d > a) ? d : a), null);

/** The account's IAM users, each with what a reviewer decides on. */
export async function* reviewUsers(iam: IamCalls): AsyncGenerator<ReviewedUser> {
  for await (const page of pages((Marker) => iam.send(new ListUsersCommand({ Marker })))) {
    for (const u of page.Users ?? []) {
      const UserName = u.UserName!;
      const console = await iam.send(new GetLoginProfileCommand({ UserName })).then(
        () => true,
        (err: { name?: string }) => {
          if (err.name === 'NoSuchEntityException') return false;
          throw err;
        },
      );
      const mfa =
        (
          await all(
            (Marker) => iam.send(new ListMFADevicesCommand({ UserName, Marker })),
            (p) => p.MFADevices,
          )
        ).length > 0;
      const tags = Object.fromEntries(
        (
          await all(
            (Marker) => iam.send(new ListUserTagsCommand({ UserName, Marker })),
            (p) => p.Tags,
          )
        ).map((t) => [t.Key!, t.Value ?? '']),
      );
      const keys: ReviewedKey[] = [];
      for (const k of await all(
        (Marker) => iam.send(new ListAccessKeysCommand({ UserName, Marker })),
        (p) => p.AccessKeyMetadata,
      )) {
        const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId! }));
        keys.push({
          id: k.AccessKeyId!,
          active: k.Status === 'Active',
          createdAt: k.CreateDate ?? new Date(0),
          lastUsedAt: used.AccessKeyLastUsed?.LastUsedDate ?? null,
          lastUsedService:
            used.AccessKeyLastUsed?.ServiceName && used.AccessKeyLastUsed.ServiceName !== 'N/A'
              ? used.AccessKeyLastUsed.ServiceName
              : null,
        });
      }
      const groups = await all(
        (Marker) => iam.send(new ListGroupsForUserCommand({ UserName, Marker })),
        (p) => p.Groups?.map((g) => g.GroupName!),
      );
      const attachedPolicies = await all(
        (Marker) => iam.send(new ListAttachedUserPoliciesCommand({ UserName, Marker })),
        (p) => p.AttachedPolicies?.map((a) => a.PolicyName!),
      );
      const inlinePolicies = await all(
        (Marker) => iam.send(new ListUserPoliciesCommand({ UserName, Marker })),
        (p) => p.PolicyNames,
      );
      yield {
        kind: 'user',
        name: UserName,
        arn: u.Arn!,
        createdAt: u.CreateDate ?? new Date(0),
        console,
        mfa,
        tags,
        passwordLastUsedAt: u.PasswordLastUsed ?? null,
        keys,
        groups,
        attachedPolicies,
        inlinePolicies,
        lastActivityAt: latest(u.PasswordLastUsed, ...keys.map((k) => k.lastUsedAt)),
      };
    }
  }
}

/**
 * The account's roles that a principal outside the organization may assume (read from each trust
 * policy), with when each was last used (GetRole: ListRoles does not say). Roles trusted only by the
 * organization and by AWS services are not for review and cost no GetRole.
 */
export async function* reviewRoles(iam: IamCalls, context: TrustContext): AsyncGenerator<ReviewedRole> {
  for await (const page of pages((Marker) => iam.send(new ListRolesCommand({ Marker })))) {
    for (const r of page.Roles ?? []) {
      const trusts = externalTrusts(readTrustPolicy(r.AssumeRolePolicyDocument ?? '{}', context));
      if (trusts.length === 0) continue;
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: r.RoleName! }));
      yield {
        kind: 'role',
        name: r.RoleName!,
        arn: r.Arn!,
        createdAt: r.CreateDate ?? new Date(0),
        trusts,
        lastUsedAt: Role?.RoleLastUsed?.LastUsedDate ?? null,
        lastUsedRegion: Role?.RoleLastUsed?.Region ?? null,
      };
    }
  }
}
