import type { FindingRecord } from '../world.js';

/**
 * One page of the records that match, from an offset NextToken (base64url of how many matching
 * records came before), as GetFindings and GetFindingsV2 page. `badToken` is the service's own error.
 */
export function findingPage(
  records: Iterable<FindingRecord>,
  matches: (f: FindingRecord) => boolean,
  rawToken: unknown,
  max: number,
  badToken: () => Error,
): { page: FindingRecord[]; next: string | undefined } {
  let skip = rawToken ? Number(Buffer.from(String(rawToken), 'base64url').toString()) : 0;
  if (!Number.isInteger(skip) || skip < 0) throw badToken();
  const start = skip;
  const page: FindingRecord[] = [];
  let more = false;
  for (const f of records) {
    if (!matches(f)) continue;
    if (skip > 0) {
      skip -= 1;
      continue;
    }
    if (page.length === max) {
      more = true;
      break;
    }
    page.push(f);
  }
  return { page, next: more ? Buffer.from(String(start + page.length)).toString('base64url') : undefined };
}
