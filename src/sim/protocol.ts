import { randomUUID } from 'node:crypto';

/**
 * The wire protocols the simulated services speak (FACTS.md §2): awsJson1_1 (Organizations) and
 * awsJson1_0 (SQS), awsQuery (STS, IAM) and restJson1 (Security Hub). Handlers return plain objects or throw SimError;
 * this module turns either into the bytes each protocol's SDK parser expects.
 */

export type Protocol = 'json' | 'query' | 'rest-json';

export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** awsQuery's Error/Type. */
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export const QUERY_NAMESPACES: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
};

export function success(
  protocol: Protocol,
  service: string,
  operation: string,
  result: unknown,
): WireResponse {
  const requestId = randomUUID();
  if (protocol === 'query') {
    const ns = QUERY_NAMESPACES[service];
    const body =
      `<${operation}Response xmlns="${ns}"><${operation}Result>${toXml(result)}</${operation}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
    return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
  }
  const contentType = protocol === 'json' ? jsonContentType(service) : 'application/json';
  return {
    status: 200,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId },
    body: JSON.stringify(result ?? {}),
  };
}

export function failure(protocol: Protocol, service: string, err: SimError): WireResponse {
  const requestId = randomUUID();
  if (protocol === 'query') {
    const ns = QUERY_NAMESPACES[service] ?? '';
    const body =
      `<ErrorResponse xmlns="${ns}"><Error><Type>${err.type}</Type><Code>${escapeXml(err.code)}</Code>` +
      `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return {
      status: err.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body,
    };
  }
  if (protocol === 'json' && service === 'sqs') {
    // SQS answers JSON and, for clients written against its query protocol, the query error code.
    // A denial is the service framework's, not SQS's own: AWS answers it as in SQS_ACCESS_DENIED.
    const denied = err.code === SQS_ACCESS_DENIED.code;
    const queryCode = denied ? SQS_ACCESS_DENIED.queryCode : (SQS_QUERY_ERRORS[err.code] ?? err.code);
    const namespace = SQS_QUERY_ERRORS[err.code] ? 'com.amazonaws.sqs' : 'com.amazon.coral.service';
    return {
      status: err.status,
      headers: {
        'content-type': jsonContentType(service),
        'x-amzn-requestid': requestId,
        'x-amzn-query-error': `${queryCode};${err.type}`,
      },
      body: JSON.stringify({
        __type: `${namespace}#${err.code}`,
        [denied ? 'Message' : 'message']: err.message,
      }),
    };
  }
  if (protocol === 'json') {
    return {
      status: err.status,
      headers: { 'content-type': jsonContentType(service), 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: err.code, Message: err.message }),
    };
  }
  return {
    status: err.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': err.code,
      'x-amzn-requestid': requestId,
    },
    body: JSON.stringify({ Code: err.code, Message: err.message }),
  };
}

/**
 * How SQS answers a call its caller's policies do not allow, as recorded from AWS over the JSON
 * protocol (2026-10, a role with no policy calling SendMessage): 403, `x-amzn-query-error:
 * AccessDenied;Sender`, and `{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User:
 * <arn> is not authorized to perform: sqs:sendmessage on resource: <queue arn> because no
 * identity-based policy allows the sqs:sendmessage action"}`: the key is `Message`, and the action is
 * named in lower case.
 */
export const SQS_ACCESS_DENIED = { code: 'AccessDeniedException', queryCode: 'AccessDenied' } as const;

/** SQS's error codes in the query protocol's terms, which its JSON answers also carry (`x-amzn-query-error`). */
export const SQS_QUERY_ERRORS: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  ReceiptHandleIsInvalid: 'ReceiptHandleIsInvalid',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  InvalidParameterValue: 'InvalidParameterValue',
  MissingParameter: 'MissingParameter',
};

/** awsJson1_0 for SQS, awsJson1_1 for Organizations. */
const jsonContentType = (service: string) =>
  service === 'sqs' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Serialises a result the way awsQuery does: lists as `<member>` elements, dates in ISO 8601. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** The throttling answer each service really gives (FACTS.md §1). */
export function throttlingError(service: string, operation = ''): SimError {
  // The new Security Hub's calls (…V2) answer ThrottlingException, CSPM's LimitExceededException (FACTS.md §2, §8).
  if (service === 'securityhub' && operation.endsWith('V2'))
    return new SimError('ThrottlingException', 'Rate exceeded', 429);
  if (service === 'securityhub') return new SimError('LimitExceededException', 'Rate exceeded', 429);
  if (service === 'organizations') {
    return new SimError(
      'TooManyRequestsException',
      'You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.',
      400,
    );
  }
  return new SimError('Throttling', 'Rate exceeded', 400);
}

export function serverError(service: string): SimError {
  if (service === 'securityhub') return new SimError('InternalException', 'Internal service error', 500);
  if (service === 'organizations')
    return new SimError(
      'ServiceException',
      "AWS Organizations can't complete your request because of an internal service error. Try again later.",
      500,
    );
  return new SimError('ServiceUnavailable', 'Service is unavailable', 503);
}
