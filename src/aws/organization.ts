import {
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import pMap from 'p-map';
import { explainAwsError } from './errors.js';
import { PAGE_LIMITS } from './quotas.js';

export interface DiscoveredAccount {
  id: string;
  name: string;
  email: string | undefined;
  state: string;
  joinedAt: Date | undefined;
  ouId: string;
  /** OU names from the root: `Root/Workloads/Prod`. */
  ouPath: string;
  /** The ids of the account's OU and every OU above it, up to the root (its own OU first). */
  ouAncestors?: string[];
  tags: Record<string, string>;
}

/**
 * Follows NextToken until AWS stops sending one. Organizations may answer an empty page that still
 * carries a NextToken, so an empty page is never taken as the end.
 */
export async function collectPages<T>(
  fetch: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>,
) {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    all.push(...page.items);
    token = page.next;
  } while (token);
  return all;
}

/**
 * Lists the organization's ACTIVE accounts (by `State`; `Status` only when `State` is absent) with
 * their OU path and tags. Needs the management account or a delegated administrator.
 */
export async function discoverAccounts(
  org: OrganizationsClient,
  options: {
    concurrency: number;
    only?: string[];
    /**
     * Placement and tags already known from an earlier discovery: those accounts skip ListParents and
     * ListTagsForResource (an incremental scan passes them; a full scan refreshes everything).
     */
    known?: Map<string, Pick<DiscoveredAccount, 'ouId' | 'ouPath' | 'tags'>>;
  },
): Promise<DiscoveredAccount[]> {
  const where = (call: string) => ({
    account: 'management',
    region: 'global',
    call: `organizations:${call}`,
  });
  const call = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw explainAwsError(err, where(name));
    }
  };

  const roots = await call('ListRoots', () => org.send(new ListRootsCommand({})));
  const root = roots.Roots?.[0];
  if (!root?.Id) throw new Error('organizations:ListRoots returned no root');
  const ouNames = new Map<string, { name: string; parent: string | undefined }>([
    [root.Id, { name: root.Name ?? 'Root', parent: undefined }],
  ]);
  // Walk the OU tree breadth-first (at most 5 levels deep in AWS).
  for (let level = [root.Id]; level.length > 0; ) {
    const next: string[] = [];
    for (const parent of level) {
      const ous = await collectPages(async (token) => {
        const out = await call('ListOrganizationalUnitsForParent', () =>
          org.send(
            new ListOrganizationalUnitsForParentCommand({
              ParentId: parent,
              NextToken: token,
              MaxResults: PAGE_LIMITS.organizationsMaxResults,
            }),
          ),
        );
        return { items: out.OrganizationalUnits ?? [], next: out.NextToken };
      });
      for (const ou of ous) {
        if (!ou.Id) continue;
        ouNames.set(ou.Id, { name: ou.Name ?? ou.Id, parent });
        next.push(ou.Id);
      }
    }
    level = next;
  }
  const ancestorsOf = (id: string): string[] => {
    const ids: string[] = [];
    for (let at: string | undefined = id; at; at = ouNames.get(at)?.parent) ids.push(at);
    return ids;
  };
  const pathOf = (id: string): string =>
    ancestorsOf(id)
      .map((at) => ouNames.get(at)?.name ?? at)
      .reverse()
      .join('/');

  const accounts = await collectPages(async (token) => {
    const out = await call('ListAccounts', () =>
      org.send(
        new ListAccountsCommand({ NextToken: token, MaxResults: PAGE_LIMITS.organizationsMaxResults }),
      ),
    );
    return { items: out.Accounts ?? [], next: out.NextToken };
  });
  const active = accounts.filter(
    (a) => a.Id && (a.State ?? a.Status) === 'ACTIVE' && (!options.only || options.only.includes(a.Id)),
  );

  return pMap(
    active,
    async (a): Promise<DiscoveredAccount> => {
      const id = a.Id!;
      const basics = {
        id,
        name: a.Name ?? id,
        email: a.Email,
        state: a.State ?? a.Status ?? 'ACTIVE',
        joinedAt: a.JoinedTimestamp,
      };
      const known = options.known?.get(id);
      if (known) return { ...basics, ...known, ouAncestors: ancestorsOf(known.ouId) };
      const parents = await call('ListParents', () => org.send(new ListParentsCommand({ ChildId: id })));
      const ouId = parents.Parents?.[0]?.Id ?? root.Id!;
      const tags = await collectPages(async (token) => {
        const out = await call('ListTagsForResource', () =>
          org.send(new ListTagsForResourceCommand({ ResourceId: id, NextToken: token })),
        );
        return { items: out.Tags ?? [], next: out.NextToken };
      });
      return {
        ...basics,
        ouId,
        ouPath: pathOf(ouId),
        ouAncestors: ancestorsOf(ouId),
        tags: Object.fromEntries(tags.filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])),
      };
    },
    { concurrency: options.concurrency },
  );
}
