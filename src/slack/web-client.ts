import { LogLevel, webApi } from '@slack/bolt';
import type { SlackConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FAILED_METHOD } from './failures.js';
import { SlackDirectory } from './identity.js';

/**
 * The Web API client Warden's handlers, jobs and commands use: Slack's own, with SLACK_API_URL
 * applied, whose failed calls carry the method they called, so a failure can be reported as "Slack
 * answered views.open with invalid_arguments" rather than a bare error code. (The client binds its
 * methods to `apiCall` when it is built, so this is a subclass, not a patch of an instance.)
 */
export class WardenWebClient extends webApi.WebClient {
  /** Counts calls and failures by method, when set. */
  metrics: Metrics | undefined;

  override async apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<webApi.WebAPICallResult> {
    this.metrics?.slackCalls.inc({ method });
    try {
      return await super.apiCall(method, options);
    } catch (err) {
      if (err && typeof err === 'object') Object.assign(err, { [FAILED_METHOD]: method });
      const code = (err as { data?: { error?: unknown }; code?: unknown } | undefined)?.data?.error;
      this.metrics?.slackErrors.inc({
        method,
        error:
          typeof code === 'string' ? code.slice(0, 60) : String((err as { code?: unknown })?.code ?? 'error'),
      });
      throw err;
    }
  }
}

/** What Warden holds of Slack: the Web API client and the user directory built on it. */
export interface SlackClients {
  web: webApi.WebClient;
  directory: SlackDirectory;
}

/** Slack's clients for a runtime, logging through Warden's logger. */
export function slackClients(slack: SlackConfig, log: Logger, metrics?: Metrics): SlackClients {
  const web = new WardenWebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    logger: boltLogger(log),
  });
  web.metrics = metrics;
  return { web, directory: new SlackDirectory(web) };
}

/** The same warning (a forged request, say) is logged once per this long, with how many were held back. */
export const REPEAT_WINDOW_MS = 60_000;

/**
 * Bolt's (and the Web API client's) logger interface, backed by Warden's pino logger. Warnings and
 * errors that repeat (Bolt's "Failed to parse and verify the request data" for every forged request)
 * are logged once a minute with a count, so a flood of bad requests cannot fill the logs.
 */
export function boltLogger(log: Logger, now: () => number = Date.now): webApi.Logger {
  const child = log.child({ mod: 'slack.bolt' });
  let level = LogLevel.INFO;
  const seen = new Map<string, { until: number; held: number }>();
  const bounded =
    (write: (obj: object, msg: string) => void) =>
    (...msg: unknown[]) => {
      const text = msg.map(String).join(' ');
      // Grouped by what comes before the details: the message's kind, not its particulars.
      const key = text.split(':')[0]!.slice(0, 100);
      const entry = seen.get(key);
      if (entry && entry.until > now()) {
        entry.held += 1;
        return;
      }
      if (seen.size > 1000) seen.clear();
      seen.set(key, { until: now() + REPEAT_WINDOW_MS, held: 0 });
      write(entry?.held ? { repeated: entry.held } : {}, text);
    };
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: bounded((obj, msg) => child.warn(obj, msg)),
    error: bounded((obj, msg) => child.error(obj, msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
