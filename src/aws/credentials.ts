import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { explainAwsError, TargetError } from './errors.js';
import type { Partition } from './partition.js';

/** Credentials are refreshed this long before they expire, so no call starts with a dying session. */
const REFRESH_BEFORE_MS = 5 * 60_000;
/** A refusal is remembered this long, so one scan asks once per account rather than once per region. */
const REFUSAL_TTL_MS = 5 * 60_000;

export interface RoleSpec {
  /** `WardenAudit` or `WardenRemediation`. */
  name: string;
  externalId: string | undefined;
  /** Identifies Warden in CloudTrail: `warden-audit`, `warden-remediation-<request id>`. */
  sessionName: string;
  /** The accounts' partition, which their role ARNs name. */
  partition: Partition;
  durationSeconds?: number;
}

/** The read-only audit role, as every scan, plan and verification assumes it. */
export const auditRoleSpec = (
  role: { name: string; externalId: string | undefined },
  partition: Partition,
): RoleSpec => ({ name: role.name, externalId: role.externalId, sessionName: 'warden-audit', partition });

/** A writing role, in a session named for what it does (`warden-triage`, `warden-remediation-7`). */
export const roleSession = (
  role: { name: string; externalId: string | undefined },
  sessionName: string,
  partition: Partition,
): RoleSpec => ({ name: role.name, externalId: role.externalId, sessionName, partition });

export const roleArn = (partition: Partition, account: string, roleName: string) =>
  `arn:${partition}:iam::${account}:role/${roleName}`;

interface CachedCredentials {
  credentials: AwsCredentialIdentity | Promise<AwsCredentialIdentity>;
  /** When to assume the role again: shortly before the credentials expire, or once a refusal is old. */
  until: number;
}

/**
 * Assumes one role in many accounts and caches each account's credentials until shortly before they
 * expire. Concurrent requests for the same account share one AssumeRole call.
 */
export class AssumedRoles {
  /**
   * By account: the credentials once assumed (kept without their expiry, which `until` holds), the
   * call while it runs or its refusal. Kept across scans, 1.2 KB an account with its session token.
   */
  private readonly cache = new Map<string, CachedCredentials>();

  constructor(
    private readonly sts: STSClient,
    private readonly role: RoleSpec,
    private readonly now: () => number = Date.now,
  ) {}

  credentialsFor(account: string): Promise<AwsCredentialIdentity> {
    const cached = this.cache.get(account);
    if (cached && cached.until > this.now()) return Promise.resolve(cached.credentials);
    const assumed = this.assume(account);
    const entry: CachedCredentials = { credentials: assumed, until: Number.POSITIVE_INFINITY };
    this.cache.set(account, entry);
    assumed.then(
      ({ expiration, ...credentials }) => {
        entry.credentials = credentials;
        entry.until = (expiration?.getTime() ?? this.now() + 15 * 60_000) - REFRESH_BEFORE_MS;
      },
      () => {
        entry.until = this.now() + REFUSAL_TTL_MS;
      },
    );
    return assumed;
  }

  // The shared call takes no caller's abort signal: one target timing out must not fail the others.
  private async assume(account: string): Promise<AwsCredentialIdentity> {
    const arn = roleArn(this.role.partition, account, this.role.name);
    const where = { account, region: 'global', call: 'sts:AssumeRole' };
    try {
      const out = await this.sts.send(
        new AssumeRoleCommand({
          RoleArn: arn,
          RoleSessionName: this.role.sessionName,
          DurationSeconds: this.role.durationSeconds ?? 3600,
          ...(this.role.externalId ? { ExternalId: this.role.externalId } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'AccessDenied' || name === 'AccessDeniedException') {
        throw new TargetError(
          'role-denied',
          where,
          `cannot assume ${arn}: the role is missing or does not trust Warden (${name}). Create it from the policies in deploy/, or check its trust policy and external id.`,
          { cause: err },
        );
      }
      throw explainAwsError(err, where);
    }
  }
}
