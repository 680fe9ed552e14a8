import type { ClaudeClient } from '../agents/claude/client.js';
import type { AgentRegistry } from '../tasks/registry.js';
import { CampaignLaunchAgent, type CampaignLauncher, campaignParams } from './campaign-launch.js';
import { ContentPipelineAgent, contentParams } from './content-pipeline.js';
import { type SupportDesk, SupportDeskAgent, supportParams } from './support-desk.js';

export {
  type Allocation,
  allocate,
  type CampaignInput,
  CampaignLaunchAgent,
  type CampaignLauncher,
  campaignParams,
  type Launch,
  storeLauncher,
} from './campaign-launch.js';
export { type ContentInput, ContentPipelineAgent, contentParams } from './content-pipeline.js';
export {
  type DeskEntry,
  type SupportDesk,
  SupportDeskAgent,
  type SupportInput,
  storeDesk,
  supportParams,
  supportTools,
} from './support-desk.js';

/** What the example agents need. */
export interface ExampleAgentDeps {
  claude: ClaudeClient;
  /** Where campaign launches are recorded; default the store (`campaign-launches`). */
  launcher?: CampaignLauncher;
  /** Where the support desk's refunds, replies and notes go; default the store (`support-desk`). */
  desk?: SupportDesk;
}

/** Registers `campaign-launch`, `content-pipeline` and `support-desk`. */
export function registerExampleAgents(
  registry: AgentRegistry,
  { claude, launcher, desk }: ExampleAgentDeps,
): AgentRegistry {
  return registry
    .register('campaign-launch', {
      description: 'Plans a campaign with Claude, estimates its cost, asks for approval above a threshold, launches',
      params: campaignParams,
      usesClaude: true,
      create: (deps) => new CampaignLaunchAgent({ ...deps, claude, launcher }),
    })
    .register('content-pipeline', {
      description: 'Planning → reasoning → experimenting → reflecting, each a Claude call feeding the next',
      params: contentParams,
      usesClaude: true,
      create: (deps) => new ContentPipelineAgent({ ...deps, claude }),
    })
    .register('support-desk', {
      description: 'Resolves a support ticket with Claude tool use; refunds above a limit and replies need approval',
      params: supportParams,
      create: (deps) => new SupportDeskAgent({ ...deps, claude, desk }),
    });
}
