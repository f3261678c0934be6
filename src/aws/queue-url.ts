/** The account and region a queue URL names (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueAt(
  url: string,
  fallbackRegion: string,
): { account: string; region: string; name: string } {
  const parsed = new URL(url);
  const [, account = '', name = ''] = parsed.pathname.split('/');
  const region = /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(parsed.hostname)?.[1] ?? fallbackRegion;
  return { account, region, name };
}
