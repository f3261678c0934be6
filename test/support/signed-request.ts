import { createHmac } from 'node:crypto';

/** Headers Slack sends with a request: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret. */
export function slackSignature(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

/**
 * Posts a signed body to Warden's endpoint: a form (slash commands; interactions put JSON in
 * `payload`), or JSON (Events API callbacks).
 */
export async function postToSlackEndpoint(
  url: string,
  secret: string,
  form: Record<string, string> | { json: Record<string, unknown> },
  options: { timestamp?: number; signWith?: string } = {},
): Promise<Response> {
  const json = 'json' in form && typeof form.json === 'object';
  const body = json
    ? JSON.stringify((form as { json: unknown }).json)
    : new URLSearchParams(form as Record<string, string>).toString();
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
      ...slackSignature(options.signWith ?? secret, body, options.timestamp),
    },
    body,
  });
}
