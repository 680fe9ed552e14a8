import { z } from 'zod';
import { type AgentOptions, BaseAgent } from '../agents/agent.js';
import type { ClaudeClient } from '../agents/claude/client.js';
import { ToolUseLoop } from '../agents/tools/loop.js';
import { type AnyAgentTool, defineTool, type ToolLoopResult } from '../agents/tools/types.js';
import type { Stage, StageContext } from '../agents/types.js';
import type { Store } from '../store/types.js';
import { usd } from './ask.js';

/** `/agent start support-desk customer=ann@example.com ticket="Charged twice for order A-12"`. */
export const supportParams = z.strictObject({
  ticket: z.string('expected the ticket text').trim().min(1, 'must not be empty').max(4000),
  customer: z.email('expected the customer e-mail address'),
  refundLimit: z.coerce.number('expected a number').nonnegative('must not be negative').default(50),
});

export type SupportInput = z.infer<typeof supportParams>;

/** What the desk's tools change: refunds and replies, each taken once per idempotency key. */
export interface SupportDesk {
  refund(refund: { key: string; orderId: string; usd: number; reason: string }): Promise<{ refundId: string }>;
  reply(reply: { key: string; to: string; subject: string; body: string }): Promise<{ messageId: string }>;
  note(note: { key: string; taskId: string; text: string }): Promise<void>;
}

/** One action the desk took, as the store keeps it. */
export type DeskEntry =
  | { kind: 'refund'; key: string; orderId: string; usd: number; reason: string }
  | { kind: 'reply'; key: string; to: string; subject: string; body: string }
  | { kind: 'note'; key: string; taskId: string; text: string };

/** Records the desk's actions in the store's `support-desk` namespace, one per key: no external call. */
export function storeDesk(store: Store): SupportDesk & { entry(key: string): Promise<DeskEntry | undefined> } {
  const entries = store.keyv('support-desk');
  const once = async (entry: DeskEntry) => {
    if (!(await entries.get(entry.key))) await entries.set(entry.key, entry);
  };
  return {
    entry: async (key) => (await entries.get<DeskEntry>(key)) ?? undefined,
    refund: async (refund) => {
      await once({ kind: 'refund', ...refund });
      return { refundId: `refund-${refund.key}` };
    },
    reply: async (reply) => {
      await once({ kind: 'reply', ...reply });
      return { messageId: `reply-${reply.key}` };
    },
    note: (note) => once({ kind: 'note', ...note }),
  };
}

const SYSTEM = [
  'You resolve one customer support ticket with the tools you have.',
  'Refund only what the ticket shows was charged wrongly; answer the customer with send_reply;',
  'record what you found with add_note. Finish with one line saying what you did.',
].join(' ');

/** The desk's tools: notes run at once, refunds above the limit and every reply wait for approval. */
export function supportTools(desk: SupportDesk, refundLimit: number): AnyAgentTool[] {
  return [
    defineTool<{ text: string }>({
      name: 'add_note',
      description: 'Adds an internal note to the ticket (customers never see it).',
      input_schema: { type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'] },
      run: async ({ text }, call) => {
        await desk.note({ key: call.idempotencyKey, taskId: call.taskId, text });
        return 'noted';
      },
    }),
    defineTool<{ orderId: string; usd: number; reason: string }>({
      name: 'issue_refund',
      description: 'Refunds part or all of an order to the card it was paid with.',
      input_schema: {
        type: 'object',
        properties: {
          orderId: { type: 'string', minLength: 1 },
          usd: { type: 'number', exclusiveMinimum: 0, description: 'Amount in USD' },
          reason: { type: 'string', minLength: 1 },
        },
        required: ['orderId', 'usd', 'reason'],
      },
      needsApproval: ({ usd: amount }) =>
        amount > refundLimit && {
          title: `Refund ${usd(amount)}`,
          risk: amount > refundLimit * 10 ? 'high' : 'medium',
          explanation: `Claude wants to refund ${usd(amount)}, above the ${usd(refundLimit)} limit for refunds without approval.`,
        },
      run: ({ orderId, usd: amount, reason }, call) =>
        desk.refund({ key: call.idempotencyKey, orderId, usd: amount, reason }),
    }),
    defineTool<{ to: string; subject: string; body: string }>({
      name: 'send_reply',
      description: 'E-mails the customer.',
      input_schema: {
        type: 'object',
        properties: {
          to: { type: 'string', format: 'email' },
          subject: { type: 'string', minLength: 1 },
          body: { type: 'string', minLength: 1 },
        },
        required: ['to', 'subject', 'body'],
      },
      needsApproval: { title: 'Send this reply to the customer', risk: 'low' },
      run: (reply, call) => desk.reply({ key: call.idempotencyKey, ...reply }),
    }),
  ];
}

/**
 * Resolves a support ticket with Claude tool use: internal notes run at once; refunds above
 * `refundLimit` and every reply to the customer are approved (or edited, or rejected) by a person
 * first, and Claude is told what they changed.
 */
export class SupportDeskAgent extends BaseAgent<SupportInput> {
  readonly name = 'support-desk';
  private readonly claude: ClaudeClient;
  private readonly desk: SupportDesk;

  protected readonly stages: Stage<SupportInput>[] = [
    { name: 'resolve', run: (ctx) => this.resolve(ctx) },
    { name: 'report', run: (ctx) => report(ctx.results.resolve as ToolLoopResult) },
  ];

  constructor(options: AgentOptions & { claude: ClaudeClient; desk?: SupportDesk }) {
    super(options);
    this.claude = options.claude;
    this.desk = options.desk ?? storeDesk(options.store);
  }

  private async resolve(ctx: StageContext<SupportInput>): Promise<Omit<ToolLoopResult, 'messages'>> {
    const { ticket, customer, refundLimit } = ctx.input;
    const loop = new ToolUseLoop({
      claude: this.claude,
      store: this.store,
      tools: supportTools(this.desk, refundLimit),
    });
    const { messages: _transcript, ...result } = await loop.run(ctx, {
      system: SYSTEM,
      prompt: `Ticket from ${customer}:\n\n${ticket}`,
      maxTokens: 2048,
    });
    return result;
  }
}

/** What the task did, for `/agent status`: the calls by outcome and Claude's last line. */
function report(resolved: Omit<ToolLoopResult, 'messages'>) {
  const done = resolved.calls.filter((call) => !call.isError);
  return {
    summary: resolved.text,
    refunds: done.filter((call) => call.tool === 'issue_refund').map((call) => call.input),
    replies: done.filter((call) => call.tool === 'send_reply').length,
    refused: resolved.calls.filter((call) => call.isError).map((call) => ({ tool: call.tool, outcome: call.outcome })),
    costUsd: resolved.costUsd,
  };
}
