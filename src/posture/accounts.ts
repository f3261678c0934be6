import { currentAccounts } from '../db/accounts.js';
import type { Database } from '../db/client.js';
import type { Account } from '../db/schema.js';

/** Edit distance between two short strings (account names and what people type). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * Finds an account by id, name or `alias` tag (case-insensitive). When none matches exactly, returns
 * the closest names instead: those that contain what was typed first, then the nearest by spelling.
 */
export async function findAccount(
  db: Database,
  query: string,
): Promise<{ account: Account } | { account: undefined; closest: Account[] }> {
  const q = query.trim().toLowerCase();
  const all = await currentAccounts(db);
  const exact = all.find(
    (a) => a.id === q || a.name.toLowerCase() === q || a.tags.alias?.toLowerCase() === q,
  );
  if (exact) return { account: exact };
  const scored = all
    .map((a) => {
      const name = a.name.toLowerCase();
      return { a, score: name.includes(q) || a.id.includes(q) ? 0 : 1, d: distance(q, name) };
    })
    .sort((x, y) => x.score - y.score || x.d - y.d || x.a.name.localeCompare(y.a.name));
  return { account: undefined, closest: scored.slice(0, 5).map((s) => s.a) };
}

/** Every current account with its tags: whose owners read it. */
export const knownAccounts = (db: Database): Promise<Account[]> => currentAccounts(db);

/**
 * Finds an organizational unit by its path (`Root/Prod`), its last name (`Prod`) or its id, case
 * aside, among the current accounts' OUs: the OU with every account in it or in the OUs below it.
 * A name that ends two paths is ambiguous: both paths are returned for the person to choose.
 */
export async function findOu(
  db: Database,
  query: string,
): Promise<{ path: string; accounts: Account[] } | { ambiguous: string[] } | undefined> {
  const q = query.trim().toLowerCase().replace(/\/+$/, '');
  if (!q) return undefined;
  const all = await currentAccounts(db);
  const paths = new Set<string>();
  for (const a of all) {
    if (!a.ouPath) continue;
    const parts = a.ouPath.split('/');
    // Every OU on the account's path, from the root down: Root, Root/Prod, Root/Prod/Web.
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      const p = path.toLowerCase();
      if (p === q || p.endsWith(`/${q}`) || (i === parts.length && a.ouId?.toLowerCase() === q))
        paths.add(path);
    }
  }
  if (paths.size > 1) return { ambiguous: [...paths].sort() };
  const [path] = paths;
  if (path === undefined) return undefined;
  const accounts = all.filter((a) => a.ouPath === path || a.ouPath?.startsWith(`${path}/`));
  return { path, accounts };
}
