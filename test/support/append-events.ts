// A separate process that appends audit events to the database at DATABASE_URL: `append-events.ts <count> <actor>`.
import { appendAudit } from '../../src/audit/trail.js';
import { postgresHandle } from '../../src/db/client.js';

const [count, actor] = process.argv.slice(2);
const handle = postgresHandle(process.env.DATABASE_URL!, { max: 1 });
for (let i = 0; i < Number(count); i++) {
  await appendAudit(handle.db, { actor: actor!, action: 'test.append', subject: `n:${i}` });
}
await handle.close();
