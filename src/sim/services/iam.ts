import { createHash } from 'node:crypto';
import { CREDENTIAL_REPORT_MIN_INTERVAL_MS } from '../../aws/quotas.js';
import { SimError } from '../protocol.js';
import type { SimPasswordPolicy } from '../scenario.js';
import type { AccountState, IamKey, IamRole } from '../world.js';
import type { CallContext, Handler } from './context.js';

/** The credential report's 22 columns, in AWS's order (FACTS.md §3). */
export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
];

/** ISO 8601 as the report writes it: `2017-06-10T02:35:07+00:00`. */
const reportTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

function keyColumns(key: IamKey | undefined): string[] {
  if (!key) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  const used = key.lastUsedAt !== null;
  return [
    String(key.active),
    reportTime(key.createdAt),
    used ? reportTime(key.lastUsedAt!) : 'N/A',
    used ? (key.lastUsedRegion ?? 'N/A') : 'N/A',
    used ? (key.lastUsedService ?? 'N/A') : 'N/A',
  ];
}

export function buildCredentialReport(accountId: string, account: AccountState): Buffer {
  const { root, users } = account;
  const rows = [
    [
      '<root_account>',
      `arn:aws:iam::${accountId}:root`,
      reportTime(root.createdAt),
      'not_supported',
      root.passwordLastUsedAt === null ? 'no_information' : reportTime(root.passwordLastUsedAt),
      'not_supported',
      'not_supported',
      String(root.mfa),
      ...keyColumns(root.keys[0]),
      ...keyColumns(root.keys[1]),
      'false',
      'N/A',
      'false',
      'N/A',
    ],
    ...users.map((u) => [
      u.name,
      `arn:aws:iam::${accountId}:user/${u.name}`,
      reportTime(u.createdAt),
      String(Boolean(u.password)),
      !u.password
        ? 'N/A'
        : u.password.lastUsedAt === null
          ? 'no_information'
          : reportTime(u.password.lastUsedAt),
      u.password ? reportTime(u.password.changedAt) : 'N/A',
      'N/A',
      String(u.mfa),
      ...keyColumns(u.keys[0]),
      ...keyColumns(u.keys[1]),
      'false',
      'N/A',
      'false',
      'N/A',
    ]),
  ];
  const csv = [CREDENTIAL_REPORT_COLUMNS, ...rows].map((r) => r.join(',')).join('\n');
  return Buffer.from(csv, 'utf8');
}

const MALFORMED_REPORT = Buffer.from(
  'user,arn,user_creation_time\n<root_account>,"arn:aws:iam::unterminated\n',
  'utf8',
);

function state(ctx: CallContext): AccountState {
  const account = ctx.world.account(ctx.caller.account);
  if (!account)
    throw new SimError(
      'NoSuchEntity',
      `account ${ctx.caller.account} is not in the simulated organization`,
      404,
    );
  return account;
}

/** IAM's page size unless MaxItems says otherwise (1–1000). */
const IAM_DEFAULT_PAGE = 100;

/**
 * One page of a list as IAM's List calls answer: MaxItems (1–1000, default 100) items from the
 * Marker on, and a Marker with IsTruncated while more remain. A Marker IAM did not hand out is refused.
 */
function page<T>(
  ctx: CallContext,
  all: T[],
): { items: T[]; more: { IsTruncated: boolean; Marker?: string } } {
  const raw = ctx.params.MaxItems;
  const max = raw === undefined ? IAM_DEFAULT_PAGE : Number(raw);
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw new SimError(
      'ValidationError',
      `1 validation error detected: Value '${String(raw)}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? 'greater than or equal to 1' : 'less than or equal to 1000'}`,
    );
  const marker = ctx.params.Marker;
  let start = 0;
  if (marker !== undefined) {
    const decoded = /^sim-page:(\d+)$/.exec(Buffer.from(String(marker), 'base64').toString('utf8'));
    if (!decoded) throw new SimError('InvalidInput', 'Invalid value for the parameter Marker.');
    start = Number(decoded[1]);
  }
  const items = all.slice(start, start + max);
  const next = start + items.length;
  return {
    items,
    more:
      next < all.length
        ? { IsTruncated: true, Marker: Buffer.from(`sim-page:${next}`).toString('base64') }
        : { IsTruncated: false },
  };
}

/** A role as ListRoles (`withUse` false) or GetRole answers it; the trust policy URL-encoded, as IAM returns it. */
function roleOf(ctx: CallContext, r: IamRole, withUse: boolean) {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: `arn:aws:iam::${ctx.caller.account}:role${r.path}${r.name}`,
    CreateDate: new Date(r.createdAt),
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(r.trust)),
    MaxSessionDuration: 3600,
    ...(withUse
      ? {
          RoleLastUsed: r.lastUsedAt
            ? { LastUsedDate: new Date(r.lastUsedAt), Region: r.lastUsedRegion }
            : {},
        }
      : {}),
  };
}

function user(ctx: CallContext, name: unknown) {
  const u = state(ctx).users.find((x) => x.name === name);
  if (!u) throw new SimError('NoSuchEntity', `The user with name ${String(name)} cannot be found.`, 404);
  return u;
}

function accessKey(ctx: CallContext): IamKey {
  const u = user(ctx, ctx.params.UserName);
  const key = u.keys.find((k) => k.id === ctx.params.AccessKeyId);
  if (!key) {
    throw new SimError(
      'NoSuchEntity',
      `The Access Key with id ${String(ctx.params.AccessKeyId)} cannot be found.`,
      404,
    );
  }
  return key;
}

const noLoginProfile = (name: string) =>
  new SimError('NoSuchEntity', `Login Profile for User ${name} cannot be found.`, 404);

/**
 * UpdateAccountPasswordPolicy's fields as IAM reads them: every field left out takes its default
 * (length 8, nothing required, no expiry, no reuse prevention), as the API documents.
 */
function passwordPolicyFrom(params: Record<string, unknown>): SimPasswordPolicy {
  const int = (name: string, min: number, max: number) => {
    if (params[name] === undefined) return undefined;
    const n = Number(params[name]);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new SimError(
        'ValidationError',
        `Value '${String(params[name])}' at '${name}' failed to satisfy constraint`,
      );
    }
    return n;
  };
  const bool = (name: string) => params[name] === 'true';
  const maxAge = int('MaxPasswordAge', 1, 1095);
  const reuse = int('PasswordReusePrevention', 1, 24);
  return {
    MinimumPasswordLength: int('MinimumPasswordLength', 6, 128) ?? 8,
    RequireSymbols: bool('RequireSymbols'),
    RequireNumbers: bool('RequireNumbers'),
    RequireUppercaseCharacters: bool('RequireUppercaseCharacters'),
    RequireLowercaseCharacters: bool('RequireLowercaseCharacters'),
    AllowUsersToChangePassword: bool('AllowUsersToChangePassword'),
    HardExpiry: bool('HardExpiry'),
    ...(maxAge !== undefined ? { MaxPasswordAge: maxAge } : {}),
    ...(reuse !== undefined ? { PasswordReusePrevention: reuse } : {}),
  };
}

function complete(ctx: CallContext, account: AccountState): void {
  account.report = {
    state: 'complete',
    pollsLeft: 0,
    generatedAt: ctx.world.now(),
    content: account.spec.faults?.reportMalformed
      ? MALFORMED_REPORT
      : buildCredentialReport(ctx.caller.account, account),
  };
}

export const iam: Record<string, Handler> = {
  GenerateCredentialReport(ctx) {
    const account = state(ctx);
    const r = account.report;
    const fresh =
      r.state === 'complete' && ctx.world.now() - (r.generatedAt ?? 0) < CREDENTIAL_REPORT_MIN_INTERVAL_MS;
    if (fresh) return { State: 'COMPLETE', Description: 'Report is complete' };
    if (r.state === 'generating') {
      if (account.spec.faults?.reportStuck)
        return { State: 'INPROGRESS', Description: 'Report generation in progress' };
      r.pollsLeft -= 1;
      if (r.pollsLeft < 0) {
        complete(ctx, account);
        return { State: 'COMPLETE', Description: 'Report is complete' };
      }
      return { State: 'INPROGRESS', Description: 'Report generation in progress' };
    }
    const polls =
      account.spec.faults?.reportInProgressPolls ?? ctx.world.scenario.faults?.reportInProgressPolls ?? 1;
    account.report = { state: 'generating', pollsLeft: polls };
    return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
  },
  GetCredentialReport(ctx) {
    const r = state(ctx).report;
    if (r.state === 'none') {
      throw new SimError(
        'ReportNotPresent',
        'Credential report does not exist. Use GenerateCredentialReport to generate a report.',
        410,
      );
    }
    if (r.state === 'generating')
      throw new SimError('ReportInProgress', 'Credential report is being generated.', 404);
    return { Content: r.content, ReportFormat: 'text/csv', GeneratedTime: new Date(r.generatedAt!) };
  },
  GetAccountPasswordPolicy(ctx) {
    const policy = state(ctx).passwordPolicy;
    if (!policy) {
      throw new SimError(
        'NoSuchEntity',
        `The Password Policy with domain name ${ctx.caller.account} cannot be found.`,
        404,
      );
    }
    return { PasswordPolicy: { ...policy, ExpirePasswords: Boolean(policy.MaxPasswordAge) } };
  },
  UpdateAccountPasswordPolicy(ctx) {
    state(ctx).passwordPolicy = passwordPolicyFrom(ctx.params);
    return {};
  },
  DeleteAccountPasswordPolicy(ctx) {
    const account = state(ctx);
    if (!account.passwordPolicy) {
      throw new SimError('NoSuchEntity', `The account policy with name PasswordPolicy cannot be found.`, 404);
    }
    account.passwordPolicy = null;
    return {};
  },
  GetLoginProfile(ctx) {
    const u = user(ctx, ctx.params.UserName);
    if (!u.password) throw noLoginProfile(u.name);
    return {
      LoginProfile: {
        UserName: u.name,
        CreateDate: new Date(u.password.changedAt),
        PasswordResetRequired: false,
      },
    };
  },
  DeleteLoginProfile(ctx) {
    const u = user(ctx, ctx.params.UserName);
    if (!u.password) throw noLoginProfile(u.name);
    u.password = undefined;
    return {};
  },
  UpdateAccessKey(ctx) {
    const status = String(ctx.params.Status ?? '');
    if (status !== 'Active' && status !== 'Inactive') {
      throw new SimError('ValidationError', `Value '${status}' at 'status' failed to satisfy constraint`);
    }
    accessKey(ctx).active = status === 'Active';
    return {};
  },
  DeleteAccessKey(ctx) {
    const u = user(ctx, ctx.params.UserName);
    const key = accessKey(ctx);
    u.keys.splice(u.keys.indexOf(key), 1);
    return {};
  },
  ListUsers(ctx) {
    const { items, more } = page(ctx, state(ctx).users);
    return {
      Users: items.map((u) => ({
        Path: '/',
        UserName: u.name,
        UserId: u.id,
        Arn: `arn:aws:iam::${ctx.caller.account}:user/${u.name}`,
        CreateDate: new Date(u.createdAt),
        PasswordLastUsed: u.password?.lastUsedAt ? new Date(u.password.lastUsedAt) : undefined,
      })),
      ...more,
    };
  },
  ListGroupsForUser(ctx) {
    const u = user(ctx, ctx.params.UserName);
    const { items, more } = page(ctx, u.groups);
    return {
      Groups: items.map((name) => ({
        Path: '/',
        GroupName: name,
        GroupId: `AGPA${createHash('sha256').update(`${ctx.caller.account}/${name}`).digest('hex').slice(0, 17).toUpperCase()}`,
        Arn: `arn:aws:iam::${ctx.caller.account}:group/${name}`,
        CreateDate: new Date(u.createdAt),
      })),
      ...more,
    };
  },
  ListAttachedUserPolicies(ctx) {
    const u = user(ctx, ctx.params.UserName);
    const { items, more } = page(ctx, u.attachedPolicies);
    return {
      AttachedPolicies: items.map((name) => ({
        PolicyName: name.startsWith('arn:') ? name.split('/').at(-1) : name,
        PolicyArn: name.startsWith('arn:') ? name : `arn:aws:iam::aws:policy/${name}`,
      })),
      ...more,
    };
  },
  ListUserPolicies(ctx) {
    const u = user(ctx, ctx.params.UserName);
    const { items, more } = page(ctx, u.inlinePolicies);
    return { PolicyNames: items, ...more };
  },
  ListRoles(ctx) {
    const { items, more } = page(ctx, state(ctx).roles);
    // ListRoles leaves out RoleLastUsed, tags and the permissions boundary: GetRole has them.
    return { Roles: items.map((r) => roleOf(ctx, r, false)), ...more };
  },
  GetRole(ctx) {
    const r = state(ctx).roles.find((x) => x.name === ctx.params.RoleName);
    if (!r)
      throw new SimError(
        'NoSuchEntity',
        `The role with name ${String(ctx.params.RoleName)} cannot be found.`,
        404,
      );
    return { Role: roleOf(ctx, r, true) };
  },
  ListUserTags(ctx) {
    const u = user(ctx, ctx.params.UserName);
    const { items, more } = page(
      ctx,
      Object.entries(u.tags).map(([Key, Value]) => ({ Key, Value })),
    );
    return { Tags: items, ...more };
  },
  ListMFADevices(ctx) {
    const u = user(ctx, ctx.params.UserName);
    const devices = u.mfa
      ? [
          {
            UserName: u.name,
            SerialNumber: `arn:aws:iam::${ctx.caller.account}:mfa/${u.name}`,
            EnableDate: new Date(u.createdAt),
          },
        ]
      : [];
    const { items, more } = page(ctx, devices);
    return { MFADevices: items, ...more };
  },
  ListAccessKeys(ctx) {
    const u = user(ctx, ctx.params.UserName);
    return {
      AccessKeyMetadata: u.keys.map((k) => ({
        UserName: u.name,
        AccessKeyId: k.id,
        Status: k.active ? 'Active' : 'Inactive',
        CreateDate: new Date(k.createdAt),
      })),
      IsTruncated: false,
    };
  },
  GetAccessKeyLastUsed(ctx) {
    const id = String(ctx.params.AccessKeyId ?? '');
    for (const u of state(ctx).users) {
      const k = u.keys.find((x) => x.id === id);
      if (k) {
        return {
          UserName: u.name,
          AccessKeyLastUsed: {
            LastUsedDate: k.lastUsedAt ? new Date(k.lastUsedAt) : undefined,
            ServiceName: k.lastUsedService ?? 'N/A',
            Region: k.lastUsedRegion ?? 'N/A',
          },
        };
      }
    }
    throw new SimError('AccessDenied', `The access key ${id} does not belong to this account.`, 403);
  },
};
