import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../src/audit/hash.js';
import { REDACTED } from '../../src/audit/redact.js';
import { appendAudit } from '../../src/audit/trail.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { rawRows } from '../../src/db/client.js';
import { auditEvents, findings } from '../../src/db/schema.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { failure } from '../support/errors.js';

let t: TestDatabase;
beforeEach(async () => {
  t = await openTestDatabase();
});
afterEach(async () => {
  await t.close();
});

async function appendSome(n: number) {
  for (let i = 1; i <= n; i++) {
    await appendAudit(t.db, {
      actor: 'U0ALICE',
      action: 'finding.acknowledged',
      subject: `finding:${i}`,
      details: { note: `event ${i}`, nested: { b: 2, a: [1, 'x', null] } },
    });
  }
}

/** Changes one stored event the way only the table's owner can: with the append-only trigger disabled. */
async function tamper(change: ReturnType<typeof sql>) {
  await t.db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
  await t.db.execute(change);
  await t.db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
}

describe('the audit trail', () => {
  test('an empty trail verifies, with the genesis hash as its head', async () => {
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 0, head: GENESIS_HASH, first: 1 });
  });

  test('appended events form a chain that verifies, each pointing at the one before', async () => {
    await appendSome(5);
    const events = await t.db.select().from(auditEvents).orderBy(auditEvents.seq);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, count: 5, head: events[4]!.hash, first: 1 });
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE, and the events stay as they were', async () => {
    await appendSome(2);
    expect(
      await failure(() => t.db.update(auditEvents).set({ actor: 'mallory' }).where(eq(auditEvents.seq, 1))),
    ).toMatch(/append-only: UPDATE is not allowed/);
    expect(await failure(() => t.db.delete(auditEvents).where(eq(auditEvents.seq, 2)))).toMatch(
      /append-only: DELETE is not allowed/,
    );
    expect(await failure(() => t.db.execute(sql`truncate audit_events`))).toMatch(/append-only: TRUNCATE/);
    const actors = await t.db.select({ actor: auditEvents.actor }).from(auditEvents);
    expect(actors).toEqual([{ actor: 'U0ALICE' }, { actor: 'U0ALICE' }]);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  test('an event altered behind the trigger’s back is named by its sequence number', async () => {
    await appendSome(6);
    await tamper(sql`update audit_events set details = '{"note":"nothing happened"}' where seq = 4`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, brokenSeq: 4, count: 3 });
  });

  test('an event rewritten with a freshly computed hash breaks the link from the event after it', async () => {
    await appendSome(6);
    const [third] = await t.db.select().from(auditEvents).where(eq(auditEvents.seq, 3));
    const forged = { ...third!, actor: 'U0MALLORY' };
    await tamper(
      sql`update audit_events set actor = ${forged.actor}, hash = ${eventHash(forged)} where seq = 3`,
    );
    const result = await verifyAuditChain(t.db);
    expect(result).toMatchObject({ ok: false, brokenSeq: 4, count: 3 });
    expect(!result.ok && result.reason).toMatch(/event 3/);
  });

  test('a deleted event is named as missing', async () => {
    await appendSome(5);
    await tamper(sql`delete from audit_events where seq = 2`);
    const result = await verifyAuditChain(t.db);
    expect(result).toMatchObject({ ok: false, brokenSeq: 2 });
    expect(!result.ok && result.reason).toMatch(/missing/);
  });

  test('the head row moves with every append, and not with one that rolls back', async () => {
    const head = async () => {
      const [row] = await rawRows<{ seq: number | string; hash: string }>(
        t.db,
        sql`select seq, hash from audit_chain_head`,
      );
      return { seq: Number(row!.seq), hash: row!.hash };
    };
    expect(await head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    await appendSome(3);
    const last = (await t.db.select().from(auditEvents).orderBy(auditEvents.seq)).at(-1)!;
    expect(await head()).toEqual({ seq: 3, hash: last.hash });
    await expect(
      t.db.transaction(async (tx) => {
        await appendAudit(tx, { actor: 'U0BOB', action: 'finding.suppressed', subject: 'finding:9' });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await head()).toEqual({ seq: 3, hash: last.hash });
  });

  test('an event appended inside a transaction that rolls back is gone with the state change', async () => {
    await appendSome(1);
    await expect(
      t.db.transaction(async (tx) => {
        await appendAudit(tx, { actor: 'U0BOB', action: 'finding.suppressed', subject: 'finding:9' });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await appendSome(1);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, count: 2 });
  });

  test('an event commits together with the state change it records', async () => {
    await t.db.transaction(async (tx) => {
      await tx.insert(findings).values({
        source: 'credential-report',
        externalId: 'fp-1',
        accountId: '111122223333',
        region: 'global',
        resourceId: 'arn:aws:iam::111122223333:root',
        title: 'Root account has access keys',
        severity: 'critical',
        firstSeenAt: new Date(),
        lastSeenAt: new Date(),
      });
      await appendAudit(tx, { actor: 'warden:scan', action: 'finding.opened', subject: 'finding:fp-1' });
    });
    expect(await t.db.$count(findings)).toBe(1);
    expect(await t.db.$count(auditEvents)).toBe(1);
  });

  test('secrets in the details are never stored', async () => {
    const event = await appendAudit(t.db, {
      actor: 'warden:remediate',
      action: 'aws.call',
      subject: 'remediation:1',
      details: {
        operation: 'UpdateAccessKey',
        credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'wJalrXUtnFEMI' },
        sessionToken: 'FwoGZXIvYXdzE',
        params: { UserName: 'alice', Status: 'Inactive' },
      },
    });
    const stored = JSON.stringify(event.details);
    expect(stored).not.toContain('wJalrXUtnFEMI');
    expect(stored).not.toContain('FwoGZXIvYXdzE');
    expect(event.details).toMatchObject({
      credentials: REDACTED,
      sessionToken: REDACTED,
      params: { UserName: 'alice' },
    });
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
