import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { WardenError } from '../errors.js';

/**
 * The audit trail's head, as published outside the database: CloudTrail keeps digest files the same
 * way. One S3 object per anchored event, written once (If-None-Match) under Object Lock in
 * compliance mode, so that neither Warden's database role nor its AWS credentials can change it.
 */
export interface Anchor {
  /** What the object is, so that a person finding it in a bucket knows. */
  format: 'warden-audit-anchor/1';
  seq: number;
  hash: string;
  /** When the anchored event was appended. */
  eventAt: string;
  publishedAt: string;
}

export interface AnchorPlace {
  bucket: string;
  prefix: string;
}

/** `warden/audit-anchors/000000000042.json`: keys sort in chain order. */
export const anchorKey = (place: AnchorPlace, seq: number) =>
  `${place.prefix}${String(seq).padStart(12, '0')}.json`;

/** A failed S3 call, named with its bucket and key. */
function s3Error(call: string, place: AnchorPlace, key: string | undefined, err: unknown): WardenError {
  const e = err as { name?: string; message?: string };
  const where = `s3://${place.bucket}/${key ?? place.prefix}`;
  return new WardenError('aws', `s3:${call} on ${where}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, {
    cause: err,
  });
}

/**
 * Writes the anchor for its event, locked until `retainUntil`. Returns the new object's version, or
 * `exists` when an anchor for that event is already there (S3 refused with PreconditionFailed).
 */
export async function putAnchor(
  s3: S3Client,
  place: AnchorPlace,
  anchor: Anchor,
  retainUntil: Date,
): Promise<{ key: string; versionId: string | undefined } | 'exists'> {
  const key = anchorKey(place, anchor.seq);
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: place.bucket,
        Key: key,
        Body: JSON.stringify(anchor),
        ContentType: 'application/json',
        // Written once: a second writer (or a forger) gets 412, never a new version of an anchor.
        IfNoneMatch: '*',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: retainUntil,
        // Object Lock requires a checksum of the body.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    return { key, versionId: out.VersionId };
  } catch (err) {
    if ((err as { name?: string }).name === 'PreconditionFailed') return 'exists';
    throw s3Error('PutObject', place, key, err);
  }
}

/** One anchor object: its content and how it is locked (undefined when the caller may not see retention). */
export async function getAnchor(
  s3: S3Client,
  place: AnchorPlace,
  key: string,
): Promise<{ anchor: Anchor; lock: { mode: string; retainUntil: Date | undefined } | undefined }> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }));
    const text = (await out.Body?.transformToString('utf8')) ?? '';
    const anchor = parseAnchor(text);
    if (!anchor) throw new WardenError('aws', `s3://${place.bucket}/${key} is not a Warden audit anchor`);
    return {
      anchor,
      lock: out.ObjectLockMode
        ? { mode: out.ObjectLockMode, retainUntil: out.ObjectLockRetainUntilDate }
        : undefined,
    };
  } catch (err) {
    if (err instanceof WardenError) throw err;
    throw s3Error('GetObject', place, key, err);
  }
}

/** Every anchor key under the prefix, in chain order (ListObjectsV2, a thousand a page). */
export async function listAnchorKeys(s3: S3Client, place: AnchorPlace): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await s3.send(
        new ListObjectsV2Command({
          Bucket: place.bucket,
          Prefix: place.prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of out.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw s3Error('ListObjectsV2', place, undefined, err);
  }
  return keys.sort();
}

function parseAnchor(text: string): Anchor | undefined {
  try {
    const a = JSON.parse(text) as Partial<Anchor>;
    return a.format === 'warden-audit-anchor/1' &&
      Number.isSafeInteger(a.seq) &&
      typeof a.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(a.hash)
      ? (a as Anchor)
      : undefined;
  } catch {
    return undefined;
  }
}
