import { webApi } from '@slack/bolt';
import type { SlackConfig } from '../config.js';
import { FAILED_METHOD } from './failures.js';

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

export function slackWebClient(slack: SlackConfig, logger?: webApi.Logger): WardenWebClient {
  return new WardenWebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    ...(logger ? { logger } : {}),
  });
}
