import type { ClaudeClient } from '../agents/claude/client.js';
import type { AgentRegistry } from '../tasks/registry.js';
import { CampaignLaunchAgent, type CampaignLauncher, campaignParams } from './campaign-launch.js';
import { ContentPipelineAgent, contentParams } from './content-pipeline.js';

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

/** What the example agents need. */
export interface ExampleAgentDeps {
  claude: ClaudeClient;
  /** Where campaign launches are recorded; default the store (`campaign-launches`). */
  launcher?: CampaignLauncher;
}

/** Registers `campaign-launch` and `content-pipeline`. */
export function registerExampleAgents(registry: AgentRegistry, { claude, launcher }: ExampleAgentDeps): AgentRegistry {
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
    });
}
