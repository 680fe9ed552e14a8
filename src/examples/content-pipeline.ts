import { z } from 'zod';
import { type AgentOptions, BaseAgent } from '../agents/agent.js';
import type { ClaudeClient } from '../agents/claude/client.js';
import type { Stage, StageContext } from '../agents/types.js';
import { ask, type ClaudeAnswer } from './ask.js';

/** `/agent start content-pipeline topic="Edge caching" audience=developers`. */
export const contentParams = z.strictObject({
  topic: z.string('expected a topic').trim().min(1, 'must not be empty').max(500),
  audience: z.string().trim().min(1, 'must not be empty').max(200).default('general readers'),
});

export type ContentInput = z.infer<typeof contentParams>;

const SYSTEM = 'You are a careful writer. Keep answers short and concrete.';

/** Each stage's prompt, given the input and the previous stage's answer. */
const PROMPTS: ReadonlyArray<{ name: string; prompt: (input: ContentInput, previous: string) => string }> = [
  {
    name: 'planning',
    prompt: (input) => `Outline a short article about ${input.topic} for ${input.audience}: three to five sections.`,
  },
  {
    name: 'reasoning',
    prompt: (_, outline) => `Here is an outline:\n\n${outline}\n\nWhich angle makes it most useful, and why?`,
  },
  {
    name: 'experimenting',
    prompt: (_, reasoning) => `Given this reasoning:\n\n${reasoning}\n\nDraft two different opening paragraphs.`,
  },
  {
    name: 'reflecting',
    prompt: (_, drafts) => `Here are two drafts:\n\n${drafts}\n\nCritique both, pick one and improve it.`,
  },
];

/** Planning → reasoning → experimenting → reflecting: four Claude calls, each fed the answer before it. */
export class ContentPipelineAgent extends BaseAgent<ContentInput> {
  readonly name = 'content-pipeline';
  private readonly claude: ClaudeClient;

  protected readonly stages: Stage<ContentInput>[] = PROMPTS.map((step, index) => ({
    name: step.name,
    run: (ctx: StageContext<ContentInput>) => this.step(ctx, index),
  }));

  constructor(options: AgentOptions & { claude: ClaudeClient }) {
    super(options);
    this.claude = options.claude;
  }

  private async step(ctx: StageContext<ContentInput>, index: number): Promise<ClaudeAnswer> {
    const step = PROMPTS[index]!;
    const before = PROMPTS[index - 1];
    const previous = before ? (ctx.results[before.name] as ClaudeAnswer).text : '';
    return ask(this.claude, ctx, { system: SYSTEM, prompt: step.prompt(ctx.input, previous) });
  }
}
