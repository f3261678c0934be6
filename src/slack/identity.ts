import type { webApi } from '@slack/bolt';
import type { Identity } from '../workflow/policy.js';

/** How long a Slack user's email is trusted before it is asked again. */
const EMAIL_TTL_MS = 10 * 60_000;

/**
 * Matches Slack users to emails through the Web API (users.info, which needs `users:read.email`),
 * caching each answer for a few minutes so a burst of clicks asks Slack once.
 */
export class SlackDirectory {
  private readonly cache = new Map<string, { email: string | undefined; until: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  async identify(userId: string): Promise<Identity> {
    const hit = this.cache.get(userId);
    if (hit && hit.until > this.now()) return { userId, email: hit.email };
    const out = await this.client.users.info({ user: userId });
    const email = out.user?.profile?.email;
    this.cache.set(userId, { email, until: this.now() + EMAIL_TTL_MS });
    return { userId, email };
  }
}
