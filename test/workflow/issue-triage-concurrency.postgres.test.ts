import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { ingestFindings } from '../../src/db/findings.js';
import { issuesLackingTriage } from '../../src/db/issues.js';
import { assignments, auditEvents, findings, suppressions } from '../../src/db/schema.js';
import type { Finding } from '../../src/findings/finding.js';
import { assign, suppress } from '../../src/workflow/triage.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { rootKeyEvaluation } from '../support/findings.js';

// PostgreSQL only: two replicas' scans carrying the same issues' triage at the same moment, each in a
// process of its own. Every finding takes its issue's triage once, with one suppression, one
// assignment and one audit event per issue, whoever gets there first.

let t: TestDatabase;
beforeEach(async () => {
  t = await openTestDatabase();
});
afterEach(async () => {
  await t.close();
});

const ISSUES = 40;
const account = (i: number) => String(100000000000 + i);

/** Security Hub's IAM.4 evaluation of account i's root user in one region. */
const iam4 = (i: number, region: string): Finding => rootKeyEvaluation(account(i), region);

/**
 * Forty issues, each suppressed and assigned by a person in us-east-1, then joined by eu-west-1's copy
 * in one statement that does not carry their triage (as a process stopped before carrying leaves it).
 */
async function issuesLackingTheirTriage(): Promise<string[]> {
  const now = new Date();
  const until = new Date(now.getTime() + 7 * 86_400_000);
  await ingestFindings(t.db, [Array.from({ length: ISSUES }, (_, i) => iam4(i, 'us-east-1'))], 1, now);
  for (const row of await t.db.select().from(findings)) {
    await suppress(t.db, {
      findingId: row.id,
      actor: 'U0OWNER',
      reason: 'break-glass key',
      expiresAt: until,
      maxDays: 90,
      now,
    });
    await assign(t.db, row.id, 'U0FIXER', 'U0OWNER', now);
  }
  const stored = await ingestFindings(
    t.db,
    [Array.from({ length: ISSUES }, (_, i) => iam4(i, 'eu-west-1'))],
    2,
    now,
  );
  expect(stored.lackingTriage).toHaveLength(ISSUES);
  return stored.lackingTriage;
}

const script = new URL('../support/carry-triage.ts', import.meta.url).pathname;

/** Each process's output, line by line, as it comes. */
function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

/**
 * Runs the processes (each `[mode, ...keys]`) together: each is told to start once all are connected.
 * Returns how many findings each carried to.
 */
async function carryInProcesses(...processes: string[][]): Promise<number[]> {
  const children = processes.map((args) =>
    spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, DATABASE_URL: t.url! },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map(lines);
  for (const output of outputs) expect((await output.next()).value).toBe('ready');
  for (const child of children) child.stdin!.write('go\n');
  const carried = await Promise.all(outputs.map(async (output) => Number((await output.next()).value)));
  await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  expect(children.map((child) => child.exitCode)).toEqual(children.map(() => 0));
  return carried;
}

async function expectCarriedOnce() {
  const joined = await t.db.select().from(findings).where(eq(findings.region, 'eu-west-1'));
  expect(joined).toHaveLength(ISSUES);
  for (const row of joined)
    expect(row).toMatchObject({ status: 'suppressed', assignee: 'U0FIXER', statusChangedBy: 'warden:issue' });
  const ids = new Set(joined.map((r) => r.id));
  const carriedSuppressions = (await t.db.select().from(suppressions)).filter((s) => ids.has(s.findingId));
  expect(carriedSuppressions).toHaveLength(ISSUES);
  expect(new Set(carriedSuppressions.map((s) => s.findingId)).size).toBe(ISSUES);
  const carriedAssignments = (await t.db.select().from(assignments)).filter((a) => ids.has(a.findingId));
  expect(carriedAssignments).toHaveLength(ISSUES);
  expect(carriedAssignments.every((a) => a.assignedBy === 'warden:issue')).toBe(true);
  const events = await t.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.action, 'finding.triage-carried'));
  expect(events).toHaveLength(ISSUES);
  expect(new Set(events.map((e) => e.subject)).size).toBe(ISSUES);
  expect(await issuesLackingTriage(t.db)).toEqual([]);
  expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
}

test('two processes carrying the same issues one at a time, in opposite orders, carry each once', async () => {
  const keys = await issuesLackingTheirTriage();
  const carried = await carryInProcesses(['each', ...keys], ['each', ...[...keys].reverse()]);
  // Between them, every joined finding once; each got to some first, so their work did interleave.
  expect(carried[0]! + carried[1]!).toBe(ISSUES);
  expect(Math.min(...carried)).toBeGreaterThan(0);
  await expectCarriedOnce();
});

test("a scan's conclusion and another replica's statement carrying at the same moment carry each issue once", async () => {
  const keys = await issuesLackingTheirTriage();
  const carried = await carryInProcesses(['lacking'], ['all', ...keys]);
  expect(carried[0]! + carried[1]!).toBe(ISSUES);
  await expectCarriedOnce();
});
