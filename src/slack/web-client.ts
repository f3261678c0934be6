import { LogLevel, webApi } from '@slack/bolt';
import type { SlackConfig } from '../config.js';
import type { Logger } from '../log.js';
import { FAILED_METHOD } from './failures.js';
import { SlackDirectory } from './identity.js';

/**
 * The Web API client Warden's handlers, jobs and commands use: Slack's own, with SLACK_API_URL
 * applied, whose failed calls carry the method they called, so a failure can be reported as "Slack
 * answered views.open with invalid_arguments" rather than a bare error code. (The client binds its
 * methods to `apiCall` when it is built, so this is a subclass, not a patch of an instance.)
 */
export class WardenWebClient extends webApi.WebClient {
  override async apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<webApi.WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (err) {
      if (err && typeof err === 'object') Object.assign(err, { [FAILED_METHOD]: method });
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
export function slackClients(slack: SlackConfig, log: Logger): SlackClients {
  const web = new WardenWebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    logger: boltLogger(log),
  });
  return { web, directory: new SlackDirectory(web) };
}

/** Bolt's (and the Web API client's) logger interface, backed by Warden's pino logger. */
export function boltLogger(log: Logger): webApi.Logger {
  const child = log.child({ mod: 'slack.bolt' });
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
