import Anthropic from '@anthropic-ai/sdk';
import { ClaudeClient } from '../../src/agents/claude/client.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { registerExampleAgents } from '../../src/examples/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/types.js';
import { AgentRegistry } from '../../src/tasks/registry.js';
import { TaskService } from '../../src/tasks/service.js';
import type { FakeAnthropic } from '../support/fake-anthropic.js';

/**
 * The example agents as the product wires them: a task service over a gate and a Claude client on
 * the fake API. Two calls over one store are two processes sharing a database.
 */
export function exampleTasks(fake: FakeAnthropic, store: Store = new MemoryStore()) {
  const gate = new ApprovalGate({ store: store });
  const requested: ApprovalRecord[] = [];
  gate.onRequested((record) => requested.push(record));
  const claude = new ClaudeClient({
    anthropic: new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 }),
    retries: 0,
  });
  const registry = registerExampleAgents(new AgentRegistry(), { claude });
  const tasks = new TaskService({ registry, store, gate });
  return { store, gate, tasks, claude, requested };
}
