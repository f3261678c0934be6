import { errorTypeRegistries, GetFindings$, type GetFindingsResponse } from '@aws-sdk/client-securityhub';
import { AwsRestJsonProtocol } from '@aws-sdk/core/protocols';

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
    const body = await bodyText(response.body);
    const data = (body ? JSON.parse(body) : {}) as GetFindingsResponse;
    return {
      Findings: data.Findings ?? [],
      ...(data.NextToken ? { NextToken: data.NextToken } : {}),
      $metadata: this.deserializeMetadata(response),
    } as Output;
  }
}

/** The response body as text: a Node stream from the HTTP handler, or bytes. */
async function bodyText(body: unknown): Promise<string> {
  if (body == null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}
