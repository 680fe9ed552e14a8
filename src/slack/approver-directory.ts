import type { webApi } from '@slack/bolt';
import type Keyv from 'keyv';
import type { Logger } from 'pino';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** How long a looked-up address is trusted before it is looked up again. */
const REMEMBER_MS = 30 * 24 * 3600 * 1000;

/**
 * Approvers' e-mail addresses, looked up in Slack (users.info, scope users:read.email) while Slack
 * is reachable and kept in the store, so that a request e-mailed while Slack is down can also go
 * to its approvers.
 */
export class SlackApproverDirectory {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly known: Keyv,
    private readonly logger: Logger,
  ) {}

  /** Looks up the addresses not known yet; failures are logged and skipped. */
  async remember(userIds: string[]): Promise<void> {
    for (const user of new Set(userIds)) {
      // User groups (S…) have no address of their own.
      if (!SLACK_USER_ID.test(user) || (await this.known.get(user))) continue;
      try {
        const answer = await this.client.users.info({ user });
        const email = answer.user?.profile?.email;
        if (email) await this.known.set(user, email, REMEMBER_MS);
      } catch (error) {
        this.logger.warn({ err: error, user }, 'could not look up an approver’s e-mail address');
      }
    }
  }

  /** The known addresses of these users. */
  async emailsOf(userIds: string[]): Promise<string[]> {
    const found = await Promise.all(userIds.map((user) => this.known.get<string>(user)));
    return found.filter((email): email is string => typeof email === 'string');
  }
}
