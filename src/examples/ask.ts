import { type ClaudeClient, tokenCounts } from '../agents/claude/client.js';
import type { StageContext } from '../agents/types.js';

/** What a stage keeps of one Claude call: the answer, and what it used and cost. */
export interface ClaudeAnswer {
  text: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costUsd: number;
  cached: boolean;
}

/** One Claude call from a stage: charged to the task's budget, cancelled with the task. */
export async function ask(
  claude: ClaudeClient,
  ctx: StageContext<unknown>,
  request: { system: string; prompt: string; maxTokens?: number },
): Promise<ClaudeAnswer> {
  const result = await claude.message(
    {
      system: request.system,
      max_tokens: request.maxTokens ?? 1024,
      messages: [{ role: 'user', content: request.prompt }],
    },
    { budget: ctx.budget ?? undefined, signal: ctx.signal, taskId: ctx.taskId },
  );
  return {
    text: result.text,
    model: result.model,
    ...tokenCounts(result.usage),
    costUsd: result.costUsd,
    cached: result.cached,
  };
}

/** The first JSON object in `text` (models often wrap it in prose or a code fence), or undefined. */
export function firstJsonObject(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/** USD for people: `$12,500.00`. */
export function usd(amount: number): string {
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
