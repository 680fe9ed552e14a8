import type { AlertEmailPort } from '../alerts/ports.js';
import type { AlertRecord, DeliveryAttempt } from '../alerts/types.js';
import { maskSecrets } from '../mask.js';
import { type PublicUrl, resolvePublicUrl } from './links.js';
import type { Mailer } from './mailer.js';
import { alertEmail } from './templates/alert.js';

/** Options of `EmailAlertPort`. */
export interface EmailAlertPortOptions {
  /** Sends and retries; the port adds nothing to its retries. */
  mailer: Mailer;
  /** Base URL of this Gatehouse, named in each e-mail. */
  publicUrl: PublicUrl;
  /** Clock for the attempt recorded when a message cannot even be handed to the Mailer. */
  now?: () => Date;
}

/**
 * Sends alerts by e-mail through the Mailer, which retries transient SMTP failures. Never throws
 * for a failed delivery: the result says what happened on every attempt.
 */
export class EmailAlertPort implements AlertEmailPort {
  readonly #mailer: Mailer;
  readonly #publicUrl: PublicUrl;
  readonly #now: () => Date;

  constructor({ mailer, publicUrl, now = () => new Date() }: EmailAlertPortOptions) {
    this.#mailer = mailer;
    this.#publicUrl = publicUrl;
    this.#now = now;
  }

  async send(
    to: string[],
    alert: AlertRecord,
    options: { fallback?: boolean } = {},
  ): Promise<{ ok: boolean; attempts: DeliveryAttempt[]; error?: string }> {
    const at = this.#now().toISOString();
    try {
      const mail = alertEmail(alert, {
        publicUrl: resolvePublicUrl(this.#publicUrl),
        fallback: options.fallback ?? false,
      });
      const result = await this.#mailer.send({ to, ...mail });
      return result.ok
        ? { ok: true, attempts: result.attempts }
        : { ok: false, attempts: result.attempts, ...(result.error ? { error: result.error } : {}) };
    } catch (thrown) {
      // A recipient list that is empty or malformed (a routing mistake) fails this delivery, not
      // the caller: it is recorded as one failed attempt, so the history says why.
      const error = maskSecrets(thrown instanceof Error ? thrown.message : String(thrown));
      return { ok: false, attempts: [{ at, ok: false, error }], error };
    }
  }
}
