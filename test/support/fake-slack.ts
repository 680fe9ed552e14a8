import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type FakeWorkspace, FakeWorkspaces } from './fake-workspaces.js';
import { listenOnLoopback } from './loopback.js';

/**
 * A decoded JSON value from a request body. Left as `any` on purpose: tests index into recorded Slack
 * bodies (`call.body.blocks[0].elements`) and narrowing every step would bury what they check.
 */
// biome-ignore lint/suspicious/noExplicitAny: see the comment above; values are parsed JSON or form strings
export type SlackJson = any;

/** One request the fake received, in arrival order. */
export interface SlackCall {
  /** Web API method (`chat.postMessage`), or the full path for anything not under `/api/`. */
  method: string;
  /** Form fields or JSON body; form values that look like JSON (`blocks`, `view`, …) are decoded. */
  body: Record<string, SlackJson>;
  /** The bearer token, or the `token` body field when no Authorization header was sent. */
  token: string | undefined;
  /** `Date.now()` when the request arrived. */
  at: number;
}

/** A reply to send instead of the default one; a string body is sent as-is, anything else as JSON. */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Decides the reply to a call; `undefined` falls through to earlier handlers, then to the default. */
export type ReplyHandler = (call: SlackCall) => FakeReply | undefined;

interface Waiter {
  method: string;
  predicate: (call: SlackCall) => boolean;
  resolve: (call: SlackCall) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const BOT = { user: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEST' } as const;

/**
 * A fake Slack Web API on 127.0.0.1. Point the real client at it:
 * `new WebClient('xoxb-test', { slackApiUrl: fake.url })`.
 */
export class FakeSlack {
  /** Every request received, oldest first. */
  readonly calls: SlackCall[] = [];
  /** Requests whose connection was destroyed because the fake was {@link down}. */
  refused = 0;
  /** User groups (`S…` → member user ids) that `usergroups.users.list` answers for; others are `no_such_subteam`. */
  readonly userGroups = new Map<string, string[]>();
  private readonly handlers: { method: string; handler: ReplyHandler }[] = [];
  private readonly waiters = new Set<Waiter>();
  private isDown = false;
  /** Messages posted, as conversations.history gives them back. */
  private readonly history: Array<{ channel: string; ts: string; text: SlackJson; metadata: SlackJson }> = [];
  private messageSeq = 0;
  private viewSeq = 0;
  /** Function executions already completed: Slack refuses to complete one twice. */
  private readonly completedExecutions = new Set<string>();
  /** Workspaces to install into (OAuth) and what each one's tokens see. */
  readonly workspaces = new FakeWorkspaces();
  /** Who "Sign in with Slack" signs in as (the consent page of {@link authorize}). */
  openIdUser = 'U0ALICE';
  private readonly openIdCodes = new Map<string, string>();
  private readonly openIdTokens = new Map<string, string>();
  private codeSeq = 0;
  private responseSeq = 0;

  private constructor(
    private readonly server: Server,
    /** Base URL to hand to WebClient's `slackApiUrl`, e.g. `http://127.0.0.1:53211/api/`. */
    readonly url: string,
  ) {}

  /** Starts the fake on a free loopback port. */
  static async start(): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const { server, port } = await listenOnLoopback((req, res) => fake!.handle(req, res));
    fake = new FakeSlack(server, `http://127.0.0.1:${port}/api/`);
    return fake;
  }

  /** Stops the server, dropping open connections, and rejects any pending {@link waitFor}. */
  async close(): Promise<void> {
    for (const waiter of this.waiters) this.settle(waiter, new Error('FakeSlack closed while waiting'));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds a workspace to install into: `oauth.v2.access` with its code issues its bot token. */
  addWorkspace(workspace: FakeWorkspace): void {
    this.workspaces.add(workspace);
  }

  /** Every bot token issued for `teamId`, the install's first and each refresh after it. */
  tokensOf(teamId: string): string[] {
    return this.workspaces.tokensOf(teamId);
  }

  /** Calls made with `token`, oldest first. */
  callsWithToken(token: string): SlackCall[] {
    return this.calls.filter((call) => call.token === token);
  }

  /**
   * A `response_url` to put in a slash command or click, on this fake: POSTs to it are recorded
   * with `method` set to its path (`/response/1`) and answered `ok` unless overridden.
   */
  responseUrl(): string {
    this.responseSeq += 1;
    return `${this.url.replace(/\/api\/$/, '')}/response/${this.responseSeq}`;
  }

  /** Calls to one method, oldest first. */
  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** The first call to `method` (already recorded or still to come) that satisfies `predicate`. */
  waitFor(method: string, predicate: (call: SlackCall) => boolean = () => true, timeoutMs = 5000): Promise<SlackCall> {
    const seen = this.calls.find((call) => call.method === method && predicate(call));
    if (seen) return Promise.resolve(seen);
    return new Promise<SlackCall>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new Error(
          `FakeSlack.waitFor('${method}') timed out after ${timeoutMs} ms; seen: ${this.summary()}`,
        );
        this.settle(waiter, error);
      }, timeoutMs).unref();
      const waiter: Waiter = { method, predicate, resolve, reject, timer };
      this.waiters.add(waiter);
    });
  }

  /** Overrides replies to `method` (`'*'` for every method); the latest handler is asked first. */
  respond(method: string, handler: ReplyHandler): void {
    this.handlers.push({ method, handler });
  }

  /** Answers the next `count` calls to `method` with `reply` (default: HTTP 500), then behaves as before. */
  failNext(method: string, count: number, reply: FakeReply = { status: 500, body: 'internal server error' }): void {
    let left = count;
    this.respond(method, () => {
      if (left <= 0) return undefined;
      left -= 1;
      return reply;
    });
  }

  /** Makes Slack unreachable: every connection is destroyed before a reply, and nothing is recorded. */
  down(): void {
    this.isDown = true;
  }

  /** Makes Slack reachable again. */
  up(): void {
    this.isDown = false;
  }

  /** Forgets calls and overrides, brings the fake back up and restarts the ts/id sequence. */
  reset(): void {
    this.calls.length = 0;
    this.history.length = 0;
    this.handlers.length = 0;
    this.refused = 0;
    this.userGroups.clear();
    this.isDown = false;
    this.messageSeq = 0;
    this.viewSeq = 0;
    this.completedExecutions.clear();
    this.workspaces.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.isDown) {
      this.refused += 1;
      req.socket.destroy();
      return;
    }
    const raw = await readRaw(req);
    const body = await parseBody(raw, req.headers['content-type'] ?? '');
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const call: SlackCall = {
      method: path.startsWith('/api/') ? decodeURIComponent(path.slice('/api/'.length)) : path,
      body,
      token: bearer ?? (typeof body.token === 'string' ? body.token : undefined),
      at: Date.now(),
    };
    this.calls.push(call);
    for (const waiter of this.waiters) {
      if (waiter.method === call.method && waiter.predicate(call)) this.settle(waiter, call);
    }
    if (path === '/openid/connect/authorize') return this.authorize(new URL(req.url ?? '/', 'http://fake'), res);
    const reply = this.replyTo(call);
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { ok: true });
    const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8';
    res.writeHead(reply.status ?? 200, { 'content-type': type, ...reply.headers }).end(text);
  }

  private replyTo(call: SlackCall): FakeReply {
    for (let i = this.handlers.length - 1; i >= 0; i -= 1) {
      const entry = this.handlers[i]!;
      if (entry.method !== call.method && entry.method !== '*') continue;
      const reply = entry.handler(call);
      if (reply) return reply;
    }
    return { body: this.defaultBody(call) };
  }

  private defaultBody(call: SlackCall): Record<string, unknown> {
    const { method, body, token } = call;
    const workspaceReply = this.workspaces.reply(method, body, token);
    if (workspaceReply) return workspaceReply;
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test.slack.com/',
          team: 'Test',
          user: 'gatehouse',
          team_id: BOT.team_id,
          user_id: BOT.user,
          bot_id: BOT.bot_id,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        const ts = this.nextTs();
        const message = { type: 'message', text: body.text, blocks: body.blocks, thread_ts: body.thread_ts, ts };
        this.history.push({ channel: String(body.channel), ts, text: body.text, metadata: body.metadata });
        return { ok: true, channel: body.channel, ts, message: { ...message, user: BOT.user, bot_id: BOT.bot_id } };
      }
      case 'chat.update': {
        const message = { text: body.text, blocks: body.blocks, user: BOT.user, bot_id: BOT.bot_id };
        return { ok: true, channel: body.channel, ts: body.ts, text: body.text, message };
      }
      case 'conversations.history': {
        // `oldest` is not applied: this fake's ts values are a sequence, not times.
        const messages = this.history
          .filter((m) => m.channel === String(body.channel))
          .reverse()
          .map(({ ts, text, metadata }) => ({
            type: 'message',
            ts,
            text,
            ...(body.include_all_metadata && metadata ? { metadata } : {}),
          }));
        return { ok: true, messages, has_more: false };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
      case 'views.update':
      case 'views.push':
      case 'views.publish': {
        const id = typeof body.view_id === 'string' ? body.view_id : `V0${String(++this.viewSeq).padStart(8, '0')}`;
        return { ok: true, view: { id, team_id: BOT.team_id, bot_id: BOT.bot_id, ...body.view } };
      }
      case 'users.lookupByEmail': {
        // `u0alice@example.com` is U0ALICE, as users.info gives `U0ALICE@example.com`.
        const match = /^([uw][a-z0-9]{2,})@example\.com$/i.exec(String(body.email ?? ''));
        if (!match?.[1]) return { ok: false, error: 'users_not_found' };
        const id = match[1].toUpperCase();
        const profile = { email: String(body.email), real_name: id, display_name: id };
        return { ok: true, user: { id, team_id: BOT.team_id, name: id, real_name: id, deleted: false, profile } };
      }
      case 'openid.connect.token': {
        const user = this.openIdCodes.get(String(body.code));
        if (!user || !body.client_id || !body.client_secret) return { ok: false, error: 'invalid_code' };
        this.openIdCodes.delete(String(body.code));
        const accessToken = `xoxp-openid-${user}`;
        this.openIdTokens.set(accessToken, user);
        return { ok: true, access_token: accessToken, token_type: 'Bearer', id_token: 'unsigned.fake.token' };
      }
      case 'openid.connect.userInfo': {
        const user = this.openIdTokens.get(String(token ?? body.token));
        if (!user) return { ok: false, error: 'invalid_auth' };
        return {
          ok: true,
          sub: user,
          'https://slack.com/user_id': user,
          'https://slack.com/team_id': BOT.team_id,
          email: `${user.toLowerCase()}@example.com`,
          email_verified: true,
          name: `${user} (Slack)`,
        };
      }
      case 'users.info': {
        const id = String(body.user);
        const profile = { email: `${id}@example.com`, real_name: id, display_name: id };
        return { ok: true, user: { id, team_id: BOT.team_id, name: id, real_name: id, deleted: false, profile } };
      }
      case 'functions.completeSuccess':
      case 'functions.completeError': {
        const id = String(body.function_execution_id);
        if (this.completedExecutions.has(id)) return { ok: false, error: 'execution_not_in_running_state' };
        this.completedExecutions.add(id);
        return { ok: true };
      }
      case 'usergroups.users.list': {
        const users = this.userGroups.get(String(body.usergroup));
        return users ? { ok: true, users: [...users] } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: true };
    }
  }

  /**
   * Slack's consent page for "Sign in with Slack": consents at once as {@link openIdUser} and sends
   * the browser back to `redirect_uri` with a one-time code and the `state` it was given.
   */
  private authorize(url: URL, res: ServerResponse): void {
    const redirect = url.searchParams.get('redirect_uri');
    if (!redirect || url.searchParams.get('response_type') !== 'code') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('redirect_uri and response_type=code are required');
      return;
    }
    const code = `code-${++this.codeSeq}`;
    this.openIdCodes.set(code, this.openIdUser);
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    res.writeHead(302, { location: back.toString() }).end();
  }

  /** Message timestamps in Slack's `seconds.micros` shape, unique and increasing from `1700000000.000100`. */
  private nextTs(): string {
    const n = 100 + this.messageSeq++;
    return `${1_700_000_000 + Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}`;
  }

  private settle(waiter: Waiter, outcome: SlackCall | Error): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private summary(): string {
    const counts = new Map<string, number>();
    for (const { method } of this.calls) counts.set(method, (counts.get(method) ?? 0) + 1);
    if (counts.size === 0) return 'no calls';
    return [...counts].map(([method, n]) => (n > 1 ? `${method} ×${n}` : method)).join(', ');
  }
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Decodes a Web API request body the way Slack reads it: form fields (JSON-ish ones decoded), JSON or multipart. */
async function parseBody(raw: Buffer, contentType: string): Promise<Record<string, SlackJson>> {
  const type = contentType.toLowerCase();
  if (type.startsWith('application/json')) {
    const parsed: unknown = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, SlackJson>) : { value: parsed };
  }
  const fields: Record<string, SlackJson> = {};
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form) {
      fields[key] = typeof value === 'string' ? decodeField(value) : { filename: value.name, size: value.size };
    }
    return fields;
  }
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) fields[key] = decodeField(value);
  return fields;
}

function decodeField(value: string): SlackJson {
  if (!value.startsWith('[') && !value.startsWith('{')) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
