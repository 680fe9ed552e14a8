import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { messageEvents } from './anthropic-sse.js';
import { listenOnLoopback } from './loopback.js';

/**
 * A decoded request body. Left as `any` on purpose: tests index into recorded bodies
 * (`call.body.system[0].cache_control`) and narrowing every step would bury what they check.
 */
// biome-ignore lint/suspicious/noExplicitAny: see the comment above; values are parsed JSON
export type AnthropicJson = any;

/** One request the fake received, in arrival order. */
export interface AnthropicCall {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: AnthropicJson;
  /** `body.model`, for short assertions. */
  model: string;
  /** `Date.now()` when the request arrived. */
  at: number;
}

/** A reply: JSON `body` with `status` and `headers`, sent after `delayMs`; `drop` closes the connection instead. */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
  drop?: boolean;
}

/** Decides the reply to one call. */
export type ReplyFn = (call: AnthropicCall) => FakeReply;

/** Usage fields a test may fix; the rest are computed from the prompt. */
export interface UsageOverrides {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

let ids = 0;

/** An error reply shaped like the API's: `{ type: 'error', error: { type, message }, request_id }`. */
export function errorReply(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): FakeReply {
  const id = `req_fake_${++ids}`;
  return {
    status,
    headers: { 'request-id': id, ...headers },
    body: { type: 'error', error: { type, message }, request_id: id },
  };
}

/** Ready-made replies for the failures the client must handle. */
export const replies = {
  rateLimited: (retryAfterSeconds = 2) =>
    errorReply(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', {
      'retry-after': String(retryAfterSeconds),
    }),
  overloaded: () => errorReply(529, 'overloaded_error', 'Overloaded'),
  serverError: () => errorReply(500, 'api_error', 'Internal server error'),
  badRequest: (message = 'messages: field required') => errorReply(400, 'invalid_request_error', message),
  drop: (): FakeReply => ({ drop: true }),
};

/** Characters of text in a system prompt or a message's content (strings and text blocks). */
export function textLength(content: AnthropicJson): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  return content.reduce(
    (sum: number, block: AnthropicJson) => sum + (typeof block?.text === 'string' ? block.text.length : 0),
    0,
  );
}

/** Roughly four characters a token, as English text runs. */
export const tokens = (chars: number) => Math.ceil(chars / 4);

/** The last user message's text. */
export function lastUserText(body: AnthropicJson): string {
  const last = [...(body.messages ?? [])].reverse().find((message: AnthropicJson) => message.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return last.content.map((block: AnthropicJson) => block.text ?? '').join(' ');
}

/** A successful Messages API reply with a real message shape. */
export function messageReply(
  call: AnthropicCall,
  { text, usage = {}, delayMs }: { text: string; usage?: UsageOverrides; delayMs?: number },
): FakeReply {
  return {
    delayMs,
    headers: { 'request-id': `req_fake_${++ids}` },
    body: {
      id: `msg_fake_${ids}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens ?? 0,
        output_tokens: usage.output_tokens ?? tokens(text.length),
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        service_tier: 'standard',
      },
    },
  };
}

/** One tool call Claude makes in a scripted reply; `id` defaults to a fresh `toolu_fake_N`. */
export interface ScriptedToolUse {
  id?: string;
  name: string;
  input: unknown;
}

/** A reply in which Claude calls tools (`stop_reason: 'tool_use'`), after optional text. */
export function toolUseReply(
  call: AnthropicCall,
  { text, tools, usage = {} }: { text?: string; tools: ScriptedToolUse[]; usage?: UsageOverrides },
): FakeReply {
  const reply = messageReply(call, { text: text ?? '', usage });
  const body = reply.body as AnthropicJson;
  body.content = [
    ...(text ? [{ type: 'text', text }] : []),
    ...tools.map((tool) => ({
      type: 'tool_use',
      id: tool.id ?? `toolu_fake_${++ids}`,
      name: tool.name,
      input: tool.input,
    })),
  ];
  body.stop_reason = 'tool_use';
  return reply;
}

/** The `tool_result` blocks of the last user message, by `tool_use_id`. */
export function toolResults(body: AnthropicJson): Record<string, AnthropicJson> {
  const last = [...(body.messages ?? [])].reverse().find((message: AnthropicJson) => message.role === 'user');
  const blocks: AnthropicJson[] = Array.isArray(last?.content) ? last.content : [];
  return Object.fromEntries(
    blocks.filter((block) => block.type === 'tool_result').map((block) => [block.tool_use_id, block]),
  );
}

/**
 * A fake Anthropic Messages API on 127.0.0.1. Point the SDK at it:
 * `new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 })`.
 *
 * By default `POST /v1/messages` answers `Echo: <last user message>`, with usage computed from the
 * prompt (four characters a token). A system block carrying `cache_control` is billed as a cache
 * write the first time its text is seen and as a cache read after that, like the real prompt cache.
 * A request with `stream: true` gets its successful reply as server-sent events.
 */
export class FakeAnthropic {
  /** Every request received, oldest first (dropped ones included). */
  readonly calls: AnthropicCall[] = [];
  /** Replies in flight now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Answers calls the queue does not; replace it to compute replies from the request. */
  reply: ReplyFn = (call) => this.defaultReply(call);
  private readonly queue: (FakeReply | ReplyFn)[] = [];
  private readonly promptCache = new Set<string>();

  private constructor(
    private readonly server: Server,
    /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:53211`. */
    readonly url: string,
  ) {}

  /** Starts the fake on a free loopback port. */
  static async start(): Promise<FakeAnthropic> {
    let fake: FakeAnthropic | undefined;
    const { server, port } = await listenOnLoopback((req, res) => fake!.handle(req, res));
    fake = new FakeAnthropic(server, `http://127.0.0.1:${port}`);
    return fake;
  }

  /** Answers the next calls with these replies, in order, before falling back to `reply`. */
  enqueue(...replies: (FakeReply | ReplyFn)[]): void {
    this.queue.push(...replies);
  }

  /** Requests to `POST /v1/messages`, oldest first. */
  get messageCalls(): AnthropicCall[] {
    return this.calls.filter((call) => call.method === 'POST' && call.path === '/v1/messages');
  }

  /** The default reply: echoes the last user message, usage from the prompt's length. */
  defaultReply(call: AnthropicCall): FakeReply {
    const { body } = call;
    const system: AnthropicJson[] = typeof body.system === 'string' ? [{ text: body.system }] : (body.system ?? []);
    let input = (body.messages ?? []).reduce((sum: number, m: AnthropicJson) => sum + tokens(textLength(m.content)), 0);
    let cacheWrite = 0;
    let cacheRead = 0;
    for (const block of system) {
      const count = tokens(textLength([block]));
      if (!block.cache_control) input += count;
      else if (this.promptCache.has(block.text)) cacheRead += count;
      else {
        this.promptCache.add(block.text);
        cacheWrite += count;
      }
    }
    return messageReply(call, {
      text: `Echo: ${lastUserText(body)}`,
      usage: { input_tokens: input, cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cacheRead },
    });
  }

  /** Forgets calls, queued replies, the prompt cache and the in-flight peak; restores the default reply. */
  reset(): void {
    this.calls.length = 0;
    this.queue.length = 0;
    this.promptCache.clear();
    this.maxInFlight = 0;
    this.reply = (call) => this.defaultReply(call);
  }

  /** Stops the server, dropping open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const body: AnthropicJson = raw === '' ? {} : JSON.parse(raw);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const call: AnthropicCall = { method: req.method ?? 'GET', path, headers, body, model: body.model, at: Date.now() };
    this.calls.push(call);

    const next = this.queue.shift();
    const reply =
      call.method !== 'POST' || path !== '/v1/messages'
        ? errorReply(404, 'not_found_error', `Not found: ${call.method} ${path}`)
        : typeof next === 'function'
          ? next(call)
          : (next ?? this.reply(call));

    // In flight until answered, or until the client gives up on it (an aborted request).
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.inFlight -= 1;
    };
    const gone = new Promise<void>((resolve) => res.once('close', resolve)).then(settle);
    if (reply.delayMs) await Promise.race([new Promise((resolve) => setTimeout(resolve, reply.delayMs)), gone]);
    if (settled) return;
    settle();
    if (reply.drop) {
      req.socket.destroy();
      return;
    }
    const status = reply.status ?? 200;
    if (body.stream === true && status === 200 && (reply.body as AnthropicJson)?.type === 'message') {
      res.writeHead(status, { 'content-type': 'text/event-stream', ...reply.headers }).end(messageEvents(reply.body));
      return;
    }
    res
      .writeHead(status, { 'content-type': 'application/json', ...reply.headers })
      .end(JSON.stringify(reply.body ?? {}));
  }
}
