import type { webApi } from '@slack/bolt';
import type { SlackConfig } from '../config.js';
import { type DatabaseTarget, describeDatabaseError } from '../db/errors.js';
import type { Logger } from '../log.js';
import { tell } from './interactions/tell.js';
import { respondVia } from './respond.js';

/** The Web API method a failed call was made to, recorded on the error by `WardenWebClient`. */
export const FAILED_METHOD = Symbol('slack method');

interface SlackErrorShape {
  code?: string;
  message?: string;
  data?: { error?: string; response_metadata?: { messages?: string[] } };
  original?: unknown;
  originals?: unknown[];
  [FAILED_METHOD]?: string;
}

/** The error a listener threw, under Bolt's wrappers (UnknownError, MultipleListenerError). */
function rootOf(error: unknown): SlackErrorShape {
  let e = error as SlackErrorShape;
  for (let i = 0; i < 5 && e; i++) {
    if (e.originals?.length) e = e.originals[0] as SlackErrorShape;
    else if (e.original && !e.data) e = e.original as SlackErrorShape;
    else break;
  }
  return e ?? {};
}

export interface HandlerFailure {
  /** The Web API method that failed, when a Slack call failed. */
  method?: string;
  /** Slack's error string (`invalid_arguments`), when Slack answered one. */
  slackError?: string;
  /** Slack's explanation, first line only (`[ERROR] must define submit …`). */
  detail?: string;
  /** One line for a person: what failed, never a secret or a query. */
  summary: string;
}

/** What failed in a handler, in one line a person can act on. */
export function describeHandlerFailure(error: unknown, database?: DatabaseTarget): HandlerFailure {
  const e = rootOf(error);
  const method = e[FAILED_METHOD];
  const failedDatabase = describeDatabaseError(e, database);
  if (failedDatabase) return { summary: failedDatabase };
  if (method && e.data?.error) {
    const detail = e.data.response_metadata?.messages?.[0];
    return {
      method,
      slackError: e.data.error,
      ...(detail ? { detail } : {}),
      summary: `Slack answered ${method} with ${e.data.error}${detail ? ` (${detail})` : ''}`,
    };
  }
  if (method) return { method, summary: `Slack could not be reached for ${method}: ${clipLine(e.message)}` };
  return { summary: `an internal error: ${clipLine(e.message)}` };
}

const clipLine = (text: string | undefined) => {
  const line = (text ?? 'unknown').split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
};

/** The parts of a Slack request body that say who asked, and where an answer may go. */
interface RequestBody {
  user_id?: string;
  user?: { id?: string };
  event?: { user?: string };
  response_url?: string;
  response_urls?: Array<{ response_url?: string }>;
}

/**
 * After a handler failed (past its ack, so Slack shows nothing): logs the failure with the method
 * and Slack's error, and tells the person who asked, ephemerally through the response_url when the
 * request had one, else by direct message. A notice that cannot be sent is logged too.
 */
export async function reportHandlerFailure(input: {
  web: webApi.WebClient;
  slack: SlackConfig;
  log: Logger;
  error: unknown;
  body: unknown;
  database?: DatabaseTarget;
}): Promise<void> {
  const failure = describeHandlerFailure(input.error, input.database);
  const body = (input.body ?? {}) as RequestBody;
  const userId = body.user_id ?? body.user?.id ?? body.event?.user;
  input.log.error(
    {
      err: input.error,
      method: failure.method,
      slackError: failure.slackError,
      detail: failure.detail,
      user: userId,
    },
    `a Slack handler failed: ${failure.summary}`,
  );
  if (!userId) return;
  const text = `:warning: Warden could not finish what you asked: ${failure.summary}. Anything it had already changed stands and is shown where it lives; the details are in Warden's log.`;
  const responseUrl = body.response_url ?? body.response_urls?.[0]?.response_url;
  try {
    await tell(input, { userId, respond: respondVia(responseUrl, input.slack) }, text);
  } catch (err) {
    input.log.error({ err, user: userId }, 'could not tell the user that their request failed');
  }
}
