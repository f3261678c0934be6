import { createHmac } from 'node:crypto';

/** Headers Slack sends with a request: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret. */
export function slackSignature(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

/** Posts a signed form body (slash commands; interactions put JSON in `payload`) to Warden's endpoint. */
export async function postToSlackEndpoint(
  url: string,
  secret: string,
  form: Record<string, string>,
  options: { timestamp?: number; signWith?: string } = {},
): Promise<Response> {
  const body = new URLSearchParams(form).toString();
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...slackSignature(options.signWith ?? secret, body, options.timestamp),
    },
    body,
  });
}
