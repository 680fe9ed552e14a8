import nodemailer, { type NodemailerError, type SentMessageInfo, type Transporter } from 'nodemailer';
import pRetry, { AbortError } from 'p-retry';
import { z } from 'zod';
import { type FieldIssue, ValidationError } from '../errors.js';
import { maskSecrets } from '../mask.js';

/** One e-mail to send. */
export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** One try at handing a message to the SMTP server. */
export interface DeliveryAttempt {
  /** ISO 8601 time the attempt started. */
  at: string;
  ok: boolean;
  /** Why it failed, with secrets masked. */
  error?: string;
}

/** The outcome of `Mailer.send`, with every attempt made. */
export interface MailResult {
  ok: boolean;
  messageId?: string;
  attempts: DeliveryAttempt[];
  /** Why delivery failed in the end, with secrets masked. */
  error?: string;
}

export interface MailerOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`; one of `smtpUrl` and `transport` is required. */
  smtpUrl?: string;
  /** A ready nodemailer transport; it wins over `smtpUrl` and the Mailer does not close it. */
  transport?: Transporter;
  /** Sender, `gatehouse@example.com` or `Gatehouse <gatehouse@example.com>`. */
  from: string;
  /** Retries after the first attempt, on transient failures only. Default 4. */
  retries?: number;
  /** Delay before the first retry; it doubles on each one. Default 1000. */
  minTimeoutMs?: number;
  /** Longest delay between two retries. Default 15000. */
  maxTimeoutMs?: number;
  /** Connection, greeting, socket-inactivity and DNS timeout of each attempt. Default 10000. */
  sendTimeoutMs?: number;
  /** Clock for the attempt times. */
  now?: () => Date;
}

export interface SendOptions {
  /** Stops the attempt in flight and any further retry. */
  signal?: AbortSignal;
  /** Called after every attempt, e.g. to log a failure while retries go on. */
  onAttempt?: (attempt: DeliveryAttempt) => void;
}

// Node and nodemailer codes of failures that a later attempt may not meet: the server was down,
// the connection dropped or timed out, the name did not resolve.
const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ESOCKET',
  'ETIMEDOUT',
  'EDNS',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

// "Name <address>" is allowed wherever an address is; only the address itself is checked.
const DISPLAY_FORM = /^[^<>]*<([^<>]+)>$/;
const emailAddress = z.email();
const address = z
  .string()
  .refine((value) => emailAddress.safeParse(DISPLAY_FORM.exec(value.trim())?.[1] ?? value).success, {
    error: (issue) => `Expected an e-mail address, got ${maskSecrets(JSON.stringify(issue.input))}`,
  });

const optionsSchema = z.object({
  smtpUrl: z.string().refine(isSmtpUrl, 'Expected an smtp:// or smtps:// URL').optional(),
  from: address,
  retries: z.number().int().min(0).default(4),
  minTimeoutMs: z.number().min(0).default(1000),
  maxTimeoutMs: z.number().min(0).default(15_000),
  sendTimeoutMs: z.number().positive().default(10_000),
});

const messageSchema = z.object({
  to: z.array(address).min(1, 'Expected at least one recipient'),
  subject: z.string(),
  text: z.string(),
  html: z.string(),
});

/**
 * Sends e-mail over SMTP with nodemailer, retrying transient failures (connection errors,
 * timeouts, 4xx replies) with exponential backoff. One connection per message, no pool: mail is
 * a fallback that sends rarely, and a pool would hold idle connections the server drops anyway.
 */
export class Mailer {
  readonly #transport: Transporter;
  readonly #ownsTransport: boolean;
  readonly #from: string;
  readonly #retry: { retries: number; minTimeout: number; maxTimeout: number };
  readonly #now: () => Date;

  constructor({ transport, now = () => new Date(), ...rest }: MailerOptions) {
    const parsed = optionsSchema.safeParse(rest);
    const issues = parsed.success ? [] : toFieldIssues(parsed.error);
    if (!transport && rest.smtpUrl === undefined) {
      issues.push({ field: 'smtpUrl', message: 'Expected `smtpUrl` or `transport`' });
    }
    if (!parsed.success || issues.length > 0) throw new ValidationError(issues);
    const options = parsed.data;
    this.#from = options.from;
    this.#retry = { retries: options.retries, minTimeout: options.minTimeoutMs, maxTimeout: options.maxTimeoutMs };
    this.#now = now;
    this.#ownsTransport = !transport;
    this.#transport =
      transport ??
      nodemailer.createTransport({
        url: options.smtpUrl,
        pool: false,
        connectionTimeout: options.sendTimeoutMs,
        greetingTimeout: options.sendTimeoutMs,
        socketTimeout: options.sendTimeoutMs,
        dnsTimeout: options.sendTimeoutMs,
      });
  }

  /**
   * Sends `message`, retrying transient failures. Resolves `{ ok: false }` rather than throwing
   * when delivery fails or is aborted; throws a ValidationError for a malformed message.
   */
  async send(message: MailMessage, options: SendOptions = {}): Promise<MailResult> {
    const parsed = messageSchema.safeParse(message);
    if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.error));
    const { signal, onAttempt } = options;
    const attempts: DeliveryAttempt[] = [];
    let delivered: SentMessageInfo | undefined;

    const report = (result: DeliveryAttempt) => {
      attempts.push(result);
      try {
        onAttempt?.(result);
      } catch (error) {
        throw new AbortError(new HookError(error));
      }
    };
    const attempt = async () => {
      const at = this.#now().toISOString();
      let info: SentMessageInfo;
      try {
        info = await this.#transport.sendMail({ from: this.#from, ...parsed.data, signal });
      } catch (error) {
        report({ at, ok: false, error: describeError(error) });
        if (signal?.aborted || !isTransient(error)) throw new AbortError(toError(error));
        throw error;
      }
      delivered = info;
      report({ at, ok: true });
    };

    let failure: unknown;
    try {
      await pRetry(attempt, { ...this.#retry, signal, unref: true });
    } catch (error) {
      if (error instanceof HookError) throw error.cause;
      failure = error;
    }
    // An abort that lands just after the server accepted the message does not undo the delivery.
    if (!delivered) return { ok: false, attempts, error: describeError(signal?.aborted ? signal.reason : failure) };
    return { ok: true, messageId: delivered.messageId, attempts };
  }

  /** Closes the transport the Mailer created; a transport handed in stays open. */
  close(): void {
    if (this.#ownsTransport) this.#transport.close();
  }
}

/** Carries an error thrown by the caller's `onAttempt` out of the retry loop, unretried. */
class HookError extends Error {
  constructor(cause: unknown) {
    super('onAttempt threw', { cause });
  }
}

/** 4xx replies and dropped or refused connections may pass on a later attempt; all else will not. */
function isTransient(error: unknown): boolean {
  const { code, responseCode } = (error ?? {}) as NodemailerError;
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

function isSmtpUrl(value: string): boolean {
  // URL.parse would be shorter but arrived only in Node 20.18.
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return maskSecrets(String(error));
  const code = (error as NodemailerError).code;
  const label = typeof code === 'string' ? code : error.name !== 'Error' ? error.name : '';
  return maskSecrets(label && !error.message.startsWith(label) ? `${label}: ${error.message}` : error.message);
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.reduce<string>(
      (field, key) => (typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${String(key)}` : String(key)),
      '',
    ),
    message: issue.message,
  }));
}
