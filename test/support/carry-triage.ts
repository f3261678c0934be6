// A separate process that carries issues' triage in the database at DATABASE_URL, as a replica's
// scan does: `carry-triage.ts <each|all|lacking> <key>...`. `each` carries the issues one
// transaction at a time, in the order given; `all` in one transaction; `lacking` carries what
// `issuesLackingTriage` finds, as a scan's conclusion does. Once connected it prints `ready` and
// starts on the first line it reads, so that processes started together begin their work together
// however long each took to start; then prints how many findings it carried triage to.
import { sql } from 'drizzle-orm';
import { postgresHandle, rawRows } from '../../src/db/client.js';
import { issuesLackingTriage } from '../../src/db/issues.js';
import { carryIssueTriage } from '../../src/workflow/issue-triage.js';

const [mode, ...keys] = process.argv.slice(2);
const handle = postgresHandle(process.env.DATABASE_URL!, { max: 1 });
await rawRows(handle.db, sql`select 1`);
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
const now = new Date();
let carried = 0;
const count = (c: Awaited<ReturnType<typeof carryIssueTriage>>) => {
  for (const entry of c) carried += entry.findings.length;
};
if (mode === 'each') for (const key of keys) count(await carryIssueTriage(handle.db, [key], now));
else if (mode === 'all') count(await carryIssueTriage(handle.db, keys, now));
else count(await carryIssueTriage(handle.db, await issuesLackingTriage(handle.db), now));
await handle.close();
process.stdout.write(`${carried}\n`);
