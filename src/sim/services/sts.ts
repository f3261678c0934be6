import { STS_LIMITS } from '../../aws/quotas.js';
import { SimError } from '../protocol.js';
import type { Handler } from './context.js';

/** Characters of a session token after its prefix. */
const SESSION_TOKEN_LENGTH = 1000;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export const sts: Record<string, Handler> = {
  AssumeRole(ctx) {
    const { world, caller, params } = ctx;
    const roleArn = String(params.RoleArn ?? '');
    const sessionName = String(params.RoleSessionName ?? '');
    if (!SESSION_NAME.test(sessionName)) {
      throw new SimError(
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
      );
    }
    const duration = Number(params.DurationSeconds ?? 3600);
    if (!(duration >= STS_LIMITS.minDurationSeconds && duration <= STS_LIMITS.maxDurationSeconds)) {
      throw new SimError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }
    const denied = new SimError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new SimError('ValidationError', `${roleArn} is invalid`);
    const [, accountId, roleName] = match as unknown as [string, string, string];
    const account = world.account(accountId);
    const roles = world.scenario.roles;
    const role =
      roleName === roles.audit.name
        ? { key: 'audit' as const, ...roles.audit }
        : roleName === roles.remediation.name
          ? { key: 'remediation' as const, ...roles.remediation }
          : roleName === roles.triage.name
            ? { key: 'triage' as const, ...roles.triage }
            : undefined;
    // The roles trust only the management account, with the external id when one is set.
    if (
      !account ||
      !role ||
      account.spec.roles?.[role.key] === false ||
      account.spec.faults?.assumeRoleDenied ||
      caller.account !== world.scenario.managementAccountId ||
      (role.externalId !== undefined && params.ExternalId !== role.externalId)
    ) {
      throw denied;
    }
    const accessKeyId = `ASIA${world.random.token(16)}`;
    const secretAccessKey = world.random.token(40);
    // STS fixes no size ("typically less than 4096 bytes"); an AssumeRole token is about a kilobyte in
    // practice (not documented), and a client that keeps one per account holds as much.
    const sessionToken = `FQoGZXIvYXdzE${world.random.token(SESSION_TOKEN_LENGTH)}`;
    const expiresAt = world.now() + duration * 1000;
    const roleId = `AROA${world.random.token(17)}`;
    const arn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
    world.credentials.set(accessKeyId, {
      account: accountId,
      arn,
      userId: `${roleId}:${sessionName}`,
      secretAccessKey,
      roleName,
      expiresAt,
    });
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: secretAccessKey,
        SessionToken: sessionToken,
        Expiration: new Date(expiresAt),
      },
      AssumedRoleUser: { AssumedRoleId: `${roleId}:${sessionName}`, Arn: arn },
      PackedPolicySize: 0,
    };
  },
  GetCallerIdentity(ctx) {
    return { UserId: ctx.caller.userId, Account: ctx.caller.account, Arn: ctx.caller.arn };
  },
};
