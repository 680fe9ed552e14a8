import { type CliIo, run } from '../../src/cli/run.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse argv…` in-process; timers are instant unless `io.sleep` says otherwise. */
export async function cli(argv: string[], io: Partial<CliIo> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    env: {},
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    sleep: async () => {},
    ...io,
  });
  return { code, stdout, stderr };
}

export interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** What a fake server does with one request: answer, or throw as fetch does when it cannot connect. */
export type Answer = (call: Call) => Response | Promise<Response>;

/** A fetch that answers with `answers` in turn (the last one repeats) and records every call. */
export function fakeFetch(...answers: Answer[]) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const call: Call = {
      method: init.method ?? 'GET',
      url: String(input),
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const answer = answers[Math.min(calls.length, answers.length) - 1];
    if (!answer) throw new Error('fakeFetch was given no answers');
    return answer(call);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** Answers with `body` as JSON. */
export const reply =
  (body: unknown, status = 200): Answer =>
  () =>
    Response.json(body, { status });

/** Fails as Node's fetch does when nothing listens on the port. */
export const refused: Answer = () => {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3000'), { code: 'ECONNREFUSED' });
  throw new TypeError('fetch failed', { cause });
};

/** An approval as the API returns it, with `overrides`. */
export function approval(overrides: Record<string, unknown> = {}) {
  return {
    id: 'deploy-42',
    status: 'pending',
    title: 'Deploy v2',
    explanation: '',
    context: {},
    requestedBy: null,
    taskId: null,
    approvers: ['U0ALICE'],
    channel: null,
    callbackUrl: null,
    timeoutSeconds: 1800,
    createdAt: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-01T00:30:00.000Z',
    decision: null,
    message: null,
    emailedAt: null,
    ...overrides,
  };
}

/** A decision as stored, with `overrides`. */
export function decision(overrides: Record<string, unknown> = {}) {
  return {
    decidedBy: 'U0ALICE',
    decidedAt: '2030-01-01T00:05:00.000Z',
    via: 'slack',
    feedback: null,
    modifications: null,
    ...overrides,
  };
}
