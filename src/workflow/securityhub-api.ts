import { DescribeSecurityHubV2Command } from '@aws-sdk/client-securityhub';
import type { CallStats } from '../aws/clients.js';
import type { AssumedRoles } from '../aws/credentials.js';
import { explainAwsError } from '../aws/errors.js';
import type { ScanEnvironment } from './scan.js';

/**
 * Which Security Hub a scan reads the administrator through: CSPM's GetFindings in per-account mode
 * and when configured so; the new Security Hub's GetFindingsV2 when configured so, or (auto) when
 * DescribeSecurityHubV2 on the administrator in the aggregation region finds it on. A refusal or an
 * error of that call falls back to CSPM, logged with the account, region and call: the CSPM read then
 * fails or not on its own.
 */
export async function securityHubApi(
  env: Pick<ScanEnvironment, 'config' | 'clients' | 'log'>,
  roles: AssumedRoles,
  stats: CallStats,
  signal?: AbortSignal,
): Promise<'cspm' | 'v2'> {
  const hub = env.config.aws.securityHub;
  if (hub.mode !== 'aggregator') return 'cspm';
  if (hub.api !== 'auto') return hub.api;
  const at = {
    account: hub.adminAccountId,
    region: hub.aggregationRegion,
    call: 'securityhub:DescribeSecurityHubV2',
  };
  try {
    const credentials = await roles.credentialsFor(hub.adminAccountId);
    const client = env.clients.securityHub(credentials, hub.adminAccountId, hub.aggregationRegion, stats);
    const out = await client.send(
      new DescribeSecurityHubV2Command({}),
      signal ? { abortSignal: signal } : {},
    );
    return out.HubV2Arn ? 'v2' : 'cspm';
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return 'cspm';
    if (signal?.aborted) throw err;
    env.log.warn(
      { err: explainAwsError(err, at).message },
      'could not tell whether the new Security Hub is on; reading Security Hub CSPM',
    );
    return 'cspm';
  }
}
