import { expectTypeOf, it } from 'vitest';
import type { AgentAlerts } from '../../src/agents/types.js';
import type { AlertManager } from '../../src/alerts/manager.js';

// Type-level: the real AlertManager can be handed to agents, workflows and rule monitors as is.
it('AlertManager satisfies the AgentAlerts port', () => {
  expectTypeOf<AlertManager>().toExtend<AgentAlerts>();
});
