import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { type Config, loadConfig } from '../../src/config.js';
import { postgresHandle } from '../../src/db/client.js';
import { jobRuns } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import { runtimeOn } from '../../src/runtime.js';
import type { Job } from '../../src/schedule/job.js';
import { ABANDONED_RUN_MS, Scheduler } from '../../src/schedule/scheduler.js';
import { dayKey, isoWeekKey, previousSlot } from '../../src/schedule/slots.js';
import { servicesOn } from '../../src/services.js';
import { onPostgres, openTestDatabase, type TestDatabase } from '../support/database.js';

// Jobs run on every replica's schedule; the database lets one of them run each slot.

let t: TestDatabase;
let clients: AwsClients;
const extraHandles: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  t = await openTestDatabase();
  clients = new AwsClients({ maxAttempts: 1, maxSockets: 1 });
});
afterEach(async () => {
  for (const h of extraHandles.splice(0)) await h.close();
  clients.destroy();
  await t.close();
});

/** A replica: its own connections on PostgreSQL (the embedded database has one). */
function replica(config: Config, now?: () => Date, jobs: Job[] = []): Scheduler {
  const db = onPostgres ? postgresHandle(t.url!, { max: 2 }) : undefined;
  if (db) extraHandles.push(db);
  const runtime = runtimeOn(config, db?.db ?? t.db, { log: createLogger('silent'), ...(now ? { now } : {}) });
  return new Scheduler(servicesOn(runtime, { clients }), jobs);
}

/** A job that counts its runs (and can be made to hang or fail). */
function countingJob(
  cron: string,
  behaviour: { hang?: Promise<void>; fail?: string; catchUp?: boolean } = {},
) {
  const ran: Date[] = [];
  const job: Job = {
    name: 'counting',
    cron: () => cron,
    catchUp: behaviour.catchUp ?? false,
    async run(_deps, slot) {
      ran.push(slot);
      if (behaviour.hang) await behaviour.hang;
      if (behaviour.fail) throw new Error(behaviour.fail);
      return undefined;
    },
  };
  return { job, ran };
}

const config = loadConfig({ LOG_LEVEL: 'silent' });
const runs = () => t.db.select().from(jobRuns).orderBy(jobRuns.slot);

describe('once per slot', () => {
  test('three schedulers firing the same slot at once: one run, recorded once', async () => {
    const { job, ran } = countingJob('0 * * * *');
    const slot = new Date('2026-11-23T10:00:00Z');
    const results = await Promise.all([1, 2, 3].map(() => replica(config).fire(job, slot)));
    expect(results.sort()).toEqual(['claimed-elsewhere', 'claimed-elsewhere', 'ran']);
    expect(ran).toEqual([slot]);
    expect((await runs()).map((r) => [r.job, r.slot.toISOString(), r.outcome])).toEqual([
      ['counting', slot.toISOString(), 'succeeded'],
    ]);
  });

  test('three schedulers on node-cron’s clock: every slot that fired ran exactly once', async () => {
    const { job, ran } = countingJob('* * * * * *'); // every second (node-cron takes seconds too)
    const schedulers = [1, 2, 3].map(() => replica(config, undefined, [job]));
    for (const s of schedulers) s.start();
    await new Promise((r) => setTimeout(r, 3000));
    await Promise.all(schedulers.map((s) => s.stop()));
    const rows = await runs();
    // A loaded machine may delay a firing past its slot (node-cron then skips it), so at least one.
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(ran.map((d) => d.toISOString()).sort()).toEqual(rows.map((r) => r.slot.toISOString()));
  });

  test('a run cut short by a crash stays visible as running, the next slot runs as usual, and the next start marks it abandoned', async () => {
    let release = () => {};
    const hang = new Promise<void>((r) => {
      release = r;
    });
    const crashed = countingJob('0 * * * *', { hang });
    const slot1 = new Date('2026-11-23T10:00:00Z');
    const slot2 = new Date('2026-11-23T11:00:00Z');
    void replica(config).fire(crashed.job, slot1); // this process "dies" with the run unfinished
    await expect.poll(async () => (await runs()).length).toBe(1);
    const next = countingJob('0 * * * *');
    expect(await replica(config).fire(next.job, slot2)).toBe('ran');
    expect((await runs()).map((r) => r.outcome)).toEqual(['running', 'succeeded']);

    const later = new Date(Date.now() + ABANDONED_RUN_MS + 60_000);
    await replica(config, () => later).catchUp();
    const [first] = await t.db.select().from(jobRuns).where(eq(jobRuns.slot, slot1));
    expect(first).toMatchObject({
      outcome: 'abandoned',
      error: expect.stringMatching(/stopped before it finished/),
    });
    release();
  });

  test('a job that fails is recorded failed, with its error', async () => {
    const { job } = countingJob('0 * * * *', { fail: 'Slack said channel_not_found' });
    expect(await replica(config).fire(job, new Date('2026-11-23T10:00:00Z'))).toBe('failed');
    expect((await runs())[0]).toMatchObject({ outcome: 'failed', error: 'Slack said channel_not_found' });
  });
});

describe('slots every replica missed', () => {
  const weekly = () => countingJob('0 9 * * 1', { catchUp: true });
  const wednesday = () => new Date('2026-11-25T12:00:00Z');

  test('at start, only the latest missed slot of a digest runs, once: never a burst', async () => {
    const { job, ran } = weekly();
    await replica(config, wednesday, [job]).catchUp();
    await replica(config, wednesday, [job]).catchUp();
    expect(ran.map((d) => d.toISOString())).toEqual(['2026-11-23T09:00:00.000Z']);
    expect(await runs()).toHaveLength(1);
  });

  test('with WARDEN_CATCH_UP_DIGESTS=false nothing missed runs', async () => {
    const { job, ran } = weekly();
    await replica(loadConfig({ WARDEN_CATCH_UP_DIGESTS: 'false' }), wednesday, [job]).catchUp();
    expect(ran).toEqual([]);
  });
});

test('slots and periods in a time zone', () => {
  const before = new Date('2026-11-25T12:00:00Z');
  expect(previousSlot('0 9 * * 1', 'UTC', before, 8 * 86_400_000)?.toISOString()).toBe(
    '2026-11-23T09:00:00.000Z',
  );
  expect(previousSlot('0 9 * * 1', 'Asia/Tokyo', before, 8 * 86_400_000)?.toISOString()).toBe(
    '2026-11-23T00:00:00.000Z',
  );
  expect(previousSlot('0 9 * * 1', 'UTC', before, 86_400_000)).toBeUndefined();
  expect(dayKey(new Date('2026-11-23T00:30:00Z'), 'America/New_York')).toBe('2026-11-22');
  expect(isoWeekKey(new Date('2026-11-23T12:00:00Z'), 'UTC')).toBe('2026-W48');
  expect(isoWeekKey(new Date('2027-01-01T12:00:00Z'), 'UTC')).toBe('2026-W53');
  expect(isoWeekKey(new Date('2026-01-01T12:00:00Z'), 'UTC')).toBe('2026-W01');
});
