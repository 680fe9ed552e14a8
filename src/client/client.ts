import { setTimeout as delay } from 'node:timers/promises';
import { ValidationError } from '../errors.js';
import { abortReason, connectionError, errorFromResponse, isTransient, notJsonError } from './errors.js';
import { asAlertReceipt, asApproval, asApprovalPage } from './shapes.js';
import { readApprovalEvents } from './sse.js';
import type {
  AlertInput,
  AlertReceipt,
  Approval,
  ApprovalPage,
  ApprovalRequestInput,
  ApprovalStreamEvent,
  CallOptions,
  CancelInput,
  DecisionInput,
  ListQuery,
  WaitOptions,
} from './types.js';

/** Where Gatehouse listens when neither the `url` option nor `GATEHOUSE_URL` says. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The server holds a long-poll at most this long (MAX_WAIT_SECONDS of the API). */
export const POLL_SECONDS = 60;

/** Pauses between tries while the server is unreachable or restarting: about two minutes in all. */
export const RETRY_DELAYS_MS = [1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000];

/** A poll that comes back pending sooner than this waits out the rest, so a misbehaving proxy is not hammered. */
const MIN_POLL_MS = 1000;

/** Options of GatehouseClient; every one has a default. */
export interface GatehouseClientOptions {
  /** The server's base URL: this, else `GATEHOUSE_URL`, else DEFAULT_URL. */
  url?: string;
  /** The API's bearer token: this, else `GATEHOUSE_API_TOKEN`, else none (loopback servers without a token). */
  token?: string;
  /** Where `GATEHOUSE_URL` and `GATEHOUSE_API_TOKEN` are read (default `process.env`). */
  env?: Record<string, string | undefined>;
  fetch?: typeof globalThis.fetch;
  /** Aborts every call of this client (e.g. on SIGINT), in addition to each call's own signal. */
  signal?: AbortSignal;
  /** Resolves after `ms`; rejects when `signal` aborts. Tests pass an instant one. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Told before each pause of a wait that tries again after a transient failure. */
  onRetry?: (error: Error, delayMs: number) => void;
}

/** Reads an environment variable, trimmed; empty counts as missing. */
export function readEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Options of the low-level `request`. */
export interface RequestOptions extends CallOptions {
  body?: unknown;
  /** Non-2xx statuses that are answers rather than errors (e.g. 409 of a broken audit chain). */
  answerStatuses?: number[];
  /** Names what the path is about, for a 404's message. */
  subject?: { what: string; id: string };
}

/**
 * A typed client of the Gatehouse HTTP API (SPEC §5). Loads no server code. Every failure is a
 * coded error of the library (see `errorFromResponse`); an aborted call rejects with the signal's reason.
 */
export class GatehouseClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly signal: AbortSignal | undefined;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly onRetry: ((error: Error, delayMs: number) => void) | undefined;

  constructor(options: GatehouseClientOptions = {}) {
    const env = options.env ?? globalThis.process?.env ?? {};
    const url = options.url ?? readEnv(env, 'GATEHOUSE_URL') ?? DEFAULT_URL;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
      throw new ValidationError([
        { field: 'url', message: `must be an http(s) URL like ${DEFAULT_URL}, got ${JSON.stringify(url)}` },
      ]);
    }
    this.url = url.replace(/\/+$/, '');
    this.token = options.token ?? readEnv(env, 'GATEHOUSE_API_TOKEN');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.signal = options.signal;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.now = options.now ?? Date.now;
    this.onRetry = options.onRetry;
  }

  /** Asks for an approval; the same `id` again returns the same request (and, once decided, its decision). */
  async create(request: ApprovalRequestInput, options: CallOptions = {}): Promise<Approval> {
    return asApproval(this.url, await this.request('POST', '/api/v1/approvals', { ...options, body: request }));
  }

  /** The approval as it stands. */
  async get(id: string, options: CallOptions & { waitSeconds?: number } = {}): Promise<Approval> {
    const query = options.waitSeconds === undefined ? '' : `?wait=${Math.max(0, Math.ceil(options.waitSeconds))}`;
    return asApproval(this.url, await this.request('GET', `${approvalPath(id)}${query}`, subjectOf(id, options)));
  }

  /**
   * Long-polls until the approval is decided or `timeoutSeconds` are over (then it returns the
   * approval still pending). Each poll is answered by the server the moment the decision is made;
   * an unreachable or restarting server is tried again after RETRY_DELAYS_MS while time is left.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<Approval> {
    const until = this.now() + (options.timeoutSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    let failures = 0;
    for (;;) {
      const started = this.now();
      const left = Math.max(0, Math.ceil((until - started) / 1000));
      try {
        const approval = await this.get(id, { signal: options.signal, waitSeconds: Math.min(POLL_SECONDS, left) });
        failures = 0;
        if (approval.status !== 'pending' || this.now() >= until) return approval;
        if (this.now() - started < MIN_POLL_MS) await this.pause(MIN_POLL_MS, options.signal);
      } catch (error) {
        failures = await this.retryOrThrow(error, failures, until, options.signal);
      }
    }
  }

  /**
   * Waits like `wait`, over the approval's event stream (SSE) instead of long polls: `onEvent`
   * sees every event as it happens (votes, reminders, …). A stream the server ends early (a restart)
   * is opened again.
   */
  async waitStream(
    id: string,
    options: WaitOptions & { onEvent?: (event: ApprovalStreamEvent) => void } = {},
  ): Promise<Approval> {
    const until = this.now() + (options.timeoutSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    let failures = 0;
    for (;;) {
      const left = until - this.now();
      if (left <= 0) return this.get(id, options);
      const timer = new AbortController();
      const stopTimer = Number.isFinite(left)
        ? this.sleep(left, timer.signal).then(
            () => timer.abort(),
            () => {},
          )
        : undefined;
      const signal = AbortSignal.any([timer.signal, ...signals(this.signal, options.signal)]);
      let ended = false;
      try {
        for await (const event of this.events(id, { signal })) {
          failures = 0;
          options.onEvent?.(event);
          if (event.approval.status !== 'pending') return event.approval;
        }
        ended = true;
      } catch (error) {
        if (!timer.signal.aborted) failures = await this.retryOrThrow(error, failures, until, options.signal);
      } finally {
        timer.abort();
        await stopTimer;
      }
      if (ended) {
        // The server ended the stream undecided (it is stopping): open it again after a pause, not in a loop.
        await this.pause(
          Math.min(RETRY_DELAYS_MS[failures] ?? MIN_POLL_MS, Math.max(0, until - this.now())),
          options.signal,
        );
        failures = Math.min(failures + 1, RETRY_DELAYS_MS.length - 1);
      }
    }
  }

  /** The approval's event stream: first its `status`, then each event until the decision. */
  async *events(id: string, options: CallOptions = {}): AsyncGenerator<ApprovalStreamEvent> {
    const signal = AbortSignal.any(signals(this.signal, options.signal));
    const res = await this.send('GET', `${approvalPath(id)}/events`, { signal, accept: 'text/event-stream' });
    if (!res.ok) await this.read(res, { subject: { what: 'approval', id } }, signal);
    yield* readApprovalEvents(this.url, res, signal);
  }

  /** Decides a pending approval; a 409 AlreadyDecidedError carries the decision that won. */
  async decide(id: string, decision: DecisionInput, options: CallOptions = {}): Promise<Approval> {
    const path = `${approvalPath(id)}/decision`;
    return asApproval(this.url, await this.request('POST', path, { ...subjectOf(id, options), body: decision }));
  }

  /** Withdraws a pending approval. */
  async cancel(id: string, input: CancelInput = {}, options: CallOptions = {}): Promise<Approval> {
    const path = `${approvalPath(id)}/cancel`;
    return asApproval(this.url, await this.request('POST', path, { ...subjectOf(id, options), body: input }));
  }

  /** One page of approvals, newest first; pass `nextCursor` back as `cursor` for the next. */
  async list(query: ListQuery = {}, options: CallOptions = {}): Promise<ApprovalPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null) continue;
      params.set(key, value instanceof Date ? value.toISOString() : String(value));
    }
    const search = params.size > 0 ? `?${params}` : '';
    return asApprovalPage(this.url, await this.request('GET', `/api/v1/approvals${search}`, options));
  }

  /** Sends an alert (SPEC §5); the receipt says where it was routed. */
  async alert(alert: AlertInput, options: CallOptions = {}): Promise<AlertReceipt> {
    return asAlertReceipt(this.url, await this.request('POST', '/api/v1/alerts', { ...options, body: alert }));
  }

  /** Calls any route of the API; resolves to the parsed JSON of a 2xx answer (or of `answerStatuses`). */
  async request(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<unknown> {
    const signal = AbortSignal.any(signals(this.signal, options.signal));
    const res = await this.send(method, path, { signal, body: options.body, accept: 'application/json' });
    return this.read(res, options, signal);
  }

  private async send(
    method: string,
    path: string,
    { signal, body, accept }: { signal: AbortSignal; body?: unknown; accept: string },
  ): Promise<Response> {
    try {
      return await this.fetchImpl(`${this.url}${path}`, {
        method,
        headers: {
          accept,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      throw connectionError(this.url, error);
    }
  }

  private async read(res: Response, options: RequestOptions, signal: AbortSignal): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      if (signal.aborted) throw abortReason(signal);
      throw connectionError(this.url, error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw notJsonError(this.url, res.status);
    }
    if (res.ok || options.answerStatuses?.includes(res.status)) return json;
    throw errorFromResponse(res.status, json, options.subject ?? { what: 'resource', id: res.url });
  }

  /** The failure count after a pause, when `error` is worth trying again before `until`; else throws it. */
  private async retryOrThrow(error: unknown, failures: number, until: number, signal?: AbortSignal): Promise<number> {
    const wait = RETRY_DELAYS_MS[failures];
    if (!isTransient(error) || wait === undefined || this.now() + wait >= until) throw error;
    this.onRetry?.(error as Error, wait);
    await this.pause(wait, signal);
    return failures + 1;
  }

  private async pause(ms: number, signal?: AbortSignal): Promise<void> {
    const all = AbortSignal.any(signals(this.signal, signal));
    try {
      await this.sleep(ms, all);
    } catch (error) {
      if (all.aborted) throw abortReason(all);
      throw error;
    }
  }
}

const approvalPath = (id: string) => `/api/v1/approvals/${encodeURIComponent(id)}`;

const subjectOf = (id: string, options: CallOptions): RequestOptions => ({
  signal: options.signal,
  subject: { what: 'approval', id },
});

const signals = (...list: Array<AbortSignal | undefined>): AbortSignal[] =>
  list.filter((signal): signal is AbortSignal => signal !== undefined);
