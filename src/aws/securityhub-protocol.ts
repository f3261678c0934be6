import {
  DescribeStandardsControls$,
  errorTypeRegistries,
  GetEnabledStandards$,
  GetFindings$,
} from '@aws-sdk/client-securityhub';
import { AwsRestJsonProtocol } from '@aws-sdk/core/protocols';
import { collectBody } from '@smithy/core/protocols';

type DeserializeArgs = Parameters<AwsRestJsonProtocol['deserializeResponse']>;

/**
 * The successful responses read with a plain `JSON.parse`, with what each must still turn from JSON
 * into what the SDK gives: GetFindings' ASFF holds its dates as strings, as the SDK leaves them;
 * DescribeStandardsControls' `ControlStatusUpdatedAt` is a timestamp the SDK makes a Date.
 */
const PLAIN: Record<string, { list: string; revive?: (item: Record<string, unknown>) => void }> = {
  [GetFindings$[2]]: { list: 'Findings' },
  [GetEnabledStandards$[2]]: { list: 'StandardsSubscriptions' },
  [DescribeStandardsControls$[2]]: {
    list: 'Controls',
    revive: (c) => {
      if (typeof c.ControlStatusUpdatedAt === 'string')
        c.ControlStatusUpdatedAt = new Date(c.ControlStatusUpdatedAt);
    },
  },
};

/**
 * Security Hub's own protocol (restJson1), except for how the successful responses a scan reads in
 * bulk are read (GetFindings, and the standards calls a full sync makes for every account and
 * region): with a plain `JSON.parse`. The SDK reads them with a reviver (kept for numbers beyond
 * double precision, which no field Warden reads holds), then copies each item member by member
 * against its schema, walking every one of the schema's members: 1.6 of the 2 ms of CPU a page of 50
 * findings costs (measured on this project's pinned SDK), and a standard's 300 controls the same way.
 * Errors, and every other operation, are read by the SDK as usual; the items come out as the same
 * plain objects (tests compare them with the SDK's).
 */
export class SecurityHubProtocol extends AwsRestJsonProtocol {
  constructor() {
    super({ defaultNamespace: 'com.amazonaws.securityhub', errorTypeRegistries });
  }

  override async deserializeResponse<Output>(...[operation, context, response]: DeserializeArgs) {
    const plain = operation.namespace === GetFindings$[1] ? PLAIN[operation.name] : undefined;
    if (!plain || response.statusCode >= 300)
      return super.deserializeResponse(operation, context, response) as Promise<Output>;
    const body = (await collectBody(response.body, context)).transformToString();
    const data = (body ? JSON.parse(body) : {}) as Record<string, unknown>;
    const items = (data[plain.list] ?? []) as Array<Record<string, unknown>>;
    if (plain.revive) for (const item of items) plain.revive(item);
    return {
      [plain.list]: items,
      ...(data.NextToken ? { NextToken: data.NextToken } : {}),
      $metadata: this.deserializeMetadata(response),
    } as Output;
  }
}
