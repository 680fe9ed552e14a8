import { type Logger, pino } from 'pino';
import type { Announcement, ApprovalNotifier } from '../approvals/notifier.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { maskSecrets } from '../mask.js';
import type { RecordStore, Versioned } from '../store/types.js';
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
   * Where outcome e-mails are claimed before they are sent (e.g. `store.records('email-outcomes')`),
   * so that `decided` called again — after a restart, or twice at once on two instances — e-mails
   * the outcome once. Without it, it may e-mail it more than once.
   */
  outcomes?: RecordStore<OutcomeClaim>;
  logger?: Logger;
  clock?: Clock;
  newNonce?: () => string;
  /** Approvers' own addresses where known (looked up in Slack while it was reachable). */
  approverEmails?: (userIds: string[]) => Promise<string[]>;
}

/** How long a sent outcome is remembered: well past any restart that could repeat it. */
/** A claim older than this was left by a sender that died: another may send the e-mail. */
const STALE_CLAIM_MS = 5 * 60_000;

/** An outcome e-mail claimed (being sent) or sent. */
export interface OutcomeClaim extends Versioned {
  state: 'sending' | 'sent';
  at: string;
}

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
  private readonly outcomes: RecordStore<OutcomeClaim> | undefined;
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
    if (!(await this.claimOutcome(record.id))) return;
    const content = approvalOutcomeEmail(record, { publicUrl: this.publicUrl });
    const result = await this.mailer.send({ to: this.to, ...content }).catch((error: unknown) => ({
      ok: false as const,
      error: error instanceof Error ? error.message : String(error),
    }));
    if (!result.ok) {
      // Released, so the retry of whoever calls again can send it.
      await this.outcomes?.delete(record.id);
      throw new Error(`could not e-mail the outcome of approval ${record.id}: ${result.error}`);
    }
    await this.outcomes?.update(record.id, (claim) => ({ ...claim, state: 'sent' }));
  }

  /**
   * Claims the outcome e-mail of `id` by insert-if-absent: true when this call is to send it. A
   * claim still being sent elsewhere is an error (the caller retries later), unless it is so old
   * that its sender must have died.
   */
  private async claimOutcome(id: string): Promise<boolean> {
    if (!this.outcomes) return true;
    const at = new Date(this.clock.now()).toISOString();
    const { record, created } = await this.outcomes.insert({ id, version: 1, state: 'sending', at });
    if (created) return true;
    if (record.state === 'sent') return false;
    if (this.clock.now() - Date.parse(record.at) < STALE_CLAIM_MS) {
      throw new Error(`the outcome e-mail of approval ${id} is being sent elsewhere`);
    }
    return this.outcomes.replace({ ...record, at, version: record.version + 1 }, record.version);
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
