import type { z } from 'zod';
import type { AgentOptions, BaseAgent } from '../agents/agent.js';
import { toFieldIssues } from '../approvals/schema.js';
import { ConflictError, ValidationError } from '../errors.js';

/** What the task service hands an agent definition to build an agent for one run. */
export type AgentDeps = AgentOptions;

/**
 * A named agent that can be started as a task. `params` validates its input: from the API it is
 * a JSON object, from `/agent start` an object of strings (`key=value`), so numbers should be
 * declared with `z.coerce.number('expected a number')`.
 */
export interface AgentDefinition<I = unknown> {
  description: string;
  params: z.ZodType<I>;
  create(deps: AgentDeps): BaseAgent<I>;
  /** Claude budget of each task in USD, instead of the service's default. */
  budgetUsd?: number;
  /** The agent calls Claude: without ANTHROPIC_API_KEY its tasks fail, which is said at start. */
  usesClaude?: boolean;
}

const AGENT_NAME = /^[a-z0-9][a-z0-9-]{0,59}$/;

/** The agents that can be started by name (`/agent start campaign-launch`, `POST /api/v1/tasks`). */
export class AgentRegistry {
  private readonly agents = new Map<string, AgentDefinition<never>>();
  private readonly stageNames = new Map<string, readonly string[]>();

  /** Adds an agent under `name` (lower-case letters, digits and `-`); a name is registered once. */
  register<I>(name: string, definition: AgentDefinition<I>): this {
    if (!AGENT_NAME.test(name)) {
      throw new ValidationError([{ field: 'name', message: 'expected 1-60 lower-case letters, digits or -' }]);
    }
    if (this.agents.has(name)) throw new ConflictError(`agent ${name} is already registered`);
    this.agents.set(name, definition as unknown as AgentDefinition<never>);
    return this;
  }

  /** Names of the registered agents that call Claude. */
  claudeAgents(): string[] {
    return this.names().filter((name) => this.agents.get(name)?.usesClaude === true);
  }

  /** The definition of `name`, or undefined. */
  get(name: string): AgentDefinition<unknown> | undefined {
    return this.agents.get(name) as AgentDefinition<unknown> | undefined;
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** Every registered agent with its description, sorted by name. */
  list(): Array<{ name: string; description: string }> {
    return this.names().map((name) => ({ name, description: this.agents.get(name)?.description ?? '' }));
  }

  /** The definition of `name`, or a ValidationError on `agent` listing the known ones. */
  require(name: string): AgentDefinition<unknown> {
    const definition = this.get(name);
    if (!definition) {
      const known = this.names();
      const list = known.length > 0 ? `known agents: ${known.join(', ')}` : 'no agents are registered';
      throw new ValidationError([{ field: 'agent', message: `unknown agent ${JSON.stringify(name)} (${list})` }]);
    }
    return definition;
  }

  /** `input` validated by the agent's `params`, or a ValidationError naming each wrong key. */
  parseInput(name: string, input: unknown): unknown {
    const result = this.require(name).params.safeParse(input ?? {});
    if (!result.success) throw new ValidationError(toFieldIssues(result.error));
    return result.data;
  }

  /** The stage names of `name`'s agents, from an instance built with `deps` the first time. */
  stagesOf(name: string, deps: AgentDeps): readonly string[] {
    let names = this.stageNames.get(name);
    if (!names) {
      names = stageNamesOf(this.require(name).create(deps));
      this.stageNames.set(name, names);
    }
    return names;
  }
}

/**
 * The names of an agent's stages, in order. BaseAgent keeps `stages` protected; it is read through
 * TypeScript's bracket access so that agents need not list their stages a second time.
 */
export function stageNamesOf<I>(agent: BaseAgent<I>): string[] {
  // biome-ignore lint/complexity/useLiteralKeys: dot access to a protected member does not type-check
  return agent['stages'].map((stage) => stage.name);
}
