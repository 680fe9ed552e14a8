import Anthropic from '@anthropic-ai/sdk';
import { defineAgent } from '../../../src/agents/agent.js';
import { ClaudeClient } from '../../../src/agents/claude/client.js';
import { ToolUseLoop } from '../../../src/agents/tools/loop.js';
import { type AnyAgentTool, defineTool, type ToolLoopRequest } from '../../../src/agents/tools/types.js';
import { ApprovalGate } from '../../../src/approvals/gate.js';
import type { ApprovalRecord } from '../../../src/approvals/types.js';
import type { MemoryStore } from '../../../src/store/memory.js';
import type { Store } from '../../../src/store/types.js';
import type { FakeAnthropic } from '../../support/fake-anthropic.js';

/** Another process on the same database: a Store object of its own over the same data. */
export function sameData(store: MemoryStore): Store {
  return {
    records: (namespace, spec) => store.records(namespace, spec),
    effects: store.effects,
    watch: (namespace, listener) => store.watch(namespace, listener),
    rateLimit: (name, options) => store.rateLimit(name, options),
    keyv: (namespace) => store.keyv(namespace),
    ping: () => store.ping(),
    close: async () => {},
  };
}

/** E-mails a tool "sends": the outside world the tests look at. */
export interface Outbox {
  sent: Array<{ to: string; subject: string; body: string; key: string }>;
}

export const emailSchema = {
  type: 'object' as const,
  properties: {
    to: { type: 'string', format: 'email', description: 'Recipient' },
    subject: { type: 'string', minLength: 1 },
    body: { type: 'string' },
  },
  required: ['to', 'subject', 'body'],
  additionalProperties: false,
};

/** A `send_email` tool that always needs approval and records what it sent. */
export function sendEmail(outbox: Outbox, extra: Partial<AnyAgentTool> = {}) {
  return defineTool<{ to: string; subject: string; body: string }>({
    name: 'send_email',
    description: 'Sends an e-mail to one recipient.',
    input_schema: emailSchema,
    needsApproval: true,
    run: (input, call) => {
      outbox.sent.push({ ...input, key: call.idempotencyKey });
      return { delivered: true, to: input.to };
    },
    ...(extra as object),
  });
}

/**
 * One "process": its own gate and Claude client over the shared store and the fake API, and a
 * one-stage agent whose stage runs the tool loop.
 */
export function boot(
  fake: FakeAnthropic,
  store: Store,
  tools: readonly AnyAgentTool[],
  request: ToolLoopRequest = { prompt: 'Tell the team the launch moved to Friday.' },
) {
  const gate = new ApprovalGate({ store });
  const requested: ApprovalRecord[] = [];
  gate.onRequested((record) => requested.push(record));
  const claude = new ClaudeClient({
    anthropic: new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }),
    retries: 0,
  });
  const loop = new ToolUseLoop({ claude, store, tools });
  const agent = defineAgent(
    { name: 'mailer', stages: [{ name: 'send', run: (ctx) => loop.run(ctx, request) }] },
    { store, gate },
  );
  /** Resolves with the next approval this process asks for. */
  const nextRequest = () =>
    new Promise<ApprovalRecord>((resolve) => {
      const stop = gate.onRequested((record) => {
        stop();
        resolve(record);
      });
    });
  return { gate, agent, requested, nextRequest, loop };
}
