import { afterAll, beforeAll, expect, test } from 'vitest';
import { installJobQueues, SCAN_JOB_TIMING } from '../../src/db/job-queues.js';
import { createLogger } from '../../src/log.js';
import { ScanJobs, type TargetJob } from '../../src/workflow/scan-jobs.js';
import { openEmptyDatabase, type TestDatabase } from '../support/database.js';

// The queues a durable scan runs on: a target job whose every attempt fails is retried as many times
// as the queue allows, then reported to the scan's coordination with its last error (which records
// the target failed and concludes without it), and queueing a scan's targets again adds nothing.

let pg: TestDatabase;
beforeAll(async () => {
  pg = await openEmptyDatabase();
  await installJobQueues(pg.url!);
});
afterAll(async () => {
  await pg.close();
});

const target = (scanId: number, index: number): TargetJob => ({
  scanId,
  index,
  full: true,
  target: {
    source: 'securityhub',
    accountId: '123456789012',
    region: 'us-east-1',
    covers: ['123456789012'],
    aggregator: false,
    cursorScope: undefined,
  },
});

test('a target whose every attempt fails runs out of retries and is reported with its last error; queueing it again adds nothing', async () => {
  const jobs = await ScanJobs.open(pg.url!, createLogger('silent'));
  const attempts = new Map<number, number>();
  try {
    await jobs.work(
      {
        coordinate: async () => {},
        target: async (job) => {
          attempts.set(job.index, (attempts.get(job.index) ?? 0) + 1);
          if (job.index === 1) throw new Error(`attempt ${attempts.get(job.index)} crashed`);
        },
      },
      { targets: 2 },
    );
    await jobs.enqueueTargets([target(7, 0), target(7, 1)], 60);
    await jobs.enqueueTargets([target(7, 0), target(7, 1)], 60);
    let lost: Awaited<ReturnType<ScanJobs['exhaustedTargets']>> = [];
    for (let i = 0; i < 300 && lost.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      lost = await jobs.exhaustedTargets(7);
    }
    const tries = SCAN_JOB_TIMING.targetRetries + 1;
    expect(lost).toEqual([{ index: 1, error: `attempt ${tries} crashed` }]);
    expect(Object.fromEntries(attempts)).toEqual({ 0: 1, 1: tries });
    expect(await jobs.exhaustedTargets(8)).toEqual([]);
  } finally {
    await jobs.stop();
  }
}, 60_000);
