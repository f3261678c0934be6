import { PAGE_LIMITS } from '../../aws/quotas.js';
import { SimError } from '../protocol.js';
import type { SimAccount } from '../scenario.js';
import type { CallContext, Handler } from './context.js';

const orgArn = (ctx: CallContext) =>
  `arn:aws:organizations::${ctx.world.scenario.managementAccountId}:organization/${ctx.world.scenario.organizationId}`;

function requireManagement(ctx: CallContext): void {
  if (ctx.caller.account !== ctx.world.scenario.managementAccountId) {
    throw new SimError('AccessDeniedException', "You don't have permissions to access this resource.");
  }
}

const token = (start: number) => Buffer.from(JSON.stringify({ start })).toString('base64url');

/**
 * Pages a list the way Organizations does: MaxResults 1–20 and an opaque NextToken. With the
 * `emptyFirstPage` fault the first page is empty but carries a NextToken, as the API documentation
 * warns it may.
 */
function page<T>(ctx: CallContext, items: T[]): { items: T[]; NextToken?: string } {
  const params = ctx.params;
  const max = Number(params.MaxResults ?? PAGE_LIMITS.organizationsMaxResults);
  if (!Number.isInteger(max) || max < 1 || max > PAGE_LIMITS.organizationsMaxResults) {
    throw new SimError(
      'InvalidInputException',
      'You provided a value that does not match the required pattern.',
    );
  }
  if (!params.NextToken && ctx.world.scenario.faults?.emptyFirstPage)
    return { items: [], NextToken: token(0) };
  let start = 0;
  if (params.NextToken) {
    try {
      start = Number(
        (JSON.parse(Buffer.from(String(params.NextToken), 'base64url').toString()) as { start: number })
          .start,
      );
    } catch {
      start = Number.NaN;
    }
  }
  if (!Number.isInteger(start) || start < 0)
    throw new SimError('InvalidInputException', 'The NextToken is invalid.');
  const slice = items.slice(start, start + max);
  return start + max < items.length ? { items: slice, NextToken: token(start + max) } : { items: slice };
}

function accountShape(ctx: CallContext, a: SimAccount) {
  const state = a.state ?? 'ACTIVE';
  return {
    Id: a.id,
    Arn: `arn:aws:organizations::${ctx.world.scenario.managementAccountId}:account/${ctx.world.scenario.organizationId}/${a.id}`,
    Email: a.email ?? `aws+${a.id}@example.com`,
    Name: a.name,
    // `Status` is being retired in favour of `State`; both are sent, as AWS does during the transition.
    Status: state === 'ACTIVE' ? 'ACTIVE' : state === 'SUSPENDED' ? 'SUSPENDED' : 'PENDING_CLOSURE',
    State: state,
    JoinedMethod: 'CREATED',
    JoinedTimestamp: 1_600_000_000,
  };
}

function ouShape(ctx: CallContext, ou: { id: string; name: string }) {
  return {
    Id: ou.id,
    Arn: `arn:aws:organizations::${ctx.world.scenario.managementAccountId}:ou/${ctx.world.scenario.organizationId}/${ou.id}`,
    Name: ou.name,
  };
}

function findOu(ctx: CallContext, id: string) {
  const ou = ctx.world.scenario.ous.find((o) => o.id === id);
  if (!ou)
    throw new SimError(
      'OrganizationalUnitNotFoundException',
      "We can't find an OU with the OrganizationalUnitId that you specified.",
    );
  return ou;
}

export const organizations: Record<string, Handler> = {
  DescribeOrganization(ctx) {
    const s = ctx.world.scenario;
    return {
      Organization: {
        Id: s.organizationId,
        Arn: orgArn(ctx),
        FeatureSet: 'ALL',
        MasterAccountArn: `arn:aws:organizations::${s.managementAccountId}:account/${s.organizationId}/${s.managementAccountId}`,
        MasterAccountId: s.managementAccountId,
        MasterAccountEmail: `aws+${s.managementAccountId}@example.com`,
        AvailablePolicyTypes: [],
      },
    };
  },
  ListAccounts(ctx) {
    requireManagement(ctx);
    const { items, NextToken } = page(ctx, ctx.world.scenario.accounts);
    return { Accounts: items.map((a) => accountShape(ctx, a)), NextToken };
  },
  ListRoots(ctx) {
    requireManagement(ctx);
    const s = ctx.world.scenario;
    return {
      Roots: [
        {
          Id: s.rootId,
          Arn: `arn:aws:organizations::${s.managementAccountId}:root/${s.organizationId}/${s.rootId}`,
          Name: 'Root',
          PolicyTypes: [],
        },
      ],
    };
  },
  ListOrganizationalUnitsForParent(ctx) {
    requireManagement(ctx);
    const parent = String(ctx.params.ParentId ?? '');
    if (parent !== ctx.world.scenario.rootId) findOu(ctx, parent);
    const children = ctx.world.scenario.ous.filter((o) => o.parent === parent);
    const { items, NextToken } = page(ctx, children);
    return { OrganizationalUnits: items.map((o) => ouShape(ctx, o)), NextToken };
  },
  ListParents(ctx) {
    requireManagement(ctx);
    const child = String(ctx.params.ChildId ?? '');
    const account = ctx.world.scenario.accounts.find((a) => a.id === child);
    const parent = account?.parent ?? ctx.world.scenario.ous.find((o) => o.id === child)?.parent;
    if (!parent)
      throw new SimError(
        'ChildNotFoundException',
        "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
      );
    return {
      Parents: [{ Id: parent, Type: parent === ctx.world.scenario.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }],
    };
  },
  DescribeOrganizationalUnit(ctx) {
    requireManagement(ctx);
    return { OrganizationalUnit: ouShape(ctx, findOu(ctx, String(ctx.params.OrganizationalUnitId ?? ''))) };
  },
  ListTagsForResource(ctx) {
    requireManagement(ctx);
    const id = String(ctx.params.ResourceId ?? '');
    const account = ctx.world.scenario.accounts.find((a) => a.id === id);
    if (!account)
      throw new SimError(
        'TargetNotFoundException',
        "We can't find a target with the TargetId that you specified.",
      );
    const tags = Object.entries(account.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    return { Tags: tags };
  },
};
