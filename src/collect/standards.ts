import { DescribeStandardsControlsCommand, GetEnabledStandardsCommand } from '@aws-sdk/client-securityhub';
import type { SecurityHubCalls } from '../aws/clients.js';
import { PAGE_LIMITS } from '../aws/quotas.js';
import type { StandardRead } from '../findings/compliance.js';

/**
 * A standard's id as control findings name it (`AssociatedStandards[].StandardsId`): its ARN's
 * resource, so `arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0` and
 * CIS v1.2.0's region-less `arn:aws:securityhub:::ruleset/…` both read as the findings say.
 */
export function standardIdOf(standardsArn: string): string {
  const parts = standardsArn.split(':');
  return parts.length < 6 ? standardsArn : parts.slice(5).join(':');
}

/**
 * The standards enabled in the account and region the client calls, each with its controls,
 * enabled or disabled: GetEnabledStandards, then DescribeStandardsControls for each, page by page.
 */
export async function readEnabledStandards(
  client: SecurityHubCalls,
  signal?: AbortSignal,
): Promise<StandardRead[]> {
  const options = signal ? { abortSignal: signal } : {};
  const max = PAGE_LIMITS.securityHubStandardsMaxResults;
  const standards: StandardRead[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(
      new GetEnabledStandardsCommand({ MaxResults: max, NextToken: token }),
      options,
    );
    token = out.NextToken || undefined;
    for (const sub of out.StandardsSubscriptions ?? []) {
      if (!sub.StandardsSubscriptionArn || !sub.StandardsArn) continue;
      standards.push({
        standardId: standardIdOf(sub.StandardsArn),
        subscriptionArn: sub.StandardsSubscriptionArn,
        status: sub.StandardsStatus ?? 'READY',
        controls: [],
      });
    }
  } while (token);
  for (const standard of standards) {
    let next: string | undefined;
    do {
      const out = await client.send(
        new DescribeStandardsControlsCommand({
          StandardsSubscriptionArn: standard.subscriptionArn,
          MaxResults: max,
          NextToken: next,
        }),
        options,
      );
      next = out.NextToken || undefined;
      for (const c of out.Controls ?? []) {
        if (!c.ControlId) continue;
        standard.controls.push({
          controlId: c.ControlId,
          title: c.Title ?? c.ControlId,
          requirements: c.RelatedRequirements ?? [],
          enabled: c.ControlStatus !== 'DISABLED',
          disabledReason: c.DisabledReason ?? null,
        });
      }
    } while (next);
  }
  return standards;
}
