import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';
import { escapeXml, SimError, type WireResponse } from '../protocol.js';
import type { IssuedCredentials, SimWorld } from '../world.js';

/**
 * The S3 calls Warden makes (restXml, path-style): PutObject (with Object Lock and If-None-Match),
 * GetObject and ListObjectsV2, on the scenario's buckets, which are versioned as Object Lock
 * requires. It refuses what S3 refuses, with S3's codes and messages: Object Lock headers on a
 * bucket without Object Lock, or without Content-MD5 or a checksum; a retain-until date in the
 * past; a checksum that does not match the body; If-None-Match on a key that exists. A locked
 * version is never changed: a PUT without If-None-Match adds a version, as S3 does.
 */

export interface SimObjectVersion {
  versionId: string;
  body: Buffer;
  etag: string;
  lastModified: Date;
  contentType: string;
  lock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: Date };
}

export interface SimBucket {
  name: string;
  objectLock: boolean;
  /** Every version of every key, oldest first; the last is the current one. */
  objects: Map<string, SimObjectVersion[]>;
}

/** The IAM actions a call needs (S3's actions are not always named after its operations). */
export const S3_ACTIONS: Record<string, (headers: IncomingHttpHeaders) => string[]> = {
  PutObject: (h) => ['s3:PutObject', ...(h['x-amz-object-lock-mode'] ? ['s3:PutObjectRetention'] : [])],
  GetObject: () => ['s3:GetObject'],
  ListObjectsV2: () => ['s3:ListBucket'],
};

const LIST_MAX_KEYS = 1000;

/** The operation a path-style request names: `PUT /bucket/key` is PutObject, and so on. */
export function s3Operation(
  method: string | undefined,
  url: URL,
): { operation: string; bucket: string; key: string } {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const operation =
    method === 'PUT' && key
      ? 'PutObject'
      : method === 'GET' && key
        ? 'GetObject'
        : method === 'GET' && bucket && url.searchParams.get('list-type') === '2'
          ? 'ListObjectsV2'
          : `${method} ${url.pathname}`;
  return { operation, bucket: decodeURIComponent(bucket), key };
}

export interface S3Request {
  world: SimWorld;
  caller: IssuedCredentials;
  operation: string;
  bucket: string;
  key: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the caller may read retention (GetObject shows the lock only then). */
  mayReadRetention: boolean;
}

export function answerS3(r: S3Request): WireResponse {
  const bucket = r.world.buckets.get(r.bucket);
  if (!bucket) throw new SimError('NoSuchBucket', 'The specified bucket does not exist', 404);
  if (r.operation === 'PutObject') return putObject(r, bucket);
  if (r.operation === 'GetObject') return getObject(r, bucket);
  if (r.operation === 'ListObjectsV2') return listObjects(r, bucket);
  throw new SimError(
    'NotImplemented',
    'A header you provided implies functionality that is not implemented',
    501,
  );
}

function putObject(r: S3Request, bucket: SimBucket): WireResponse {
  const { body, trailers } = decodeChunked(r.headers, r.body);
  const header = (name: string) => trailers[name] ?? (r.headers[name] as string | undefined);
  const mode = header('x-amz-object-lock-mode');
  const until = header('x-amz-object-lock-retain-until-date');
  if (mode || until) {
    if (!bucket.objectLock)
      throw new SimError('InvalidRequest', 'Bucket is missing Object Lock Configuration', 400);
    if (!mode || !until)
      throw new SimError(
        'InvalidArgument',
        'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
        400,
      );
    if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE')
      throw new SimError('InvalidArgument', 'Unknown wormMode directive.', 400);
    const date = new Date(until);
    if (Number.isNaN(date.getTime()))
      throw new SimError('InvalidArgument', 'The retain until date must be provided in ISO 8601 format', 400);
    if (date.getTime() <= r.world.now())
      throw new SimError('InvalidArgument', 'The retain until date must be in the future!', 400);
    const checksummed = header('content-md5') || Object.keys({ ...r.headers, ...trailers }).some(isChecksum);
    if (!checksummed)
      throw new SimError(
        'InvalidRequest',
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
        400,
      );
  }
  checkDigests(header, body);
  const ifNoneMatch = header('if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*')
    throw new SimError(
      'NotImplemented',
      'A header you provided implies functionality that is not implemented',
      501,
    );
  const versions = bucket.objects.get(r.key) ?? [];
  if (ifNoneMatch === '*' && versions.length > 0)
    throw new SimError(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
    );
  const version: SimObjectVersion = {
    versionId: randomUUID().replaceAll('-', ''),
    body,
    etag: `"${createHash('md5').update(body).digest('hex')}"`,
    lastModified: new Date(r.world.now()),
    contentType: header('content-type') ?? 'binary/octet-stream',
    ...(mode && until ? { lock: { mode: mode as 'COMPLIANCE', retainUntil: new Date(until) } } : {}),
  };
  bucket.objects.set(r.key, [...versions, version]);
  return answer(200, { etag: version.etag, 'x-amz-version-id': version.versionId }, '');
}

function getObject(r: S3Request, bucket: SimBucket): WireResponse {
  const current = bucket.objects.get(r.key)?.at(-1);
  if (!current) throw new SimError('NoSuchKey', 'The specified key does not exist.', 404);
  const lock =
    current.lock && r.mayReadRetention
      ? {
          'x-amz-object-lock-mode': current.lock.mode,
          'x-amz-object-lock-retain-until-date': current.lock.retainUntil.toISOString(),
        }
      : {};
  return answer(
    200,
    {
      'content-type': current.contentType,
      etag: current.etag,
      'last-modified': current.lastModified.toUTCString(),
      'x-amz-version-id': current.versionId,
      ...lock,
    },
    current.body,
  );
}

function listObjects(r: S3Request, bucket: SimBucket): WireResponse {
  const q = r.url.searchParams;
  if (q.get('delimiter') !== null)
    throw new SimError(
      'NotImplemented',
      'A header you provided implies functionality that is not implemented',
      501,
    );
  const prefix = q.get('prefix') ?? '';
  const maxKeys = Math.min(Number(q.get('max-keys') ?? LIST_MAX_KEYS), LIST_MAX_KEYS);
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new SimError('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
  const token = q.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64').toString('utf8') : (q.get('start-after') ?? '');
  const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const url = q.get('encoding-type') === 'url';
  const name = (k: string) => escapeXml(url ? encodeURIComponent(k).replaceAll('%2F', '/') : k);
  const contents = page
    .map((k) => {
      const v = bucket.objects.get(k)!.at(-1)!;
      return `<Contents><Key>${name(k)}</Key><LastModified>${v.lastModified.toISOString()}</LastModified><ETag>${escapeXml(v.etag)}</ETag><Size>${v.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  const next = truncated
    ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64')}</NextContinuationToken>`
    : '';
  return answer(
    200,
    { 'content-type': 'application/xml' },
    `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket.name)}</Name><Prefix>${name(prefix)}</Prefix>` +
      `${token ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : ''}<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `${url ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
  );
}

/** S3's error document. */
export function s3Failure(err: SimError, resource: string): WireResponse {
  const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
  return answer(
    err.status,
    { 'content-type': 'application/xml' },
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message>` +
      `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`,
  );
}

function answer(status: number, headers: Record<string, string>, body: string | Buffer): WireResponse {
  return { status, headers: { 'x-amz-request-id': randomUUID(), ...headers }, body };
}

const isChecksum = (name: string) => /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(name);

/** Checks Content-MD5 and a CRC32 or SHA-256 checksum against the body, as S3 does. */
function checkDigests(header: (name: string) => string | undefined, body: Buffer): void {
  const md5 = header('content-md5');
  if (md5 && md5 !== createHash('md5').update(body).digest('base64'))
    throw new SimError('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  const crc = header('x-amz-checksum-crc32');
  if (crc) {
    const expected = Buffer.alloc(4);
    expected.writeUInt32BE(crc32(body));
    if (crc !== expected.toString('base64'))
      throw new SimError('BadDigest', 'The CRC32 you specified did not match the calculated checksum.', 400);
  }
  const sha = header('x-amz-checksum-sha256');
  if (sha && sha !== createHash('sha256').update(body).digest('base64'))
    throw new SimError('BadDigest', 'The SHA256 you specified did not match the calculated checksum.', 400);
}

/**
 * The body of an `aws-chunked` upload (what the SDK sends when a checksum travels in a trailer):
 * `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` … `0\r\n<trailer: value>\r\n\r\n`. Other bodies as sent.
 */
function decodeChunked(
  headers: IncomingHttpHeaders,
  raw: Buffer,
): { body: Buffer; trailers: Record<string, string> } {
  const chunked =
    String(headers['content-encoding'] ?? '').includes('aws-chunked') ||
    String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  if (!chunked) return { body: raw, trailers: {} };
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) throw new SimError('IncompleteBody', 'The request body terminated unexpectedly', 400);
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    at = eol + 2;
    if (size === 0) break;
    parts.push(raw.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}
