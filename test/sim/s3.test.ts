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
/** Where Warden's caller policy (deploy/) lets it write and read. */
const PREFIX = 'warden/audit-anchors/';
const DAY = 86_400_000;

beforeAll(async () => {
  const scenario = generateScenario({ accounts: 1, regions: ['us-east-1'], failedPerAccountRegion: 0 });
  scenario.buckets = [{ name: LOCKED, objectLock: true }];
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
  // The same bucket name, created without Object Lock, in a simulator of its own.
  const scenario = generateScenario({ accounts: 1, regions: ['us-east-1'], failedPerAccountRegion: 0 });
  scenario.buckets = [{ name: LOCKED }];
  const plain = await startSimulator(scenario);
  const plainS3 = new S3Client({ ...plain.target, forcePathStyle: true, maxAttempts: 1 });
  try {
    expect(await refusal(plainS3.send(new PutObjectCommand(locked(`${PREFIX}k1`))))).toEqual({
      name: 'InvalidRequest',
      message: 'Bucket is missing Object Lock Configuration',
      status: 400,
    });
  } finally {
    plainS3.destroy();
    await plain.close();
  }
  const past = new Date(Date.now() - DAY);
  expect(
    await refusal(s3.send(new PutObjectCommand(locked(`${PREFIX}k2`, { ObjectLockRetainUntilDate: past })))),
  ).toEqual({
    name: 'InvalidArgument',
    message: 'The retain until date must be in the future!',
    status: 400,
  });
  const noChecksum = client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    const unsummed = locked(`${PREFIX}k3`, { ChecksumAlgorithm: undefined });
    expect(await refusal(noChecksum.send(new PutObjectCommand(unsummed)))).toEqual({
      name: 'InvalidRequest',
      message:
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
      status: 400,
    });
  } finally {
    noChecksum.destroy();
  }
  const missing = await refusal(
    s3.send(new GetObjectCommand({ Bucket: LOCKED, Key: `${PREFIX}missing.json` })),
  );
  expect(missing).toMatchObject({ name: 'NoSuchKey', status: 404 });
  // Outside the anchors' prefix, Warden's own policy allows nothing.
  const outside = await refusal(s3.send(new PutObjectCommand(locked('elsewhere/k4'))));
  expect(outside).toMatchObject({ name: 'AccessDenied', status: 403 });
  expect(outside.message).toContain('because no identity-based policy allows the s3:PutObject action');
});

test('ListObjectsV2 lists a prefix in key order, a page at a time', async () => {
  const list = `${PREFIX}list/`;
  for (const n of [5, 3, 4]) await s3.send(new PutObjectCommand(locked(`${list}00${n}.json`)));
  await s3.send(new PutObjectCommand(locked(`${PREFIX}other/001.json`)));
  const first = await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: list, MaxKeys: 2 }));
  expect(first.Contents!.map((o) => o.Key)).toEqual([`${list}003.json`, `${list}004.json`]);
  expect(first.IsTruncated).toBe(true);
  const token = first.NextContinuationToken;
  const second = await s3.send(
    new ListObjectsV2Command({ Bucket: LOCKED, Prefix: list, MaxKeys: 2, ContinuationToken: token }),
  );
  expect(second.Contents!.map((o) => o.Key)).toEqual([`${list}005.json`]);
  expect(second.IsTruncated).toBe(false);
});
