import { z } from 'zod';
import { type AgentOptions, BaseAgent } from '../agents/agent.js';
import type { ClaudeClient } from '../agents/claude/client.js';
import type { Stage, StageContext } from '../agents/types.js';
import type { Store } from '../store/types.js';
import { ask, type ClaudeAnswer, firstJsonObject, usd } from './ask.js';

/** `/agent start campaign-launch budget=50000 product="Trail shoes"`: budget and threshold in USD. */
export const campaignParams = z.strictObject({
  budget: z.coerce.number('expected a number').positive('expected a positive number of USD'),
  product: z.string('expected a product name').trim().min(1, 'must not be empty').max(200).default('the new product'),
  threshold: z.coerce.number('expected a number').nonnegative('must not be negative').default(10_000),
});

export type CampaignInput = z.infer<typeof campaignParams>;

/** A channel's share of the campaign budget. */
export interface Allocation {
  channel: string;
  usd: number;
}

/** Where launches are recorded. The default keeps them in the store: no external call. */
export interface CampaignLauncher {
  /** Launches once per task id: asking again returns the launch already recorded. */
  launch(campaign: { taskId: string; product: string; budget: number; allocations: Allocation[] }): Promise<Launch>;
}

export interface Launch {
  launchId: string;
  taskId: string;
  product: string;
  budget: number;
  allocations: Allocation[];
  launchedAt: string;
}

const planSchema = z.object({
  summary: z.string().catch(''),
  audience: z.string().catch(''),
  channels: z.array(z.object({ name: z.string().min(1), share: z.number().positive() })).min(1),
});

type Plan = z.infer<typeof planSchema> & { parsed: boolean };

/** What an approver may change with "Approve with changes". */
const modificationsSchema = z.object({
  budget: z.coerce.number().positive().optional(),
  allocations: z.record(z.string(), z.number().nonnegative()).optional(),
});

const SYSTEM = [
  'You plan paid marketing campaigns.',
  'Answer with one JSON object only: {"summary": string, "audience": string,',
  '"channels": [{"name": string, "share": number}]} where the shares add up to 1.',
].join(' ');

type Results = {
  planning: { plan: Plan; claude: ClaudeAnswer };
  estimate: { allocations: Allocation[]; totalUsd: number };
  approval:
    | { required: boolean; approved: true; budget: number; allocations: Allocation[]; decidedBy: string | null }
    | { required: true; approved: false; status: string; reason: string; decidedBy: string | null };
};

/**
 * Plans a campaign with Claude, estimates what it costs, asks for approval above the threshold
 * (an approval with changes may set `budget` or `allocations`), then launches it or stops.
 */
export class CampaignLaunchAgent extends BaseAgent<CampaignInput> {
  readonly name = 'campaign-launch';
  private readonly claude: ClaudeClient;
  private readonly launcher: CampaignLauncher;

  protected readonly stages: Stage<CampaignInput>[] = [
    { name: 'planning', run: (ctx) => this.planning(ctx) },
    { name: 'estimate', run: (ctx) => this.estimate(ctx) },
    { name: 'approval', run: (ctx) => this.approval(ctx) },
    { name: 'launch', run: (ctx) => this.launch(ctx) },
  ];

  constructor(options: AgentOptions & { claude: ClaudeClient; launcher?: CampaignLauncher }) {
    super(options);
    this.claude = options.claude;
    this.launcher = options.launcher ?? storeLauncher(options.store, () => this.clock.now());
  }

  private async planning(ctx: StageContext<CampaignInput>): Promise<Results['planning']> {
    const { product, budget } = ctx.input;
    const claude = await ask(this.claude, ctx, {
      system: SYSTEM,
      prompt: `Plan a launch campaign for ${product} with a budget of ${usd(budget)}.`,
      maxTokens: 800,
    });
    const parsed = planSchema.safeParse(firstJsonObject(claude.text));
    // An answer that is not a plan still informs the approver; the budget then goes to one channel.
    const plan: Plan = parsed.success
      ? { ...parsed.data, parsed: true }
      : {
          summary: claude.text.slice(0, 2000),
          audience: '',
          channels: [{ name: 'unspecified', share: 1 }],
          parsed: false,
        };
    return { plan, claude };
  }

  private estimate(ctx: StageContext<CampaignInput>): Results['estimate'] {
    const { plan } = (ctx.results as Partial<Results>).planning!;
    const allocations = allocate(ctx.input.budget, plan.channels);
    return { allocations, totalUsd: total(allocations) };
  }

  private async approval(ctx: StageContext<CampaignInput>): Promise<Results['approval']> {
    const results = ctx.results as Partial<Results>;
    const { plan } = results.planning!;
    const { allocations, totalUsd } = results.estimate!;
    const { product, threshold } = ctx.input;
    if (totalUsd <= threshold)
      return { required: false, approved: true, budget: totalUsd, allocations, decidedBy: null };
    const response = await ctx.requireApproval({
      title: `Launch the ${product} campaign for ${usd(totalUsd)}`,
      explanation: [
        plan.summary,
        `The budget is above the ${usd(threshold)} approval threshold.`,
        'Approve with changes to set `budget` (USD) or `allocations` ({ channel: USD }).',
      ]
        .filter(Boolean)
        .join('\n\n'),
      context: {
        product,
        budget: totalUsd,
        threshold,
        audience: plan.audience,
        allocations: Object.fromEntries(allocations.map((a) => [a.channel, a.usd])),
      },
    });
    if (!response.isApproved) {
      const reason = response.feedback?.trim() || `the request was ${response.status}`;
      return { required: true, approved: false, status: response.status, reason, decidedBy: response.decidedBy };
    }
    const changed = modified(allocations, response.modifications);
    return { required: true, approved: true, ...changed, decidedBy: response.decidedBy };
  }

  private async launch(ctx: StageContext<CampaignInput>) {
    const approval = (ctx.results as Partial<Results>).approval!;
    if (!approval.approved) return { launched: false, reason: approval.reason };
    const launch = await this.launcher.launch({
      taskId: ctx.taskId,
      product: ctx.input.product,
      budget: approval.budget,
      allocations: approval.allocations,
    });
    return { launched: true, ...launch };
  }
}

/** Splits `budget` by the channels' shares, in cents; the rounding remainder goes to the first channel. */
export function allocate(budget: number, channels: ReadonlyArray<{ name: string; share: number }>): Allocation[] {
  const shares = channels.reduce((sum, c) => sum + c.share, 0);
  const cents = Math.round(budget * 100);
  const split = channels.map((c) => ({ channel: c.name, cents: Math.floor((cents * c.share) / shares) }));
  const first = split[0];
  if (first) first.cents += cents - split.reduce((sum, a) => sum + a.cents, 0);
  return split.map((a) => ({ channel: a.channel, usd: a.cents / 100 }));
}

function total(allocations: readonly Allocation[]): number {
  return Math.round(allocations.reduce((sum, a) => sum + a.usd * 100, 0)) / 100;
}

/** The values an approval with changes settles on: explicit allocations win, else a new budget is re-split. */
function modified(allocations: Allocation[], modifications: unknown): { budget: number; allocations: Allocation[] } {
  const changes = modificationsSchema.safeParse(modifications ?? {});
  const given = changes.success ? changes.data : {};
  if (given.allocations && Object.keys(given.allocations).length > 0) {
    const chosen = Object.entries(given.allocations).map(([channel, amount]) => ({ channel, usd: amount }));
    return { budget: total(chosen), allocations: chosen };
  }
  if (given.budget !== undefined) {
    const rescaled = allocate(
      given.budget,
      allocations.map((a) => ({ name: a.channel, share: a.usd || 1 })),
    );
    return { budget: total(rescaled), allocations: rescaled };
  }
  return { budget: total(allocations), allocations };
}

/** Records launches in the store's `campaign-launches` namespace, one per task id. */
export function storeLauncher(store: Store, now: () => number = Date.now): CampaignLauncher {
  const launches = store.keyv('campaign-launches');
  return {
    async launch(campaign) {
      const existing = (await launches.get<Launch>(campaign.taskId)) ?? undefined;
      if (existing) return existing;
      const launch: Launch = {
        launchId: `launch-${campaign.taskId}`,
        ...campaign,
        launchedAt: new Date(now()).toISOString(),
      };
      await launches.set(campaign.taskId, launch);
      return launch;
    },
  };
}
