import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fullScanJob } from '../../jobs/full-scan.js';
import { scanJob } from '../../jobs/scan.js';
import { AwsClients } from '../../src/aws/clients.js';
import { jobRuns, scans } from '../../src/db/schema.js';
import { createLogger } from '../../src/log.js';
import { runtimeOn } from '../../src/runtime.js';
import type { JobDeps } from '../../src/schedule/job.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { servicesOn } from '../../src/services.js';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type ScanHarness, scanHarness } from '../support/scan-harness.js';

// Scheduled scans. The nightly full scan that finds the hourly incremental scan still running waits for it and then
// runs, instead of being skipped until the next night; the hourly scan that finds a scan running is
// skipped (the next hour reads what it missed).

let h: ScanHarness;
let deps: JobDeps;
let clients: AwsClients;
const scenario = generateScenario({ accounts: 6, regions: ['us-east-1'], failedPerAccountRegion: 4 });

beforeAll(async () => {
  h = await scanHarness(scenario, { WARDEN_SCAN_CONCURRENCY: '2' });
  await h.scan({ full: true });
  clients = new AwsClients({ maxAttempts: 3, maxSockets: 8 });
  const runtime = runtimeOn(h.config, h.db.db, { log: createLogger('silent') });
  deps = { ...servicesOn(runtime, { clients }), fullScanRetryMs: 100 };
});
afterAll(async () => {
  clients.destroy();
  await h.close();
});

test('a scheduled full scan waits for the incremental scan under way, then runs', async () => {
  scenario.faults = { ...scenario.faults, latencyMs: 60 };
  const incremental = h.scan({ trigger: 'schedule' });
  // Let the incremental scan take the lease first.
  await expect
    .poll(async () => (await h.db.db.select().from(scans)).some((s) => s.status === 'running'))
    .toBe(true);
  expect(await scanJob.run(deps, new Date())).toEqual({
    skipped: expect.stringMatching(/is already running/),
  });
  const full = fullScanJob.run(deps, new Date());
  const incrementalResult = await incremental;
  scenario.faults = { ...scenario.faults, latencyMs: 0 };
  expect(await full).toBeUndefined();
  const rows = await h.db.db.select().from(scans).orderBy(asc(scans.id));
  const last = rows.at(-1)!;
  expect(last).toMatchObject({ kind: 'full', status: 'completed' });
  expect(last.id).toBeGreaterThan(incrementalResult.scanId);
  // A scan's start time is read just before its row is claimed, so it may precede the other scan's
  // recorded finish by the milliseconds of that claim; it never precedes it by a scan's length.
  const finished = rows.find((r) => r.id === incrementalResult.scanId)!.finishedAt!.getTime();
  expect(last.startedAt.getTime()).toBeGreaterThanOrEqual(finished - 50);
}, 60_000);

test('a full scan that waited too long is recorded as skipped, with why', async () => {
  scenario.faults = { ...scenario.faults, latencyMs: 60 };
  const incremental = h.scan({ trigger: 'schedule' });
  await expect
    .poll(async () => (await h.db.db.select().from(scans)).some((s) => s.status === 'running'))
    .toBe(true);
  expect(await fullScanJob.run({ ...deps, fullScanWaitMs: 300 }, new Date())).toEqual({
    skipped: expect.stringMatching(/is already running/),
  });
  await incremental;
  scenario.faults = { ...scenario.faults, latencyMs: 0 };
}, 60_000);

test('a scheduled scan stopped with Warden (SIGTERM) is recorded cancelled: its run and its scan', async () => {
  const stop = new AbortController();
  const scheduler = new Scheduler({ ...deps, stop: stop.signal }, [scanJob]);
  scenario.faults = { ...scenario.faults, latencyMs: 60 };
  const firing = scheduler.fire(scanJob, new Date('2026-12-01T10:00:00Z'));
  await expect
    .poll(async () => (await h.db.db.select().from(scans)).some((s) => s.status === 'running'))
    .toBe(true);
  stop.abort(new Error('SIGTERM received'));
  expect(await firing).toBe('failed');
  scenario.faults = { ...scenario.faults, latencyMs: 0 };
  const [run] = await h.db.db.select().from(jobRuns).where(eq(jobRuns.job, 'scan'));
  expect(run).toMatchObject({ outcome: 'cancelled', error: 'cancelled: SIGTERM received' });
  const last = (await h.db.db.select().from(scans).orderBy(asc(scans.id))).at(-1)!;
  expect(last).toMatchObject({ status: 'cancelled', trigger: 'schedule' });
}, 60_000);
