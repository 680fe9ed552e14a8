import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { FallbackNotifier } from '../approvals/fallback-notifier.js';
import type { ApprovalNotifier } from '../approvals/notifier.js';
import type { MessageRef } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { EmailApprovalNotifier } from '../email/approval-notifier.js';
import type { Mailer } from '../email/mailer.js';
import { SlackApproverDirectory } from '../slack/approver-directory.js';
import { SlackApprovalNotifier } from '../slack/notifier.js';
import type { Store } from '../store/types.js';

/**
 * Slack when configured, e-mail when configured; with both, e-mail is the fallback for requests
 * Slack could not take.
 */
export function approvalNotifier(parts: {
  config: Config;
  slack: App | null;
  mailer: Mailer | null;
  linkSecret: string;
  publicUrl: () => string;
  store: Store;
  logger: Logger;
  clock?: Clock;
  threadFor?: (taskId: string) => Promise<MessageRef | null>;
}): ApprovalNotifier | undefined {
  const { config, slack, mailer, linkSecret, publicUrl, store, logger, clock, threadFor } = parts;
  const directory = slack ? new SlackApproverDirectory(slack.client, store.keyv('approver-emails'), logger) : null;
  const viaSlack = slack
    ? new SlackApprovalNotifier(
        slack.client,
        config.channels.approvals,
        logger,
        threadFor,
        directory ?? undefined,
        () => (clock ?? systemClock).now(),
      )
    : null;
  const viaEmail =
    mailer && config.email && config.email.approvalTo.length > 0
      ? new EmailApprovalNotifier({
          mailer,
          to: config.email.approvalTo,
          publicUrl,
          secret: linkSecret,
          outcomes: store.records('email-outcomes'),
          approverEmails: directory ? (ids) => directory.emailsOf(ids) : undefined,
          logger,
          clock,
        })
      : null;
  if (viaSlack && viaEmail) return new FallbackNotifier({ primary: viaSlack, fallback: viaEmail, logger });
  return viaSlack ?? viaEmail ?? undefined;
}
