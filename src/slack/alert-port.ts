import { webApi } from '@slack/bolt';
import { digestText } from '../alerts/digest.js';
import { type AlertSlackPort, type DigestView, RateLimitedError, UnreachableError } from '../alerts/ports.js';
import type { AlertRecord } from '../alerts/types.js';
import type { MessageRef } from '../approvals/types.js';
import { alertMessage } from './blocks/index.js';

/** How to reach Slack for alerts: a token (and where), or a client already set up for single attempts. */
export type SlackAlertPortOptions =
  | {
      /** Bot token, `xoxb-…`. */
      token: string;
      /** Web API base URL; Slack's own by default. */
      slackApiUrl?: string;
      /** Time limit of one request. Default 10000. */
      timeoutMs?: number;
      /** Where the client logs; by default only its errors go to the console. */
      logger?: webApi.Logger;
      /** Clock the messages are rendered against. */
      now?: () => Date;
    }
  | {
      /** A client that neither retries nor waits out rate limits (see `createAlertWebClient`). */
      client: webApi.WebClient;
      now?: () => Date;
    };

/** Slack platform errors that say Slack itself is failing for now, not that the request is wrong. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);
const RATE_LIMITED_PLATFORM_ERRORS = new Set(['ratelimited', 'rate_limited']);
/** Waited when Slack says "too many" without saying for how long. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * A WebClient that makes exactly one request per call: no retries, and a 429 is rejected at once
 * with its `Retry-After` instead of being waited out. The AlertManager paces and retries.
 */
export function createAlertWebClient({
  token,
  slackApiUrl,
  timeoutMs = 10_000,
  logger,
}: {
  token: string;
  slackApiUrl?: string;
  timeoutMs?: number;
  logger?: webApi.Logger;
}): webApi.WebClient {
  return new webApi.WebClient(token, {
    ...(slackApiUrl ? { slackApiUrl: `${slackApiUrl.replace(/\/+$/, '')}/` } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    // Every failure is thrown to the AlertManager, which records it; the client need not log it too.
    ...(logger ? { logger } : { logLevel: webApi.LogLevel.ERROR }),
  });
}

/**
 * Posts alerts to Slack and rewrites them in place, one attempt per call. Transient failures
 * throw RateLimitedError (429) or UnreachableError (no connection, timeout, HTTP 5xx, Slack's own
 * internal errors); anything else throws an Error naming Slack's error code.
 */
export class SlackAlertPort implements AlertSlackPort {
  readonly #client: webApi.WebClient;
  readonly #now: () => Date;

  constructor(options: SlackAlertPortOptions) {
    if ('client' in options) {
      this.#client = options.client;
    } else {
      if (!options.token) throw new TypeError('Expected `token` to be a Slack bot token');
      this.#client = createAlertWebClient(options);
    }
    this.#now = options.now ?? (() => new Date());
  }

  async post(channel: string, alert: AlertRecord, options: { threadTs?: string } = {}): Promise<MessageRef> {
    const message = alertMessage(alert, { now: this.#now() });
    let posted: webApi.ChatPostMessageResponse;
    try {
      posted = await this.#client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        attachments: message.attachments,
        unfurl_links: false,
        unfurl_media: false,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      });
    } catch (error) {
      throw toPortError('chat.postMessage', error);
    }
    if (!posted.ts) throw new Error('chat.postMessage answered without a message ts');
    return { channel: posted.channel ?? channel, ts: posted.ts };
  }

  async postDigest(channel: string, digest: DigestView): Promise<MessageRef> {
    let posted: webApi.ChatPostMessageResponse;
    try {
      posted = await this.#client.chat.postMessage({ channel, ...digestMessage(digest), unfurl_links: false });
    } catch (error) {
      throw toPortError('chat.postMessage', error);
    }
    if (!posted.ts) throw new Error('chat.postMessage answered without a message ts');
    return { channel: posted.channel ?? channel, ts: posted.ts };
  }

  async updateDigest(message: MessageRef, digest: DigestView): Promise<void> {
    try {
      await this.#client.chat.update({ channel: message.channel, ts: message.ts, ...digestMessage(digest) });
    } catch (error) {
      throw toPortError('chat.update', error);
    }
  }

  async update(message: MessageRef, alert: AlertRecord): Promise<void> {
    const rendered = alertMessage(alert, { now: this.#now() });
    try {
      await this.#client.chat.update({
        channel: message.channel,
        ts: message.ts,
        text: rendered.text,
        blocks: rendered.blocks,
        attachments: rendered.attachments,
      });
    } catch (error) {
      throw toPortError('chat.update', error);
    }
  }
}

/** A storm digest as one Slack message: its text as a single mrkdwn section (the text is masked and trimmed already). */
function digestMessage(digest: DigestView) {
  const text = digestText(digest).slice(0, 2900);
  return { text: text.split('\n', 1)[0] ?? text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** Maps what the WebClient throws onto the port's contract, by the SDK's error codes. */
function toPortError(method: string, error: unknown): Error {
  if (!(error instanceof Error)) return new Error(`${method} failed: ${String(error)}`);
  const coded = error as Error & {
    code?: unknown;
    retryAfter?: unknown;
    statusCode?: unknown;
    original?: unknown;
    data?: { error?: unknown; response_metadata?: { retryAfter?: unknown } };
  };
  switch (coded.code) {
    case webApi.ErrorCode.RateLimitedError:
      return new RateLimitedError(retryAfterMs(coded.retryAfter));
    case webApi.ErrorCode.RequestError: {
      const reason = coded.original instanceof Error ? coded.original.message : error.message;
      return new UnreachableError(`Slack could not be reached (${method}): ${reason}`, { cause: error });
    }
    case webApi.ErrorCode.HTTPError: {
      const status = typeof coded.statusCode === 'number' ? coded.statusCode : 0;
      if (status >= 500) return new UnreachableError(`Slack answered HTTP ${status} to ${method}`, { cause: error });
      return new Error(`Slack answered HTTP ${status} to ${method}`, { cause: error });
    }
    case webApi.ErrorCode.PlatformError: {
      const code = String(coded.data?.error ?? 'unknown_error');
      if (RATE_LIMITED_PLATFORM_ERRORS.has(code)) {
        return new RateLimitedError(retryAfterMs(coded.data?.response_metadata?.retryAfter));
      }
      if (TRANSIENT_PLATFORM_ERRORS.has(code)) {
        return new UnreachableError(`Slack failed ${method}: ${code}`, { cause: error });
      }
      return new Error(`Slack refused ${method}: ${code}`, { cause: error });
    }
    default:
      // A 429 without a usable Retry-After comes out of the SDK as a bare Error with this text.
      if (error.message.startsWith('Retry header did not contain a valid timeout')) {
        return new RateLimitedError(DEFAULT_RETRY_AFTER_MS);
      }
      return error;
  }
}

function retryAfterMs(seconds: unknown): number {
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? seconds * 1000
    : DEFAULT_RETRY_AFTER_MS;
}
