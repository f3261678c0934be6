import type { webApi } from '@slack/bolt';
import type { Identity, Standing } from '../workflow/policy.js';

/** How long a Slack user's email is trusted before it is asked again. */
const EMAIL_TTL_MS = 10 * 60_000;

/**
 * Matches Slack users to emails through the Web API (users.info, which needs `users:read.email`),
 * caching each answer for a few minutes so a burst of clicks asks Slack once.
 */
export class SlackDirectory {
  private readonly cache = new Map<
    string,
    { email: string | undefined; standing: Standing; until: number }
  >();
  private readonly groups = new Map<string, { members: Set<string>; until: number }>();
  private readonly byEmail = new Map<string, { userId: string | undefined; until: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  async identify(userId: string): Promise<Identity> {
    const hit = this.cache.get(userId);
    if (hit && hit.until > this.now()) return { userId, email: hit.email, standing: hit.standing };
    const { user } = await this.client.users.info({ user: userId });
    const email = user?.profile?.email;
    // A guest (single- or multi-channel), a deactivated account or a bot is not a full member.
    const standing: Standing = user?.deleted
      ? 'deleted'
      : user?.is_bot || user?.is_app_user
        ? 'bot'
        : user?.is_restricted || user?.is_ultra_restricted
          ? 'guest'
          : 'member';
    this.cache.set(userId, { email, standing, until: this.now() + EMAIL_TTL_MS });
    return { userId, email, standing };
  }

  /** The members of a Slack user group (usergroups.users.list, which needs `usergroups:read`), cached like emails. */
  async groupMembers(groupId: string): Promise<Set<string>> {
    const hit = this.groups.get(groupId);
    if (hit && hit.until > this.now()) return hit.members;
    const out = await this.client.usergroups.users.list({ usergroup: groupId });
    const members = new Set(out.users ?? []);
    this.groups.set(groupId, { members, until: this.now() + EMAIL_TTL_MS });
    return members;
  }

  /**
   * The Slack user a policy entry or owner tag names (a user id, or an email looked up with
   * users.lookupByEmail); undefined when Slack knows nobody by that email.
   */
  async userIdFor(principal: string): Promise<string | undefined> {
    const p = principal.trim();
    if (/^[UW][A-Z0-9]{2,}$/.test(p)) return p;
    const email = p.toLowerCase();
    const hit = this.byEmail.get(email);
    if (hit && hit.until > this.now()) return hit.userId;
    let userId: string | undefined;
    try {
      userId = (await this.client.users.lookupByEmail({ email })).user?.id;
    } catch (err) {
      if ((err as { data?: { error?: string } }).data?.error !== 'users_not_found') throw err;
    }
    this.byEmail.set(email, { userId, until: this.now() + EMAIL_TTL_MS });
    return userId;
  }
}
