import { type Logger, pino } from 'pino';
import type { Announcement, ApprovalNotifier } from './notifier.js';
import type { ApprovalRecord } from './types.js';

/** Options of a FallbackNotifier. */
export interface FallbackNotifierOptions {
  /** Tried first for every request (Slack). */
  primary: ApprovalNotifier;
  /** Used when the primary cannot announce a request (e-mail). */
  fallback: ApprovalNotifier;
  logger?: Logger;
}

/**
 * Announces through `primary`, and through `fallback` when the primary throws (it has already
 * retried) or resolves without announcing anywhere. A request already e-mailed is not sent to the
 * fallback again: the gate re-announces at boot every request with no message, and while the
 * primary is still down that must not e-mail the approvers twice.
 *
 * Outcomes go to both notifiers; each shows the outcome only where it showed the request (the
 * Slack notifier updates its message if there is one, the e-mail notifier writes only if the
 * request was e-mailed), and a failure of one never stops the other.
 */
export class FallbackNotifier implements ApprovalNotifier {
  /** The primary is the surface requests belong on; the fallback only stands in while it is down. */
  readonly announcesInMessage = true;
  private readonly primary: ApprovalNotifier;
  private readonly fallback: ApprovalNotifier;
  private readonly logger: Logger;

  constructor({ primary, fallback, logger = pino({ level: 'silent' }) }: FallbackNotifierOptions) {
    this.primary = primary;
    this.fallback = fallback;
    this.logger = logger;
  }

  async requested(record: ApprovalRecord): Promise<Announcement> {
    let failure: unknown;
    try {
      const announcement = await this.primary.requested(record);
      if (announcement.message || announcement.emailedAt) return announcement;
    } catch (error) {
      failure = error;
    }
    if (record.emailedAt) {
      this.logger.warn(
        { err: failure, approvalId: record.id, emailedAt: record.emailedAt },
        'approval still not announced by the primary notifier; it was e-mailed already',
      );
      return {};
    }
    this.logger.warn(
      { err: failure, approvalId: record.id },
      failure
        ? 'primary notifier failed; using the fallback'
        : 'primary notifier announced nothing; using the fallback',
    );
    // The primary announced nothing, so what the fallback reports is the whole announcement.
    return await this.fallback.requested(record);
  }

  async decided(record: ApprovalRecord): Promise<void> {
    const results = await Promise.allSettled([this.primary.decided(record), this.fallback.decided(record)]);
    const failed = results.flatMap((result, index) =>
      result.status === 'rejected' ? [{ notifier: index === 0 ? 'primary' : 'fallback', err: result.reason }] : [],
    );
    for (const { notifier, err } of failed) {
      this.logger.error(
        { err, approvalId: record.id, notifier },
        `the ${notifier} notifier could not show the outcome`,
      );
    }
  }
}
