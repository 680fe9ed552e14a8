import { z } from 'zod';
import { defineAgent } from '../../src/agents/agent.js';
import type { Stage } from '../../src/agents/types.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { MessageRef } from '../../src/approvals/types.js';
import type { Store } from '../../src/store/types.js';
import { AgentRegistry } from '../../src/tasks/registry.js';
import { TaskService, type TaskServiceOptions } from '../../src/tasks/service.js';
import type { TaskObserver, TaskView } from '../../src/tasks/types.js';

/** A promise with its resolve and reject in hand. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Hooks the test agents' stages wait on or throw from, by stage name. */
export interface StageHooks {
  gates: Map<string, Promise<void>>;
  failOnce: Set<string>;
  runs: string[];
}

export function stageHooks(): StageHooks {
  return { gates: new Map(), failOnce: new Set(), runs: [] };
}

/**
 * Two agents: `three-step` (plan → work → finish, each waiting on its hook if one is set and
 * failing once when told) and `gated` (plan → approval → launch, asking the gate in `approval`).
 */
export function testRegistry(hooks: StageHooks): AgentRegistry {
  const step = (name: string): Stage<{ n: number }> => ({
    name,
    run: async (ctx) => {
      hooks.runs.push(name);
      const gate = hooks.gates.get(name);
      if (gate) {
        ctx.signal.throwIfAborted();
        await Promise.race([
          gate,
          new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        ]);
      }
      if (hooks.failOnce.delete(name)) throw new Error(`${name} broke`);
      return { [name]: ctx.input.n };
    },
  });
  return new AgentRegistry()
    .register('three-step', {
      description: 'three stages',
      params: z.strictObject({ n: z.coerce.number('expected a number') }),
      create: (deps) => defineAgent({ name: 'three-step', stages: [step('plan'), step('work'), step('finish')] }, deps),
    })
    .register('gated', {
      description: 'asks for approval',
      params: z.strictObject({ n: z.coerce.number('expected a number').default(1) }),
      create: (deps) =>
        defineAgent<{ n: number }>(
          {
            name: 'gated',
            stages: [
              step('plan'),
              {
                name: 'approval',
                run: async (ctx) => {
                  hooks.runs.push('approval');
                  const response = await ctx.requireApproval({ title: `Approve ${ctx.input.n}` });
                  return { approved: response.isApproved, by: response.decidedBy };
                },
              },
              step('launch'),
            ],
          },
          deps,
        ),
    });
}

/** Records every observer call. */
export class RecordingObserver implements TaskObserver {
  events: string[] = [];
  finished: TaskView[] = [];
  message: MessageRef | null = { channel: 'C0PROGRESS', ts: '1700000000.000100' };

  async taskStarted(task: TaskView) {
    this.events.push(`started ${task.id}`);
    return this.message;
  }
  stageStarted(_task: TaskView, stage: string) {
    this.events.push(`stage ${stage}`);
  }
  stageCompleted(_task: TaskView, stage: string, durationMs: number) {
    this.events.push(`done ${stage}${durationMs >= 0 ? '' : ' ?'}`);
  }
  approvalRequested(_task: TaskView, approvalId: string) {
    this.events.push(`approval ${approvalId}`);
  }
  taskFinished(task: TaskView) {
    this.events.push(`finished ${task.status}`);
    this.finished.push(task);
  }
}

/** One "process": a gate and a task service of its own over `store`. */
export function boot(store: Store, registry: AgentRegistry, options: Partial<TaskServiceOptions> = {}) {
  const gate = new ApprovalGate({ store: store });
  let seq = 0;
  const tasks = new TaskService({
    registry,
    store,
    gate,
    newId: (agent) => `${agent}-${String(++seq).padStart(6, '0')}`,
    ...options,
  });
  return { gate, tasks };
}
