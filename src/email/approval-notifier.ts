import type Keyv from 'keyv';
import { type Logger, pino } from 'pino';
import type { Announcement, ApprovalNotifier } from '../approvals/notifier.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { maskSecrets } from '../mask.js';
import {
  type DecisionAction,
  decisionUrl,
  newNonce,
  type PublicUrl,
  resolvePublicUrl,
  signDecisionToken,
} from './links.js';
import type { MailMessage, MailResult } from './mailer.js';
import { approvalEmail, approvalOutcomeEmail } from './templates/approval.js';

/** Options of an EmailApprovalNotifier. */
export interface EmailApprovalNotifierOptions {
  /** Sends the messages; a `Mailer` fits. */
  mailer: { send(message: MailMessage): Promise<MailResult> };
  /** Who is asked (`APPROVAL_EMAIL_TO`); each gets an e-mail with links of their own. */
  to: string[];
  /** Base URL of Gatehouse as the approvers reach it (`PUBLIC_URL`); links go to `${publicUrl}/decisions/…`. */
  publicUrl: PublicUrl;
  /** Key the links are signed with (`resolveLinkSecret`). */
  secret: string;
  /**
   * Where sent outcome e-mails are noted (e.g. `store.keyv('email-outcomes')`), so that the gate
   * calling `decided` again after a restart does not e-mail the outcome twice. Without it, it may.
   */
  outcomes?: Keyv;
  logger?: Logger;
  clock?: Clock;
  newNonce?: () => string;
  /** Approvers' own addresses where known (looked up in Slack while it was reachable). */
  approverEmails?: (userIds: string[]) => Promise<string[]>;
}

/** How long a sent outcome is remembered: well past any restart that could repeat it. */
const OUTCOME_MEMORY_MS = 7 * 24 * 3600 * 1000;

/**
 * Asks approvers by e-mail, each with signed links of their own (so the decision names who made
 * it), and tells them the outcome of a request they were e-mailed about.
 */
export class EmailApprovalNotifier implements ApprovalNotifier {
  private readonly mailer: EmailApprovalNotifierOptions['mailer'];
  private readonly to: string[];
  private readonly approverEmails: EmailApprovalNotifierOptions['approverEmails'];
  private readonly publicUrlSource: PublicUrl;
  private readonly secret: string;
  private readonly outcomes: Keyv | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly newNonce: () => string;

  constructor(options: EmailApprovalNotifierOptions) {
    const issues = [];
    if (options.to.length === 0) issues.push({ field: 'to', message: 'Expected `to` to hold at least one address' });
    if (!/^https?:\/\//.test(resolvePublicUrl(options.publicUrl))) {
      issues.push({ field: 'publicUrl', message: 'Expected `publicUrl` to be an http(s) URL' });
    }
    if (options.secret.length < 16)
      issues.push({ field: 'secret', message: 'Expected `secret` of 16 characters or more' });
    if (issues.length > 0) throw new ValidationError(issues);
    this.mailer = options.mailer;
    this.to = [...new Set(options.to)];
    this.approverEmails = options.approverEmails;
    this.publicUrlSource = options.publicUrl;
    this.secret = options.secret;
    this.outcomes = options.outcomes;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.clock = options.clock ?? systemClock;
    this.newNonce = options.newNonce ?? newNonce;
  }

  /**
   * E-mails every recipient; resolves `{ emailedAt }` once at least one accepted delivery, throws
   * when none did (the caller logs it and the request stays un-announced).
   */
  async requested(record: ApprovalRecord): Promise<Announcement> {
    // Announced again at boot (no Slack message yet): what was e-mailed once is not e-mailed twice.
    if (record.emailedAt) return {};
    const approvers = (await this.approverEmails?.(record.approvers).catch(() => [])) ?? [];
    const recipients = [...new Set([...this.to, ...approvers])];
    const results = await Promise.all(
      recipients.map(async (recipient) => ({
        recipient,
        result: await this.mailer.send(this.requestMail(record, recipient)),
      })),
    );
    const failed = results.filter(({ result }) => !result.ok);
    for (const { recipient, result } of failed) {
      this.logger.warn(
        { approvalId: record.id, recipient: maskSecrets(recipient), error: result.error },
        'could not e-mail the approval request',
      );
    }
    if (failed.length === results.length) {
      const reasons = failed.map(({ result }) => result.error ?? 'unknown error').join('; ');
      throw new Error(`could not e-mail approval ${record.id} to any recipient: ${reasons}`);
    }
    return { emailedAt: new Date(this.clock.now()).toISOString() };
  }

  private get publicUrl(): string {
    return resolvePublicUrl(this.publicUrlSource);
  }

  /** Sends a short outcome e-mail when the request had been e-mailed (nothing otherwise). */
  async decided(record: ApprovalRecord): Promise<void> {
    if (!record.emailedAt || record.status === 'pending') return;
    if (await this.outcomes?.has(record.id)) return;
    const content = approvalOutcomeEmail(record, { publicUrl: this.publicUrl });
    const result = await this.mailer.send({ to: this.to, ...content });
    if (!result.ok) throw new Error(`could not e-mail the outcome of approval ${record.id}: ${result.error}`);
    await this.outcomes?.set(record.id, new Date(this.clock.now()).toISOString(), OUTCOME_MEMORY_MS);
  }

  private requestMail(record: ApprovalRecord, recipient: string): MailMessage {
    const link = (action: DecisionAction) =>
      decisionUrl(
        this.publicUrl,
        signDecisionToken(
          { approvalId: record.id, action, expiresAt: record.expiresAt, nonce: this.newNonce(), recipient },
          this.secret,
        ),
      );
    const content = approvalEmail(record, {
      approveUrl: link('approve'),
      rejectUrl: link('reject'),
      publicUrl: this.publicUrl,
    });
    return { to: [recipient], ...content };
  }
}
