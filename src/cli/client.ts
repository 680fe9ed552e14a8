import { ApiError, CliError, ExitCode } from './errors.js';

/** Where Gatehouse listens when `GATEHOUSE_URL` is not set. */
export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Reads an environment variable, trimmed; empty counts as missing. */
export function readEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export interface ClientOptions {
  /** `--url`, else `GATEHOUSE_URL`, else DEFAULT_URL. */
  url: string;
  token: string | undefined;
  fetch: typeof globalThis.fetch;
  /** Aborts requests under way (SIGINT). */
  signal?: AbortSignal;
}

/** Plain words for the network errors Node's fetch reports in `cause.code`. */
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** Statuses a restarting server or its proxy answers with: worth trying again while waiting. */
const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/** A small client of the Gatehouse HTTP API that turns every failure into a plain-worded ApiError. */
export class GatehouseClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly fetch: typeof globalThis.fetch;
  private readonly signal: AbortSignal | undefined;

  constructor({ url, token, fetch, signal }: ClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`GATEHOUSE_URL is not a URL: ${JSON.stringify(url)} (expected e.g. ${DEFAULT_URL})`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new CliError(`GATEHOUSE_URL must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    this.url = url.replace(/\/+$/, '');
    this.token = token;
    this.fetch = fetch;
    this.signal = signal;
  }

  /** Calls `method path` with an optional JSON body; resolves to the parsed JSON of a 2xx answer. */
  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetch(`${this.url}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.signal,
      });
    } catch (error) {
      throw this.networkError(error);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw this.networkError(error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(
        `${this.url} answered HTTP ${res.status} with something that is not JSON: is GATEHOUSE_URL the Gatehouse server?`,
        { status: res.status, transient: TRANSIENT_STATUSES.has(res.status) },
      );
    }
    if (res.ok) return json;
    throw new ApiError(this.describeRefusal(res.status, json), {
      status: res.status,
      body: json,
      transient: TRANSIENT_STATUSES.has(res.status),
    });
  }

  private networkError(error: unknown): CliError {
    if (this.signal?.aborted) return new CliError('interrupted', ExitCode.Interrupted);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const known = cause?.code ? NETWORK_REASONS[cause.code] : undefined;
    const reason = known ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    return new ApiError(`cannot reach Gatehouse at ${this.url}: ${reason}`, { status: null, transient: true });
  }

  private describeRefusal(status: number, json: unknown): string {
    const { message, issues } = (json ?? {}) as { message?: unknown; issues?: unknown };
    const said = typeof message === 'string' ? message : `HTTP ${status}`;
    if (status === 400) {
      const fields = Array.isArray(issues)
        ? issues.map((i: { field?: unknown; message?: unknown }) => `${i.field}: ${i.message}`).join('; ')
        : said;
      return `the server refused the request: ${fields}`;
    }
    if (status === 401) {
      const hint = this.token ? 'check GATEHOUSE_API_TOKEN' : 'set GATEHOUSE_API_TOKEN';
      return `the server refused the token (${said}): ${hint}`;
    }
    if (status === 403) return `not allowed: ${said}`;
    if (status === 404) return `not found: ${said}`;
    if (status === 409) return `conflict: ${said}`;
    if (status === 413) return `the request is too large: ${said}`;
    if (status >= 500) return `Gatehouse failed (HTTP ${status}): ${said}`;
    return `the server refused the request (HTTP ${status}): ${said}`;
  }
}
