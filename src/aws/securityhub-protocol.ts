import { errorTypeRegistries, GetFindings$, type GetFindingsResponse } from '@aws-sdk/client-securityhub';
import { AwsRestJsonProtocol } from '@aws-sdk/core/protocols';
import { collectBody } from '@smithy/core/protocols';

type DeserializeArgs = Parameters<AwsRestJsonProtocol['deserializeResponse']>;

/**
 * Security Hub's own protocol (restJson1), except for how a successful GetFindings response is read:
 * with a plain `JSON.parse`. The SDK reads it with a reviver (kept for numbers beyond double
 * precision, which no ASFF field Warden reads holds), then copies each finding member by member
 * against its schema, walking every one of the schema's members: 1.6 of the 2 ms of CPU a page of
 * 50 findings costs (measured on this project's pinned SDK). Errors, and every other operation,
 * are read by the SDK as usual; the findings come out as the same plain objects.
 */
export class SecurityHubProtocol extends AwsRestJsonProtocol {
  constructor() {
    super({ defaultNamespace: 'com.amazonaws.securityhub', errorTypeRegistries });
  }

  override async deserializeResponse<Output>(...[operation, context, response]: DeserializeArgs) {
    const getFindings = operation.namespace === GetFindings$[1] && operation.name === GetFindings$[2];
    if (!getFindings || response.statusCode >= 300)
      return super.deserializeResponse(operation, context, response) as Promise<Output>;
    const body = (await collectBody(response.body, context)).transformToString();
    const data = (body ? JSON.parse(body) : {}) as GetFindingsResponse;
    return {
      Findings: data.Findings ?? [],
      ...(data.NextToken ? { NextToken: data.NextToken } : {}),
      $metadata: this.deserializeMetadata(response),
    } as Output;
  }
}
