import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateScenario } from '../../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../../src/sim/server.js';

// The S3 calls the audit anchors make, through the real SDK, answered as S3 answers them: a locked
// object is written once and never replaced, and what S3 refuses the simulator refuses, in S3's words.

let sim: Simulator;
let s3: S3Client;
const LOCKED = 'warden-audit-anchors';
const PLAIN = 'plain-bucket';
const DAY = 86_400_000;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 1, regions: ['us-east-1'], failedPerAccountRegion: 0 });
  scenario.buckets = [{ name: LOCKED, objectLock: true }, { name: PLAIN }];
  sim = await startSimulator(scenario);
  s3 = client();
});
afterAll(async () => {
  s3.destroy();
  await sim.close();
});

function client(options: { requestChecksumCalculation?: 'WHEN_REQUIRED' } = {}) {
  return new S3Client({ ...sim.target, forcePathStyle: true, maxAttempts: 1, ...options });
}

const locked = (key: string, extra: Partial<PutObjectCommandInput> = {}): PutObjectCommandInput => ({
  Bucket: LOCKED,
  Key: key,
  Body: JSON.stringify({ key }),
  IfNoneMatch: '*',
  ObjectLockMode: 'COMPLIANCE',
  ObjectLockRetainUntilDate: new Date(Date.now() + DAY),
  ChecksumAlgorithm: 'SHA256',
  ...extra,
});

async function refusal(send: Promise<unknown>) {
  const err = (await send.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  expect(err, 'the call was expected to be refused').toBeDefined();
  return { name: err!.name, message: err!.message, status: err!.$metadata?.httpStatusCode };
}

test('an object written under Object Lock reads back with its lock, and is never written twice', async () => {
  const put = await s3.send(new PutObjectCommand(locked('warden/audit-anchors/000000000001.json')));
  expect(put.VersionId).toMatch(/^[0-9a-f]{32}$/);
  const got = await s3.send(
    new GetObjectCommand({ Bucket: LOCKED, Key: 'warden/audit-anchors/000000000001.json' }),
  );
  expect(await got.Body!.transformToString()).toBe('{"key":"warden/audit-anchors/000000000001.json"}');
  expect(got.ObjectLockMode).toBe('COMPLIANCE');
  expect(got.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThan(Date.now());
  expect(got.VersionId).toBe(put.VersionId);

  expect(
    await refusal(s3.send(new PutObjectCommand(locked('warden/audit-anchors/000000000001.json')))),
  ).toEqual({
    name: 'PreconditionFailed',
    message: 'At least one of the pre-conditions you specified did not hold',
    status: 412,
  });
  // Without If-None-Match Warden's own policy refuses the write: an anchor never gets a second version.
  const overwrite = await refusal(
    s3.send(
      new PutObjectCommand({ ...locked('warden/audit-anchors/000000000001.json'), IfNoneMatch: undefined }),
    ),
  );
  expect(overwrite).toMatchObject({ name: 'AccessDenied', status: 403 });
  expect(overwrite.message).toMatch(
    /s3:PutObject on resource: "arn:aws:s3:::warden-audit-anchors\/.*with an explicit deny/,
  );
  const still = await s3.send(
    new GetObjectCommand({ Bucket: LOCKED, Key: 'warden/audit-anchors/000000000001.json' }),
  );
  expect(still.VersionId).toBe(put.VersionId);
});

test('S3’s refusals of a locked write, in S3’s words', async () => {
  expect(await refusal(s3.send(new PutObjectCommand({ ...locked('k1'), Bucket: PLAIN })))).toEqual({
    name: 'InvalidRequest',
    message: 'Bucket is missing Object Lock Configuration',
    status: 400,
  });
  expect(
    await refusal(
      s3.send(new PutObjectCommand(locked('k2', { ObjectLockRetainUntilDate: new Date(Date.now() - DAY) }))),
    ),
  ).toEqual({
    name: 'InvalidArgument',
    message: 'The retain until date must be in the future!',
    status: 400,
  });
  const noChecksum = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    expect(
      await refusal(noChecksum.send(new PutObjectCommand(locked('k3', { ChecksumAlgorithm: undefined })))),
    ).toEqual({
      name: 'InvalidRequest',
      message:
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
      status: 400,
    });
  } finally {
    noChecksum.destroy();
  }
  expect(
    await refusal(s3.send(new PutObjectCommand({ ...locked('k4'), Bucket: 'no-such-bucket' }))),
  ).toMatchObject({
    name: 'NoSuchBucket',
    status: 404,
  });
  expect(await refusal(s3.send(new GetObjectCommand({ Bucket: LOCKED, Key: 'missing.json' })))).toMatchObject(
    {
      name: 'NoSuchKey',
      status: 404,
    },
  );
});

test('ListObjectsV2 lists a prefix in key order, a page at a time', async () => {
  for (const n of [5, 3, 4]) await s3.send(new PutObjectCommand(locked(`list/00${n}.json`)));
  await s3.send(new PutObjectCommand(locked('other/001.json')));
  const first = await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: 'list/', MaxKeys: 2 }));
  expect(first.Contents!.map((o) => o.Key)).toEqual(['list/003.json', 'list/004.json']);
  expect(first.IsTruncated).toBe(true);
  const second = await s3.send(
    new ListObjectsV2Command({
      Bucket: LOCKED,
      Prefix: 'list/',
      MaxKeys: 2,
      ContinuationToken: first.NextContinuationToken,
    }),
  );
  expect(second.Contents!.map((o) => o.Key)).toEqual(['list/005.json']);
  expect(second.IsTruncated).toBe(false);
});
