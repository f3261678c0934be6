import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Metrics } from '../metrics.js';
import { isThrottling } from './errors.js';
import { securityHubRateLimit } from './quotas.js';
import { SecurityHubProtocol } from './securityhub-protocol.js';
import { type Limiter, RateLimiter } from './token-bucket.js';

/** Calls made and throttles met, per target: what the scan summary and the progress bar show. */
export interface CallStats {
  apiCalls: number;
  throttles: number;
  /** The last call attempted, as `service:Operation`: what an error message names. */
  lastCall?: string;
}

export const newStats = (): CallStats => ({ apiCalls: 0, throttles: 0 });

type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** An AWS endpoint, a region and Warden's own credentials, given as values. */
export interface AwsTarget {
  endpoint: string;
  region: string;
  credentials: AwsCredentialIdentity;
}

/**
 * Makes Warden's AWS clients. Endpoints, base credentials and region come from the SDK's standard
 * configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_REGION, the default credential chain).
 * Every client shares one pool of keep-alive sockets, retries in the SDK's standard mode (throttling
 * errors back off from a 500 ms base), and counts its calls. Security Hub calls also wait for a
 * client-side token bucket per account, region and operation, set to AWS's published rates.
 */
export class AwsClients {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private securityHubLimiter: Limiter = new RateLimiter(securityHubRateLimit);

  constructor(
    private readonly options: {
      maxAttempts: number;
      maxSockets: number;
      /**
       * Where AWS is and who Warden is, as values (the demo's simulator); without it the SDK's
       * standard configuration decides (AWS_ENDPOINT_URL, AWS_REGION, the default credential chain).
       */
      target?: AwsTarget;
      /** Counts every attempt and throttle by service and operation. */
      metrics?: Metrics;
    },
  ) {
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  private common(credentials?: Credentials, region?: string) {
    const target = this.options.target;
    const chosen = credentials ?? target?.credentials;
    const where = region ?? target?.region;
    return {
      maxAttempts: this.options.maxAttempts,
      retryMode: 'standard',
      requestHandler: { httpAgent: this.httpAgent, httpsAgent: this.httpsAgent },
      ...(target ? { endpoint: target.endpoint } : {}),
      ...(chosen ? { credentials: chosen } : {}),
      ...(where ? { region: where } : {}),
    };
  }

  /**
   * Security Hub's rate limits from now on kept with other processes' (a bucket in PostgreSQL), so
   * that replicas together stay within AWS's rate for each account and region.
   */
  shareSecurityHubLimits(makeLimiter: (limitFor: typeof securityHubRateLimit) => Limiter): void {
    this.securityHubLimiter = makeLimiter(securityHubRateLimit);
  }

  /** Organizations and STS with Warden's own (management account) credentials. */
  organizations(stats?: CallStats): OrganizationsClient {
    return this.counted(new OrganizationsClient(this.common(undefined, 'us-east-1')), stats);
  }

  sts(stats?: CallStats): STSClient {
    return this.counted(new STSClient(this.common()), stats);
  }

  iam(credentials: Credentials, stats?: CallStats): IAMClient {
    return this.counted(new IAMClient(this.common(credentials, 'us-east-1')), stats);
  }

  securityHub(
    credentials: Credentials,
    account: string,
    region: string,
    stats?: CallStats,
  ): SecurityHubClient {
    const client = new SecurityHubClient({
      ...this.common(credentials, region),
      protocol: new SecurityHubProtocol(),
    });
    return this.counted(client, stats, (operation) =>
      this.securityHubLimiter.bucket(`${account}|${region}|${operation}`, operation),
    );
  }

  /**
   * S3 with Warden's own credentials: the audit anchors. A bucket in another region is followed
   * there; an endpoint given as a value (the simulator) is addressed path-style.
   */
  s3(stats?: CallStats): S3Client {
    const pathStyle = this.options.target ? { forcePathStyle: true } : {};
    return this.counted(new S3Client({ ...this.common(), followRegionRedirects: true, ...pathStyle }), stats);
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private counted<C extends Stackable>(
    client: C,
    stats: CallStats | undefined,
    bucketFor?: (operation: string) => { take(signal?: AbortSignal): Promise<void> } | undefined,
  ): C {
    return counted(client, stats, bucketFor, this.options.metrics);
  }
}

interface Stackable {
  middlewareStack: { add: (...args: never[]) => void };
}

/**
 * Adds a middleware inside the SDK's retry loop, so it runs once per attempt: it waits for the rate
 * limiter, then counts the attempt and any throttling answer.
 */
function counted<C extends Stackable>(
  client: C,
  stats: CallStats | undefined,
  bucketFor: ((operation: string) => { take(signal?: AbortSignal): Promise<void> } | undefined) | undefined,
  metrics: Metrics | undefined,
): C {
  const stack = client.middlewareStack as unknown as {
    add(mw: unknown, options: { step: string; name: string; priority: string }): void;
    remove(name: string): boolean;
  };
  // The SDK's logger middleware walks every response to mask sensitive fields even when nothing is
  // logged; Warden logs its own way, so it goes.
  stack.remove('loggerMiddleware');
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string; clientName?: string }) =>
      async (args: unknown) => {
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        const service = (context.clientName ?? '').replace(/Client$/, '').toLowerCase();
        await bucketFor?.(operation)?.take();
        metrics?.awsCalls.inc({ service, operation });
        if (stats) {
          stats.apiCalls += 1;
          stats.lastCall = `${service}:${operation}`;
        }
        try {
          return await next(args);
        } catch (err) {
          if (isThrottling(err)) {
            metrics?.awsThrottles.inc({ service, operation });
            if (stats) stats.throttles += 1;
          }
          throw err;
        }
      },
    { step: 'deserialize', name: 'wardenCallAccounting', priority: 'high' },
  );
  return client;
}
