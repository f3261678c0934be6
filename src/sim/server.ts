import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { securityHubRateLimit } from '../aws/quotas.js';
import { RateLimiter } from '../aws/token-bucket.js';
import { DEFAULT_EVENTS, eventsHome, routeFindingEvents } from './events.js';
import { asffContext, authorize, type ConditionContext, mayPerform } from './permissions.js';
import {
  failure,
  type Protocol,
  SimError,
  serverError,
  success,
  throttlingError,
  type WireResponse,
} from './protocol.js';
import type { Scenario } from './scenario.js';
import type { Handler } from './services/context.js';
import { iam } from './services/iam.js';
import { organizations } from './services/organizations.js';
import { S3_ACTIONS, answerS3 as s3, s3Failure, s3Operation } from './services/s3.js';
import { securityHubOperation, securityhub } from './services/securityhub.js';
import { ocsfContext, V2_ACTIONS } from './services/securityhub-v2.js';
import { queueArnOf, sqs } from './services/sqs.js';
import { sts } from './services/sts.js';
import { type IssuedCredentials, SimWorld } from './world.js';

const SERVICES: Record<string, { protocol: Protocol; handlers: Record<string, Handler> }> = {
  organizations: { protocol: 'json', handlers: organizations },
  sts: { protocol: 'query', handlers: sts },
  iam: { protocol: 'query', handlers: iam },
  securityhub: { protocol: 'rest-json', handlers: securityhub },
  sqs: { protocol: 'json', handlers: sqs },
};

export interface Simulator {
  /** `http://127.0.0.1:<port>`: what AWS_ENDPOINT_URL should hold. */
  url: string;
  world: SimWorld;
  /** The environment an AWS SDK or CLI process needs to talk to this simulator as the management account. */
  env: Record<string, string>;
  /** The findings events queue's URL (`WARDEN_EVENTS_QUEUE_URL`) when the scenario routes events. */
  queueUrl?: string;
  /** The same as values, for Warden's AWS clients in this process (no environment written). */
  target: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  close(): Promise<void>;
}

export interface SimulatorOptions {
  port?: number;
  now?: () => number;
}

/** SigV4's credential scope: `Credential=<key id>/<date>/<region>/<service>/aws4_request`. */
const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/**
 * Starts the simulated organization on 127.0.0.1. Every call is answered from the account whose
 * access key signed it, in the region of its credential scope. The signature itself is not
 * recomputed (the CLI and the SDK sign different header sets); the key id must be one the
 * simulator issued and not expired.
 */
export async function startSimulator(scenario: Scenario, options: SimulatorOptions = {}): Promise<Simulator> {
  const world = new SimWorld(scenario, options.now);
  routeFindingEvents(world, scenario.events);
  const limits = new RateLimiter(securityHubRateLimit);

  /** The caller a key id names, refused as each protocol refuses an unknown or expired key. */
  function callerOf(keyId: string, protocol: Protocol | 's3'): IssuedCredentials {
    const caller = world.credentials.get(keyId);
    if (!caller) {
      if (protocol === 's3')
        throw new SimError(
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          403,
        );
      const code = protocol === 'query' ? 'InvalidClientTokenId' : 'UnrecognizedClientException';
      throw new SimError(code, 'The security token included in the request is invalid.', 403);
    }
    if (caller.expiresAt !== undefined && caller.expiresAt < world.now()) {
      const message =
        protocol === 's3'
          ? 'The provided token has expired.'
          : 'The security token included in the request is expired';
      throw new SimError('ExpiredToken', message, 400);
    }
    return caller;
  }

  async function answerS3(
    req: IncomingMessage,
    url: URL,
    raw: Buffer,
    auth: RegExpExecArray | null,
  ): Promise<WireResponse> {
    const { operation, bucket, key } = s3Operation(req.method, url);
    const resource = `arn:aws:s3:::${bucket}${key ? `/${key}` : ''}`;
    try {
      if (!auth) throw new SimError('AccessDenied', 'Access Denied', 403);
      const [, keyId, region] = auth as unknown as [string, string, string];
      const caller = callerOf(keyId, 's3');
      world.countCall(operation, caller.account);
      world.logCall({
        service: 's3',
        operation,
        account: caller.account,
        region,
        caller: caller.arn,
        params: { Bucket: bucket, Key: key },
      });
      const actions = S3_ACTIONS[operation]?.(req.headers);
      if (!actions)
        throw new SimError(
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
          501,
        );
      const ifNoneMatch = req.headers['if-none-match'];
      authorize(caller, scenario, 's3', operation, false, {
        actions,
        resource,
        context: { 's3:if-none-match': typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined },
      });
      return s3({
        world,
        caller,
        operation,
        bucket,
        key,
        url,
        headers: req.headers,
        body: raw,
        mayReadRetention: mayPerform(caller, scenario, 's3:GetObjectRetention', resource),
      });
    } catch (err) {
      const e = err instanceof SimError ? err : new SimError('InternalError', (err as Error).message, 500);
      return s3Failure(e, resource);
    }
  }

  async function answer(req: IncomingMessage, raw: Buffer): Promise<WireResponse> {
    const auth = CREDENTIAL.exec(req.headers.authorization ?? '');
    const url = new URL(req.url ?? '/', 'http://sim');
    if (auth?.[3] === 's3') return answerS3(req, url, raw, auth);
    const body = raw.toString('utf8');
    const service = auth?.[3] ?? guessService(req, body);
    const spec = service ? SERVICES[service] : undefined;
    if (!spec || !service) {
      return failure(
        'rest-json',
        '',
        new SimError('UnknownService', `The simulator does not serve ${service ?? 'this request'}`, 400),
      );
    }
    const { protocol } = spec;
    try {
      const params = parseParams(protocol, body);
      const operation = operationOf(protocol, req, url, params);
      const handler = spec.handlers[operation];
      if (!handler)
        throw new SimError('InvalidAction', `The simulator does not implement ${service}:${operation}`, 400);
      if (!auth)
        throw new SimError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      const [, keyId, region] = auth as unknown as [string, string, string];
      const caller = callerOf(keyId, protocol);
      world.countCall(operation, caller.account);
      const { Action: _action, Version: _version, ...logged } = params;
      world.logCall({
        service,
        operation,
        account: caller.account,
        region,
        caller: caller.arn,
        params: logged,
      });
      const faults = scenario.faults ?? {};
      const writesDenied = Boolean(world.account(caller.account)?.spec.faults?.writesDenied);
      authorize(
        caller,
        scenario,
        service,
        operation,
        writesDenied,
        callScope(world, caller, region, service, operation, params),
      );
      if (faults.serverErrorRate && world.random.next() < faults.serverErrorRate) throw serverError(service);
      if (faults.throttleRate && world.random.next() < faults.throttleRate)
        throw throttlingError(service, operation);
      if (service === 'securityhub' && faults.rateLimits !== false) {
        const bucket = limits.bucket(`${caller.account}|${region}|${operation}`, operation);
        if (bucket && !bucket.tryTake()) throw throttlingError(service, operation);
      }
      const result = await handler({
        world,
        caller,
        region,
        params,
        query: url.searchParams,
        path: url.pathname,
      });
      return success(protocol, service, operation, result);
    } catch (err) {
      if (err instanceof SimError) return failure(protocol, service, err);
      return failure(protocol, service, new SimError('InternalFailure', (err as Error).message, 500));
    }
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // The answer leaves `latencyMs` after the request arrived, however long it took to make.
      const due = performance.now() + (scenario.faults?.latencyMs ?? 0);
      answer(req, Buffer.concat(chunks))
        .then(async (r) => {
          const left = due - performance.now();
          if (left > 0) await sleep(left);
          return r;
        })
        .then(
          (r) => {
            res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
            res.end(r.body);
          },
          (err: Error) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(err.message);
          },
        );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Where the simulator is and who calls it, as values; the environment of a process is the same, spelled out.
  const target = {
    endpoint: url,
    region: scenario.regions[0] ?? 'us-east-1',
    credentials: {
      accessKeyId: scenario.callerCredentials.accessKeyId,
      secretAccessKey: scenario.callerCredentials.secretAccessKey,
    },
  };
  const home = eventsHome(scenario);
  return {
    url,
    world,
    target,
    ...(scenario.events
      ? {
          queueUrl: `${url}/${home.account}/${scenario.events.queueName ?? DEFAULT_EVENTS.queueName}`,
        }
      : {}),
    env: {
      AWS_ENDPOINT_URL: target.endpoint,
      AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
      AWS_REGION: target.region,
      AWS_DEFAULT_REGION: target.region,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const queue of world.queues.values()) queue.close();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * What a call acts on, for the policy: an IAM user's ARN (and its tags) when the call names a user,
 * the role AssumeRole names, and the fields a BatchUpdateFindings sets; no particular resource otherwise.
 */
function callScope(
  world: SimWorld,
  caller: IssuedCredentials,
  region: string,
  service: string,
  operation: string,
  params: Record<string, unknown>,
): { actions?: string[]; resource?: string; context?: ConditionContext } {
  if (service === 'sts' && operation === 'AssumeRole') return { resource: String(params.RoleArn ?? '') };
  if (service === 'sqs') {
    // A batch call is authorized as its single-message action (SQS's documented IAM actions).
    const actions = [`sqs:${operation.replace(/Batch$/, '')}`];
    return { actions, resource: queueArnOf({ world, params, region }) };
  }
  if (service === 'securityhub' && operation === 'BatchUpdateFindings')
    return { context: asffContext(params) };
  if (service === 'securityhub' && operation === 'BatchUpdateFindingsV2')
    return { actions: [V2_ACTIONS[operation]!], context: ocsfContext(params) };
  if (service === 'securityhub' && V2_ACTIONS[operation]) return { actions: [V2_ACTIONS[operation]!] };
  if (service === 'iam' && typeof params.UserName === 'string') {
    const user = world.account(caller.account)?.users.find((u) => u.name === params.UserName);
    const tags = Object.fromEntries(
      Object.entries(user?.tags ?? {}).map(([k, v]) => [`iam:ResourceTag/${k}`, v]),
    );
    return {
      resource: `arn:aws:iam::${caller.account}:user/${params.UserName}`,
      context: { 'iam:ResourceTag/warden:protected': undefined, ...tags },
    };
  }
  return {};
}

function guessService(req: IncomingMessage, body: string): string | undefined {
  if (String(req.headers['x-amz-target'] ?? '').startsWith('AWSOrganizationsV20161128.'))
    return 'organizations';
  if (String(req.headers['x-amz-target'] ?? '').startsWith('AmazonSQS.')) return 'sqs';
  if (/Version=2011-06-15/.test(body)) return 'sts';
  if (/Version=2010-05-08/.test(body)) return 'iam';
  return undefined;
}

function parseParams(protocol: Protocol, body: string): Record<string, unknown> {
  if (protocol === 'query') return Object.fromEntries(new URLSearchParams(body));
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new SimError('SerializationException', 'The request body is not valid JSON', 400);
  }
}

function operationOf(
  protocol: Protocol,
  req: IncomingMessage,
  url: URL,
  params: Record<string, unknown>,
): string {
  if (protocol === 'json') return String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  if (protocol === 'query') return String(params.Action ?? '');
  return securityHubOperation(req.method ?? '', url.pathname);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
