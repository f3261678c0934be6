import type { RespondArguments, RespondFn } from '@slack/bolt';
import type { SlackConfig } from '../config.js';

/**
 * A respond() for a response_url Warden kept (a modal opened from a message carries it in its
 * private_metadata, since a modal's submission has none). Only Slack's own hooks host (or the Web API
 * host SLACK_API_URL names, for a test double) is trusted, so a stored URL can never send Warden's
 * messages elsewhere.
 */
export function respondVia(url: string | undefined, slack: SlackConfig): RespondFn | undefined {
  if (!url) return undefined;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return undefined;
  }
  const trusted = ['https://hooks.slack.com', ...(slack.apiUrl ? [new URL(slack.apiUrl).origin] : [])];
  if (!trusted.includes(target.origin)) return undefined;
  return async (message: string | RespondArguments) => {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(typeof message === 'string' ? { text: message } : message),
    });
    if (!response.ok) throw new Error(`response_url answered ${response.status}`);
    return response as unknown as Awaited<ReturnType<RespondFn>>;
  };
}
