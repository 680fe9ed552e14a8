import type { webApi } from '@slack/bolt';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { ApproverDirectory } from '../approvals/directory.js';

/** A user-group id (`S0123ABCD`), as `APPROVERS` and requests may list it. */
export const SLACK_GROUP_ID = /^S[A-Z0-9]{2,}$/;

/** How long a group's members are trusted without asking Slack again. */
export const GROUP_MEMBERS_TTL_MS = 60_000;

/** Options of SlackUserGroups. */
export interface SlackUserGroupsOptions {
  client: webApi.WebClient;
  /** Where answers are kept for `ttlMs` (the store's `keyv('slack-user-groups')`), shared by every instance. */
  cache: Keyv;
  logger: Logger;
  ttlMs?: number;
}

/**
 * Slack user groups as approvers: members come from `usergroups.users.list` (scope
 * `usergroups:read`). A decision asks Slack again (`fresh`), so someone removed from the group can
 * no longer decide; the answer is kept a minute for the Home tab and for a decision made while
 * Slack's answer fails, never longer.
 */
export class SlackUserGroups implements ApproverDirectory {
  private readonly ttlMs: number;

  constructor(private readonly options: SlackUserGroupsOptions) {
    this.ttlMs = options.ttlMs ?? GROUP_MEMBERS_TTL_MS;
  }

  isGroup(id: string): boolean {
    return SLACK_GROUP_ID.test(id);
  }

  async membersOf(group: string, { fresh = false }: { fresh?: boolean } = {}): Promise<readonly string[]> {
    const { client, cache, logger } = this.options;
    if (!fresh) {
      const cached = await cache.get<string[]>(group);
      if (cached) return cached;
    }
    try {
      const answer = await client.usergroups.users.list({ usergroup: group });
      const users = (answer.users ?? []).filter((user): user is string => typeof user === 'string');
      await cache.set(group, users, this.ttlMs);
      return users;
    } catch (error) {
      const cached = await cache.get<string[]>(group);
      if (cached) {
        logger.warn({ err: error, group }, 'could not refresh a user group; using the members Slack gave a moment ago');
        return cached;
      }
      throw error;
    }
  }
}
